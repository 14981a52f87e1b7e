"""A submitted review keeps the rubric it was scored against (mentorship_interactions.rubric): after the mission's
rubric is edited (a criterion renamed, its levels and weights changed, one removed), the learner's read view, the
capstone page and the API still show the old criteria and the old total. Drafts read the mission's rubric."""
from __future__ import annotations

import copy

from tests.conftest import log_in
from webapp.extensions import db
from webapp.models import MentorshipInteraction
from webapp.services import reviews as service

from ..factories import make_token
from .helpers import reload, setup_review

SCORES = {"containment": 4, "analysis": 2, "communication": 1}
# Weights 3, 2, 1 over levels 1-4: 100 × (3×4/4 + 2×2/4 + 1×1/4) / 6 = 70.83
OLD_TOTAL = 70.83


def edit_rubric(mission):
    """The catalogue reloaded with a new rubric: containment renamed and re-levelled, analysis re-weighted,
    communication removed."""
    rubric = copy.deepcopy(mission.rubric)
    rubric[0]["criterion"] = "Isolation speed"
    rubric[0]["levels"] = [{"score": s, "label": f"N{s}", "descriptor": f"New {s}"} for s in range(1, 11)]
    rubric[1]["weight"] = 10
    mission.rubric = rubric[:2]
    db.session.commit()


def submitted_review():
    learner, mentor, cap, review = setup_review(total_phases=1, rubric_scores=SCORES)
    service.submit(review, mentor, overall_score=80, decision="approve")
    return learner, mentor, cap, reload(review)


def test_submit_keeps_the_missions_rubric_and_a_draft_keeps_none():
    learner, mentor, cap, review = submitted_review()
    assert [c["criterion"] for c in review.rubric] == ["Containment", "Analysis", "Communication"]
    _, _, _, draft = setup_review(total_phases=1, rubric_scores=SCORES)
    assert draft.rubric is None


def test_after_the_rubric_changes_the_submitted_review_reads_its_own_and_a_draft_the_new_one():
    learner, mentor, cap, review = submitted_review()
    _, _, _, draft = setup_review(total_phases=1)
    draft.mission_id = review.mission_id
    db.session.commit()
    edit_rubric(review.mission)
    review, draft = reload(review), reload(draft)
    assert [c["criterion"] for c in review.rubric_of()] == ["Containment", "Analysis", "Communication"]
    assert [c["criterion"] for c in draft.rubric_of()] == ["Isolation speed", "Analysis"]
    # A draft is checked against the rubric as it is now: the removed criterion is refused, a new level accepted.
    assert service.clean(draft, {"rubric_scores": {"containment": 9}}) == {"rubric_scores": {"containment": 9}}


def test_the_learners_read_view_shows_the_old_criteria_and_total(client):
    learner, mentor, cap, review = submitted_review()
    edit_rubric(review.mission)
    log_in(client, learner)
    for url in (f"/mentorship/reviews/{review.id}", f"/capstones/{cap.id}"):
        html = client.get(url).get_data(as_text=True)
        assert '<th scope="row">Containment</th><td>4/4 (L4)</td><td>3</td>' in html, url
        assert '<th scope="row">Communication</th><td>1/4 (L1)</td><td>1</td>' in html, url
        assert '<th scope="row">Analysis</th><td>2/4 (L2)</td><td>2</td>' in html, url
        assert "Isolation speed" not in html, url
        assert "Weighted rubric total: <strong>71</strong> / 100" in html, url


def test_the_api_shows_the_old_criteria_and_total(client):
    learner, mentor, cap, review = submitted_review()
    edit_rubric(review.mission)
    _, secret = make_token(learner)
    body = client.get(f"/api/v1/mentorship-interactions/{review.id}",
                      headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert body["rubric_total"] == OLD_TOTAL
    assert body["rubric_scores"] == SCORES
    assert [(c["criterion"], c["weight"], len(c["levels"])) for c in body["rubric"]] == [
        ("Containment", 3, 4), ("Analysis", 2, 4), ("Communication", 1, 4)]


def test_the_same_review_without_a_kept_rubric_would_read_the_new_one():
    """The check above can fail: a submitted review whose rubric was not kept reads the edited rubric."""
    learner, mentor, cap, review = submitted_review()
    review.rubric = None
    db.session.commit()
    edit_rubric(review.mission)
    assert [c["criterion"] for c in reload(review).rubric_of()] == ["Isolation speed", "Analysis"]


def test_rubric_of_reads_the_kept_rubric_without_loading_the_mission():
    learner, mentor, cap, review = submitted_review()
    db.session.expire_all()
    fresh = db.session.get(MentorshipInteraction, review.id)
    assert [c["id"] for c in fresh.rubric_of()] == ["containment", "analysis", "communication"]
    assert "mission" not in fresh.__dict__
