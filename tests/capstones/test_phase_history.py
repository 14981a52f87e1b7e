"""Phase history (SPEC §13): a phase a mentor's request for changes reopens is kept as reviewed; the mentor sees what
changed since (the review workspace of the next review, the capstone page, the history page); the learner reads
their version as reviewed. Who may read it, and a phase never reopened."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.capstones.helpers import filled
from tests.conftest import count_queries, log_in
from tests.factories import assign, make_capstone, make_mission, make_review, make_user
from webapp.domain.errors import Forbidden
from webapp.domain.phases import PHASES
from webapp.extensions import db
from webapp.models import CapstonePhaseVersion, StoredFile
from webapp.models.base import utcnow
from webapp.services import capstones as capstone_service
from webapp.services import reviews as review_service

OLD_THREAT, NEW_THREAT = "Ransomware operator", "Ransomware operator (LockBit affiliate)"


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def reviewed_and_reopened(phases=("investigation",), mentor=None):
    """A learner's submitted capstone, reviewed by their assigned mentor, who requested changes on `phases`."""
    learner = make_user("learner")
    mentor = mentor or make_user("mentor")
    assign(mentor, learner)
    cap = make_capstone(learner, make_mission(), done=PHASES, submitted_at=utcnow() - timedelta(hours=3),
                        **filled(upto="presentation"))
    review = make_review(mentor, cap, total_phases=1, written_feedback="Name the threat actor.")
    review_service.submit(review, mentor, overall_score=50, decision="request_changes", reopen_phases=list(phases))
    return learner, mentor, reload(cap), reload(review)


def edit_threat(cap, learner, threat=NEW_THREAT):
    capstone_service.save_phase(reload(cap), "investigation",
                                {"investigation_findings": {"threats": [threat], "timeline": ["02:14 alert"]}}, learner)


def versions(cap):
    db.session.expire_all()
    return db.session.scalars(select(CapstonePhaseVersion).where(CapstonePhaseVersion.capstone_id == cap.id)
                              .order_by(CapstonePhaseVersion.id)).all()


# ---- what is kept -----------------------------------------------------------------------------------------------

def test_request_changes_keeps_each_reopened_phase_as_reviewed_with_its_review():
    learner, mentor, cap, review = reviewed_and_reopened(("reporting",))
    kept = versions(cap)
    assert [v.phase for v in kept] == ["reporting", "presentation"]       # the named phase and every later one
    assert {v.review_id for v in kept} == {review.id}
    assert kept[0].fields["report_summary"] == "Contained overnight."
    assert kept[0].fields["report_key_findings"][0]["finding"] == "Shared admin password"
    assert set(kept[1].fields) == {"presentation_url", "presentation_type", "presentation_notes"}


def test_the_learners_edits_leave_the_kept_version_as_reviewed():
    learner, mentor, cap, review = reviewed_and_reopened()
    edit_threat(cap, learner)
    assert reload(cap).investigation_findings["threats"] == [NEW_THREAT]
    (first, *_rest) = versions(cap)
    assert first.phase == "investigation"
    assert first.fields["investigation_findings"]["threats"] == [OLD_THREAT]


def test_approving_keeps_no_version():
    learner = make_user("learner")
    mentor = make_user("mentor")
    assign(mentor, learner)
    cap = make_capstone(learner, make_mission(), done=PHASES, submitted_at=utcnow(), **filled(upto="presentation"))
    review_service.submit(make_review(mentor, cap, total_phases=1), mentor, overall_score=90, decision="approve")
    assert versions(cap) == []


def test_a_refused_request_for_changes_keeps_nothing():
    learner, mentor, cap, _ = reviewed_and_reopened()
    outsider = make_user("mentor")
    review = make_review(outsider, make_capstone(make_user("learner"), make_mission(), done=PHASES,
                                                 submitted_at=utcnow()), total_phases=1)
    before = db.session.scalar(select(func.count()).select_from(CapstonePhaseVersion))
    with pytest.raises(Forbidden):
        review_service.submit(review, make_user("learner"), overall_score=50, decision="request_changes",
                              reopen_phases=["investigation"])
    assert db.session.scalar(select(func.count()).select_from(CapstonePhaseVersion)) == before


