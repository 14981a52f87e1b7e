"""The mission catalogue pages: list, filters (page and htmx fragment), detail."""
from __future__ import annotations

import re

import pytest

from tests.conftest import count_queries, hx
from tests.factories import make_mission

from .helpers import text


def titles(page: str) -> list[str]:
    """Mission titles in the order the list shows them."""
    return re.findall(r'<h2 class="card-title"><a href="/missions/[^"]+">([^<]+)</a></h2>', page)


# --- list -------------------------------------------------------------------------------------------------


def test_list_learner_sees_published_missions_only(client, login_as):
    make_mission(title="Ransomware Night Shift")
    make_mission(title="Draft Mission Unreleased", is_published=False)
    login_as("learner")
    resp = client.get("/missions")
    assert resp.status_code == 200
    page = text(resp)
    assert titles(page) == ["Ransomware Night Shift"]
    assert "Draft Mission Unreleased" not in page
    assert "Unpublished" not in page
    assert "1 mission" in page


@pytest.mark.parametrize("role", ["mentor", "admin"])
def test_list_mentor_or_admin_sees_unpublished_missions_marked(client, login_as, role):
    make_mission(title="Ransomware Night Shift")
    make_mission(title="Draft Mission Unreleased", is_published=False)
    login_as(role)
    page = text(client.get("/missions"))
    assert sorted(titles(page)) == ["Draft Mission Unreleased", "Ransomware Night Shift"]
    assert "Unpublished" in page


def test_list_shows_track_tier_summary_and_links_to_detail(client, login_as):
    make_mission(slug="soc-alert", title="SOC Alert", track="grc", tier="advanced",
                 summary="Triage an audit finding.", estimated_minutes=90)
    login_as("learner")
    page = text(client.get("/missions"))
    assert 'href="/missions/soc-alert"' in page
    assert "Triage an audit finding." in page
    assert "Advanced" in page
    assert "1 h 30 min" in page


def test_list_filter_by_track_shows_only_that_track(client, login_as):
    make_mission(title="Defender One", track="defender")
    make_mission(title="GRC One", track="grc")
    make_mission(title="GRC Two", track="grc")
    login_as("learner")
    resp = client.get("/missions?track=grc")
    assert resp.status_code == 200
    page = text(resp)
    assert "<html" in page
    assert titles(page) == ["GRC One", "GRC Two"]
    assert "2 missions match your filters" in page
    assert '<option selected value="grc">' in page or 'value="grc" selected' in page


def test_list_filter_by_tier_shows_only_that_tier(client, login_as):
    make_mission(title="Mastery Work", tier="mastery")
    make_mission(title="Beginner Work", tier="beginner")
    login_as("learner")
    page = text(client.get("/missions?tier=beginner"))
    assert titles(page) == ["Beginner Work"]


def test_list_filter_by_q_matches_title_summary_and_slug_case_insensitively(client, login_as):
    make_mission(slug="hospital-ransomware", title="Night Shift", summary="Hospital systems go dark.")
    make_mission(slug="bec-mailbox", title="Mailbox Rules", summary="Business email compromise.")
    make_mission(slug="other-one", title="Phishing RANSOMWARE drill", summary="Training day.")
    login_as("learner")
    assert sorted(titles(text(client.get("/missions?q=ransomware")))) == ["Night Shift",
                                                                         "Phishing RANSOMWARE drill"]
    assert titles(text(client.get("/missions?q=MAILBOX"))) == ["Mailbox Rules"]
    assert titles(text(client.get("/missions?q=email+compromise"))) == ["Mailbox Rules"]


def test_list_filter_q_with_like_wildcards_matches_literally(client, login_as):
    make_mission(title="Plain title")
    make_mission(title="100% coverage")
    login_as("learner")
    assert titles(text(client.get("/missions", query_string={"q": "%"}))) == ["100% coverage"]
    assert titles(text(client.get("/missions", query_string={"q": "_"}))) == []


def test_list_filters_combine(client, login_as):
    make_mission(title="GRC Mastery Audit", track="grc", tier="mastery")
    make_mission(title="GRC Beginner Audit", track="grc", tier="beginner")
    make_mission(title="Defender Mastery Audit", track="defender", tier="mastery")
    login_as("learner")
    page = text(client.get("/missions?track=grc&tier=mastery&q=audit"))
    assert titles(page) == ["GRC Mastery Audit"]


