"""The happy path through the pages: queue, create, save, total, submit twice, approve, learner view."""
from __future__ import annotations

from webapp.extensions import db
from webapp.models import MentorshipInteraction, PortfolioItem
from sqlalchemy import select

from ..conftest import hx, log_in
from .helpers import form_for, reload, submitted_capstone, make_recipe
from ..factories import assign, make_user


def test_mentor_reviews_in_two_phases_and_approves(client):
    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    cap = submitted_capstone(learner)
    make_recipe()
    log_in(client, mentor)
    page = client.get("/mentorship/queue")
    assert page.status_code == 200 and cap.mission.title in page.text and "Not reviewed yet" in page.text
    resp = client.post("/mentorship/reviews", data={"kind": "capstone", "subject_id": cap.id, "review_phase": "1",
                                                   "total_phases": "2", "phase": "investigation"})
    assert resp.status_code == 303
    review = db.session.scalars(select(MentorshipInteraction)).one()
    page = client.get(f"/mentorship/reviews/{review.id}")
    assert page.status_code == 200, page.text
    assert "Review phase 1 of 2" in page.text
    total = client.post(f"/mentorship/reviews/{review.id}/total",
                        data={"rubric.containment": "4", "rubric.analysis": "1"},
                        headers=hx("review-total"))
    assert total.status_code == 200 and ">70</output>" in total.text, total.text   # (3 × 4/4 + 2 × 1/4) / 5
    save = client.post(f"/mentorship/reviews/{review.id}", headers=hx("review-save-status"),
                       data=form_for(review, **{"rubric.containment": "4", "subtask_score.1": "80",
                                                "subtask_feedback.1": "Quick.", "step_title": "Read more",
                                                "step_priority": "high", "step_deadline": "",
                                                "recipe": "sysmon-basics"}))
    assert save.status_code == 200, save.text
    assert "Draft saved" in save.text and 'hx-swap-oob="true"' in save.text
    r = reload(review)
    assert r.rubric_scores == {"containment": 4} and r.recommended_recipes == ["sysmon-basics"]
    sub = client.post(f"/mentorship/reviews/{review.id}/submit", data=form_for(r, **{"rubric.containment": "4"}))
    assert sub.status_code == 303, sub.text
    resp = client.post("/mentorship/reviews", data={"kind": "capstone", "subject_id": cap.id, "review_phase": "2",
                                                   "phase": "overall"})
    assert resp.status_code == 303, resp.text
    second = db.session.scalars(select(MentorshipInteraction).where(MentorshipInteraction.review_phase == 2)).one()
    bad = client.post(f"/mentorship/reviews/{second.id}/submit", data=form_for(second, decision="approve"))
    assert bad.status_code == 422 and "overall score" in bad.text
    ok = client.post(f"/mentorship/reviews/{second.id}/submit",
                     data=form_for(reload(second), decision="approve", overall_score="88.5"))
    assert ok.status_code == 303, ok.text
    c = reload(cap)
    assert c.mentor_approved and float(c.mentor_final_score) == 88.5 and len(c.mentor_review_phases) == 2
    item = db.session.scalars(select(PortfolioItem)).one()
    assert item.item_type == "capstone_result" and item.status == "draft" and item.owner_id == learner.id
    log_in(client, learner)
    page = client.get(f"/mentorship/reviews/{second.id}")
    assert page.status_code == 200 and "Review phase 2 of 2" in page.text and "<svg" in page.text, page.text
    badge = client.get("/mentorship/badge")
    assert ">2<" in badge.text