def test_an_upload_the_reviewed_version_links_to_stays_when_the_learner_replaces_it(app):
    learner, mentor, cap, _ = reviewed_and_reopened(("presentation",))
    row = StoredFile(key="files/document/deck0001", owner_id=learner.id, uploaded_by_id=learner.id,
                     kind="document", type_key="pdf", filename="deck-v1.pdf", content_type="application/pdf",
                     size=10, capstone_id=cap.id,
                     field="presentation", attached_at=utcnow(), stored_at=utcnow())
    db.session.add(row)
    db.session.commit()
    # The version as reviewed linked the upload (kept before the learner replaced it by a link).
    version = versions(cap)[-1]
    version.fields = {**version.fields, "presentation_url": "/files/files/document/deck0001"}
    version.files = {"files/document/deck0001": "deck-v1.pdf"}
    db.session.commit()
    capstone_service.save_phase(reload(cap), "presentation", {"presentation_url": "https://slides.example/v2",
                                                              "presentation_type": "slides"}, learner)
    kept = db.session.scalar(select(StoredFile).where(StoredFile.key == "files/document/deck0001"))
    assert kept is not None and kept.capstone_id == cap.id and kept.attached_at is not None


# ---- the mentor sees what changed -----------------------------------------------------------------------------------

def resubmit(cap, learner):
    for phase in PHASES:
        if not reload(cap).is_phase_complete(phase):
            capstone_service.complete_phase(reload(cap), phase, learner)


def test_the_next_review_workspace_marks_what_changed_since_the_review(client):
    learner, mentor, cap, review = reviewed_and_reopened()
    edit_threat(cap, learner)
    resubmit(cap, learner)
    nxt = review_service.create(mentor, capstone_id=cap.id)
    log_in(client, mentor)
    html = client.get(f"/mentorship/reviews/{nxt.id}").get_data(as_text=True)
    assert "Changed since your review" in html
    assert f"<del>{OLD_THREAT}</del>" in html and f"<ins>{NEW_THREAT}</ins>" in html
    assert "Changed</span>" in html                                  # said in words, not colour alone
    version = versions(cap)[0]
    assert f"/capstones/{cap.id}/phases/investigation/history#version-{version.id}" in html
    # A phase reopened but not edited says so.
    assert "Unchanged since your review" in html


def test_the_capstone_page_shows_the_mentor_the_changes_and_the_learner_their_version(client):
    learner, mentor, cap, review = reviewed_and_reopened()
    edit_threat(cap, learner)
    log_in(client, mentor)
    html = client.get(f"/capstones/{cap.id}").get_data(as_text=True)
    assert "Changed since your review" in html and f"<ins>{NEW_THREAT}</ins>" in html
    log_in(client, learner)
    html = client.get(f"/capstones/{cap.id}").get_data(as_text=True)
    day = versions(cap)[0].created_at.strftime("%d %b %Y")
    assert f"Your version as reviewed on {day}" in html
    assert "<del>" not in html
    assert f"/capstones/{cap.id}/phases/investigation/history" in html


def test_a_capstone_never_reopened_shows_no_history_section(client):
    learner = make_user("learner")
    cap = make_capstone(learner, make_mission(), **filled(upto="investigation"))
    log_in(client, learner)
    html = client.get(f"/capstones/{cap.id}").get_data(as_text=True)
    assert "capstone-changes" not in html and "as reviewed on" not in html


# ---- the history page -----------------------------------------------------------------------------------------------