def test_list_fragment_for_mission_list_target_is_only_the_list(client, login_as):
    make_mission(title="Defender One", track="defender")
    make_mission(title="GRC One", track="grc")
    login_as("learner")
    resp = client.get("/missions?track=grc", headers=hx(target="mission-list"))
    assert resp.status_code == 200
    body = text(resp).strip()
    assert body.startswith('<section id="mission-list"')
    assert body.endswith("</section>")
    assert body.count('id="mission-list"') == 1
    assert "<html" not in body
    assert titles(body) == ["GRC One"]
    assert "HX-Request" in resp.headers["Vary"]
    assert "HX-Target" in resp.headers["Vary"]


def test_list_same_url_without_htmx_headers_is_full_page(client, login_as):
    make_mission(title="GRC One", track="grc")
    login_as("learner")
    resp = client.get("/missions?track=grc")
    page = text(resp)
    assert "<html" in page
    assert '<section id="mission-list"' in page
    assert 'hx-target="#mission-list"' in page
    assert "HX-Request" in resp.headers["Vary"]


def test_list_htmx_request_aimed_elsewhere_or_history_restore_gets_full_page(client, login_as):
    make_mission(title="GRC One", track="grc")
    login_as("learner")
    other = client.get("/missions?track=grc", headers=hx(target="main"))
    assert "<html" in text(other)
    restore = client.get("/missions?track=grc",
                         headers=hx(target="mission-list", **{"HX-History-Restore-Request": "true"}))
    assert "<html" in text(restore)


def test_list_invalid_track_is_422_with_message_not_500(client, login_as):
    make_mission(title="Defender One")
    login_as("learner")
    resp = client.get("/missions?track=not-a-track")
    assert resp.status_code == 422
    page = text(resp)
    assert "<html" in page
    assert 'role="alert"' in page
    assert "Unknown track “not-a-track”. Choose one of: defender, offensive" in page
    # The list still works: it falls back to every mission rather than an error page.
    assert titles(page) == ["Defender One"]


def test_list_invalid_tier_in_fragment_is_422_fragment_with_message(client, login_as):
    login_as("learner")
    resp = client.get("/missions?tier=legendary", headers=hx(target="mission-list"))
    assert resp.status_code == 422
    body = text(resp).strip()
    assert body.startswith('<section id="mission-list"')
    assert "Unknown tier “legendary”. Choose one of: beginner, intermediate, advanced, mastery." in body


def test_list_too_long_search_is_422_with_message(client, login_as):
    login_as("learner")
    resp = client.get("/missions", query_string={"q": "x" * 101})
    assert resp.status_code == 422
    assert "Search with at most 100 characters." in text(resp)


def test_list_no_match_shows_empty_state_with_clear_link(client, login_as):
    make_mission(title="Defender One", track="defender")
    login_as("learner")
    resp = client.get("/missions?track=leadership")
    assert resp.status_code == 200
    page = text(resp)
    assert "No missions found" in page
    assert "Nothing matches these filters." in page
    assert "Clear the filters" in page
    assert titles(page) == []


def test_list_empty_catalogue_explains_how_to_load_it(client, login_as):
    login_as("admin")
    page = text(client.get("/missions"))
    assert "No missions found" in page
    assert "The catalogue is empty." in page
    assert "flask --app wsgi seed" in page


def test_list_is_ordered_by_track_then_tier_then_title(client, login_as):
    make_mission(title="B grc mastery", track="grc", tier="mastery")
    make_mission(title="A grc beginner", track="grc", tier="beginner")
    make_mission(title="Z defender", track="defender", tier="advanced")
    make_mission(title="C grc beginner", track="grc", tier="beginner")
    login_as("learner")
    assert titles(text(client.get("/missions"))) == ["Z defender", "A grc beginner", "C grc beginner",
                                                      "B grc mastery"]


def test_list_query_count_is_the_same_for_10_and_200_missions(client, login_as):
    login_as("learner")
    for _ in range(10):
        make_mission()
    with count_queries() as small:
        resp = client.get("/missions")
    assert resp.status_code == 200
    assert len(titles(text(resp))) == 10
    for _ in range(190):
        make_mission()
    with count_queries() as large:
        resp = client.get("/missions")
    assert len(titles(text(resp))) == 200
    assert large.count == small.count, large.statements


# --- detail -----------------------------------------------------------------------------------------------


def test_detail_renders_scenario_markdown_rubric_and_outline(client, login_as):
    make_mission(slug="night-shift", title="Night Shift", scenario="At **02:14** the SOC sees an *alert*.\n")
    login_as("learner")
    resp = client.get("/missions/night-shift")
    assert resp.status_code == 200
    page = text(resp)
    assert "<h1>Night Shift</h1>" in page
    assert "<strong>02:14</strong>" in page
    assert "<em>alert</em>" in page
    for subtask in ("Triage", "Scope", "Report"):
        assert f"<strong>{subtask}</strong>" in page
    assert "Containment" in page and "How well the containment went." in page
    assert "decision point" in page


