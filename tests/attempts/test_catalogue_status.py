"""The catalogue shows each mission's status for the viewer and filters by it (issue #17): not started, in progress,
completed with the best score; an abandoned attempt alone counts as not started; another learner's attempts never
show; the queries stay constant as attempts and missions grow."""
from __future__ import annotations

import re

import pytest

from tests.conftest import log_in
from tests.factories import make_mission, make_user
from tests.web.helpers import text
from webapp.extensions import db
from webapp.missions import queries
from webapp.models import MissionAttempt
from webapp.models.base import utcnow

from ..web.test_missions import count_queries


def attempt(learner, mission, status, score=None):
    row = MissionAttempt(learner_id=learner.id, mission_id=mission.id, status=status, score=score,
                         mission_snapshot=mission.content(), responses={}, decisions={}, fired_events=[],
                         drafts={}, started_at=utcnow(), completed_at=utcnow() if status == "completed" else None)
    db.session.add(row)
    db.session.commit()
    return row


def card(page: str, title: str) -> str:
    m = re.search(r'<li class="card mission-card">(?:(?!</li>).)*?' + re.escape(title) + r'(?:(?!</li>).)*</li>',
                  page, re.S)
    assert m, f"no card for {title}"
    return m.group(0)


@pytest.fixture
def catalogue():
    return {name: make_mission(title=name) for name in ("Alpha", "Bravo", "Charlie", "Delta")}


def test_each_card_shows_the_viewers_standing(client, catalogue):
    learner = make_user("learner")
    attempt(learner, catalogue["Alpha"], "in_progress")
    attempt(learner, catalogue["Bravo"], "completed", 40)
    attempt(learner, catalogue["Bravo"], "completed", 85)
    attempt(learner, catalogue["Charlie"], "abandoned")
    attempt(make_user("learner"), catalogue["Delta"], "completed", 99)     # someone else's
    log_in(client, learner)
    page = text(client.get("/missions"))
    assert "In progress" in card(page, "Alpha")
    assert "Completed · best 85/100" in card(page, "Bravo")
    for quiet in ("Charlie", "Delta"):
        assert "In progress" not in card(page, quiet) and "Completed" not in card(page, quiet)


@pytest.mark.parametrize("status, shown", [("in_progress", {"Alpha"}), ("completed", {"Bravo"}),
                                           ("not_started", {"Charlie", "Delta"})])
def test_the_catalogue_filters_by_the_viewers_status(client, catalogue, status, shown):
    learner = make_user("learner")
    attempt(learner, catalogue["Alpha"], "in_progress")
    attempt(learner, catalogue["Bravo"], "completed", 70)
    attempt(learner, catalogue["Charlie"], "abandoned")
    log_in(client, learner)
    page = text(client.get(f"/missions?status={status}"))
    titles = set(re.findall(r'<h2 class="card-title"><a href="[^"]+">([^<]+)</a>', page))
    assert titles == shown


def test_a_new_learner_sees_everything_not_started_and_an_unknown_status_is_422(client, catalogue):
    log_in(client, make_user("learner"))
    assert "Completed ·" not in text(client.get("/missions"))
    assert len(re.findall(r'class="card-title"', text(client.get("/missions?status=not_started")))) == 4
    resp = client.get("/missions?status=finished")
    assert resp.status_code == 422 and "Unknown your progress" in text(resp) or "finished" in text(resp)


def test_the_status_follows_a_new_attempt_at_once(client, catalogue):
    learner = make_user("learner")
    attempt(learner, catalogue["Delta"], "completed", 60)
    log_in(client, learner)
    assert "best 60/100" in card(text(client.get("/missions")), "Delta")
    client.post("/attempts", data={"mission": catalogue["Alpha"].slug})
    page = text(client.get("/missions"))
    assert "In progress" in card(page, "Alpha") and "best 60/100" in card(page, "Delta")


def test_the_rule_and_its_sql_agree():
    assert queries.standing_of(True, True, 90).status == "in_progress"
    assert queries.standing_of(False, True, 90) == queries.Standing("completed", 90)
    assert queries.standing_of(False, False, None) == queries.NOT_STARTED


def test_the_list_costs_the_same_queries_for_few_and_many_attempts(client):
    learner = make_user("learner")
    missions = [make_mission() for _ in range(5)]
    attempt(learner, missions[0], "completed", 50)
    log_in(client, learner)
    with count_queries() as small:
        client.get("/missions?status=completed")
    for m in missions[1:] + [make_mission() for _ in range(20)]:
        attempt(learner, m, "in_progress")
        attempt(learner, m, "abandoned")
    with count_queries() as large:
        resp = client.get("/missions?status=in_progress")
    assert len(re.findall(r'class="card-title"', text(resp))) == 24
    assert large.count == small.count, large.statements


def test_viewers_share_one_list_each_with_their_own_standing_which_moves_with_their_attempts(app, catalogue):
    """The list is made once for every viewer; each viewer's badges are placed into it per viewer, and a change
    to one learner's attempts shows on their list at once and on no one else's."""
    ada, bob = make_user("learner"), make_user("learner")
    attempt(ada, catalogue["Alpha"], "in_progress")
    attempt(bob, catalogue["Delta"], "completed", 70)
    ada_client, bob_client, visitor = app.test_client(), app.test_client(), app.test_client()
    log_in(ada_client, ada)
    log_in(bob_client, bob)
    for _ in range(2):                     # made, then served from the cache
        ada_page, bob_page = text(ada_client.get("/missions")), text(bob_client.get("/missions"))
        assert "In progress" in card(ada_page, "Alpha") and "Completed" not in card(ada_page, "Delta")
        assert "Completed · best 70/100" in card(bob_page, "Delta") and "In progress" not in card(bob_page, "Alpha")
    attempt(ada, catalogue["Bravo"], "completed", 91)
    assert "Completed · best 91/100" in card(text(ada_client.get("/missions")), "Bravo")
    assert "Completed" not in card(text(bob_client.get("/missions")), "Bravo")
    page = text(visitor.get("/missions"))
    assert "In progress" not in page and "Completed ·" not in page
    for page in (page, text(ada_client.get("/missions"))):
        assert "<!--standing:" not in page       # every slot is filled or removed
