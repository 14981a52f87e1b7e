"""No page or API response shows a check's answers, explanations, key points, model answers or debriefs before
they are due (SPEC §3.1), played on shipped missions of every track: the mission page, the attempt page, its
polled timeline, the API's mission and attempt; then, after the first subtask is submitted, exactly that subtask's
explanations appear and no later subtask's."""
from __future__ import annotations

import pytest

from tests.conftest import hx
from tests.factories import make_token
from webapp.services import catalogue as catalogue_service
from webapp.services.catalogue import SEED_DIR

from .helpers import start

SHIPPED = ["defender/hospital-ransomware-night-shift", "offensive/fintech-api-bola-live-data",
           "grc/fintech-dora-major-incident-report", "innovation/retail-llm-support-assistant-security",
           "leadership/manufacturer-ransom-payment-decision"]


def secrets_of(subtask: dict) -> list[str]:
    """Texts that must not be shown before the subtask is submitted (long enough not to occur by chance)."""
    out = [c["explanation"].strip().splitlines()[0] for c in subtask.get("checks") or []]
    out += list(subtask.get("key_points") or [])
    if subtask.get("model_answer"):
        out.append(subtask["model_answer"].strip().splitlines()[0])
    out += [o["debrief"] for d in subtask.get("decisions") or [] for o in d["options"] if o.get("debrief")]
    return [s for s in out if len(s) > 25]


def html_escaped(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;").replace("'", "&#39;")


def shown(haystacks: list[str], secret: str) -> bool:
    return any(secret in h or html_escaped(secret) in h for h in haystacks)


@pytest.mark.parametrize("path", SHIPPED)
def test_nothing_that_answers_a_check_is_shown_before_its_subtask_is_submitted(client, login_as, path):
    (mission_data,) = catalogue_service.read_missions(SEED_DIR / "missions" / f"{path}.yaml")
    catalogue_service.upsert_missions([mission_data])
    mission = catalogue_service.get_mission(mission_data["slug"])
    learner = login_as("learner")
    attempt = start(client, mission, acknowledge_scope="y")
    _, token = make_token(learner)
    api = {"Authorization": f"Bearer {token}"}
    first, *later = mission_data["subtasks"]

    def responses() -> list[str]:
        return [client.get(f"/missions/{mission.slug}").get_data(as_text=True),
                client.get(f"/attempts/{attempt.id}").get_data(as_text=True),
                client.get(f"/attempts/{attempt.id}", headers=hx("attempt-timeline")).get_data(as_text=True),
                client.get(f"/api/v1/missions/{mission.slug}", headers=api).get_data(as_text=True),
                client.get(f"/api/v1/attempts/{attempt.id}", headers=api).get_data(as_text=True)]

    before = responses()
    for subtask in mission_data["subtasks"]:
        for secret in secrets_of(subtask):
            assert not shown(before, secret), f"shown before submission: {secret[:80]}"
    debrief = (mission_data.get("debrief") or "").strip().splitlines()[0]
    assert not shown(before, debrief)

    answers = {c["id"]: "x" for c in first["checks"] if c["kind"] == "answer"}
    decisions = {d["id"]: d["options"][0]["id"] for d in first.get("decisions") or []}
    resp = client.post(f"/api/v1/attempts/{attempt.id}/subtasks/{first['id']}", headers=api,
                       json={"response": "My analysis of the first step.", "decisions": decisions, "checks": answers})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    after = responses()
    explanations = [c["explanation"].strip().splitlines()[0] for c in first["checks"]]
    assert all(shown(after, e) for e in explanations if len(e) > 25)
    for subtask in later:
        for secret in secrets_of(subtask):
            assert not shown(after, secret), f"a later subtask's text shown early: {secret[:80]}"
    # option debriefs wait for the summary of a completed attempt
    for d in first.get("decisions") or []:
        for o in d["options"]:
            if o.get("debrief") and len(o["debrief"]) > 25:
                assert not shown(after, o["debrief"])