@pytest.mark.parametrize("scenario, forbidden", [
    ("Look: <script>alert(1)</script>\n", "<script>alert(1)"),
    ('<img src=x onerror="alert(1)">\n', "<img"),
    ("[click me](javascript:alert(1))\n", 'href="javascript:'),
    ("<iframe src='https://evil.example'></iframe>\n", "<iframe"),
])
def test_detail_scenario_with_html_is_sanitised(client, login_as, scenario, forbidden):
    make_mission(slug="xss", scenario=scenario)
    login_as("learner")
    resp = client.get("/missions/xss")
    assert resp.status_code == 200
    page = text(resp)
    scenario_html = page.split('<h2 id="scenario-h">Scenario</h2>', 1)[1].split("</section>", 1)[0]
    assert forbidden not in scenario_html
    assert forbidden not in page


def test_detail_scenario_script_is_shown_as_text_not_tag(client, login_as):
    make_mission(slug="xss", scenario="Look: <script>alert(1)</script>\n")
    login_as("learner")
    page = text(client.get("/missions/xss"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_detail_hidden_subtask_is_not_in_outline(client, login_as):
    make_mission(slug="night-shift")  # subtask 4 "Hidden follow-up" is unlocked by an escalation event
    login_as("learner")
    page = text(client.get("/missions/night-shift"))
    assert "Hidden follow-up" not in page
    assert "Deal with the fallout." not in page
    outline = page.split('<ol class="outline">', 1)[1].split("</ol>", 1)[0]
    assert outline.count("<li>") == 3
    assert "3 subtasks (plus 1 that may open as events unfold)" in page


def test_detail_mission_without_unlocks_shows_every_subtask(client, login_as):
    make_mission(slug="open-book", escalation_events=[])
    login_as("learner")
    page = text(client.get("/missions/open-book"))
    assert "<strong>Hidden follow-up</strong>" in page
    assert "may open as events unfold" not in page


def test_detail_learner_does_not_see_mentor_notes(client, login_as):
    make_mission(slug="night-shift", mentor_notes="Intended path: isolate first.")
    login_as("learner")
    page = text(client.get("/missions/night-shift"))
    assert "Intended path" not in page
    assert "Mentor notes" not in page


@pytest.mark.parametrize("role", ["mentor", "admin"])
def test_detail_mentor_or_admin_sees_mentor_notes(client, login_as, role):
    make_mission(slug="night-shift", mentor_notes="Intended path: **isolate** first.")
    login_as(role)
    page = text(client.get("/missions/night-shift"))
    assert "Mentor notes" in page
    assert "Intended path: <strong>isolate</strong> first." in page


def test_detail_unknown_slug_is_404_page(client, login_as):
    login_as("learner")
    resp = client.get("/missions/no-such-mission")
    assert resp.status_code == 404
    page = text(resp)
    assert "<html" in page
    assert "Not found" in page
    assert "No mission &#39;no-such-mission&#39;." in page or "No mission 'no-such-mission'." in page


def test_detail_unpublished_is_404_for_learner(client, login_as):
    make_mission(slug="draft-one", title="Draft One", is_published=False)
    login_as("learner")
    resp = client.get("/missions/draft-one")
    assert resp.status_code == 404
    assert "Draft One" not in text(resp)


def test_detail_unpublished_is_visible_to_mentor_marked_unpublished(client, login_as):
    make_mission(slug="draft-one", title="Draft One", is_published=False)
    login_as("mentor")
    resp = client.get("/missions/draft-one")
    assert resp.status_code == 200
    page = text(resp)
    assert "<h1>Draft One</h1>" in page
    assert "Unpublished" in page


def test_detail_shows_nice_role_names_and_attack_ids(client, login_as):
    make_mission(slug="night-shift", nice_roles=["PD-WRL-003"], attack_techniques=["T1486"])
    login_as("learner")
    page = text(client.get("/missions/night-shift"))
    assert "T1486" in page
    assert "(PD-WRL-003)" in page


def test_detail_and_api_show_atlas_techniques_of_a_mission_on_an_ml_system(client, login_as):
    from tests.factories import make_token

    make_mission(slug="llm-assistant", atlas_techniques=["AML.T0051.000", "AML.T0054"])
    learner = login_as("learner")
    page = text(client.get("/missions/llm-assistant"))
    assert "MITRE ATLAS" in page and "AML.T0051.000" in page and "AML.T0054" in page
    _, token = make_token(learner)
    body = client.get("/api/v1/missions/llm-assistant", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["atlas_techniques"] == ["AML.T0051.000", "AML.T0054"]