def test_history_lists_the_kept_versions_newest_first_with_the_diff_and_the_full_version(client):
    learner, mentor, cap, review = reviewed_and_reopened()
    edit_threat(cap, learner, "Second threat text")
    resubmit(cap, learner)
    second = review_service.create(mentor, capstone_id=cap.id)
    review_service.submit(second, mentor, overall_score=60, decision="request_changes", reopen_phases=["investigation"])
    edit_threat(cap, learner, "Third threat text")
    log_in(client, mentor)
    resp = client.get(f"/capstones/{cap.id}/phases/investigation/history")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    kept = [v for v in versions(cap) if v.phase == "investigation"]
    assert len(kept) == 2
    newest, oldest = html.index(f'id="version-{kept[1].id}"'), html.index(f'id="version-{kept[0].id}"')
    assert newest < oldest
    assert "<del>Second threat text</del>" in html and "<ins>Third threat text</ins>" in html
    assert f"<del>{OLD_THREAT}</del>" in html
    assert "The full version as reviewed" in html and f"<li>{OLD_THREAT}</li>" in html


def test_history_of_a_phase_never_reopened_is_404_saying_so(client):
    learner, mentor, cap, _ = reviewed_and_reopened(("reporting",))
    log_in(client, learner)
    resp = client.get(f"/capstones/{cap.id}/phases/investigation/history")
    assert resp.status_code == 404
    assert "This phase was never reopened, so there is no earlier version." in resp.get_data(as_text=True)
    assert client.get(f"/capstones/{cap.id}/phases/reporting/history").status_code == 200


def test_history_of_an_unknown_capstone_or_phase_is_404(client):
    learner, mentor, cap, _ = reviewed_and_reopened()
    log_in(client, learner)
    assert client.get(f"/capstones/{cap.id + 1000}/phases/investigation/history").status_code == 404
    assert client.get(f"/capstones/{cap.id}/phases/nonsense/history").status_code == 404


@pytest.mark.parametrize("who, status", [
    ("owner", 200), ("assigned_mentor", 200), ("claiming_reviewer", 200), ("admin", 200),
    ("other_learner", 403), ("unassigned_mentor", 403), ("anonymous", 302)])
def test_who_may_read_the_history(client, who, status):
    reviewer = make_user("mentor")                    # reviewed from a claim, not assigned to the learner
    learner = make_user("learner")
    assigned = make_user("mentor")
    assign(assigned, learner)
    cap = make_capstone(learner, make_mission(), done=PHASES, submitted_at=utcnow(), claimed_by_id=reviewer.id,
                        claimed_at=utcnow(), **filled(upto="presentation"))
    review = make_review(reviewer, cap, total_phases=1)
    review_service.submit(review, reviewer, overall_score=40, decision="request_changes",
                          reopen_phases=["investigation"])
    assert reload(cap).claimed_by_id is None                # the claim ended with the request for changes
    users = {"owner": learner, "assigned_mentor": assigned, "claiming_reviewer": reviewer,
             "admin": make_user("admin"), "other_learner": make_user("learner"),
             "unassigned_mentor": make_user("mentor")}
    if who != "anonymous":
        log_in(client, users[who])
    resp = client.get(f"/capstones/{cap.id}/phases/investigation/history")
    assert resp.status_code == status
    html = resp.get_data(as_text=True)
    if status == 200:
        assert OLD_THREAT in html and "as reviewed on" in html
    else:
        assert OLD_THREAT not in html


def test_history_page_runs_a_fixed_number_of_queries(client):
    learner, mentor, cap, review = reviewed_and_reopened()
    log_in(client, mentor)
    url = f"/capstones/{cap.id}/phases/investigation/history"
    client.get(url)
    with count_queries() as few:
        client.get(url)
    for n in range(3):
        edit_threat(cap, learner, f"Round {n}")
        resubmit(cap, learner)
        again = review_service.create(mentor, capstone_id=cap.id)
        review_service.submit(again, mentor, overall_score=40, decision="request_changes",
                              reopen_phases=["investigation"])
    client.get(url)
    with count_queries() as many:
        resp = client.get(url)
    assert resp.get_data(as_text=True).count('class="panel phase-version"') == 4
    assert many.count == few.count
