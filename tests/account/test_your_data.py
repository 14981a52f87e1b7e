"""Your data: "Download everything" (a ZIP of data.json and the user's files) and "Delete my account"
(issue 19 part 6; README, Your data)."""
from __future__ import annotations

import io
import json
import zipfile

from sqlalchemy import func, select

from tests.conftest import log_in
from tests.factories import (PASSWORD, assign, make_capstone, make_completed_attempt, make_item, make_mission,
                             make_review, make_token, make_user)
from tests.media_samples import sample
from webapp.extensions import db
from webapp.models import (ApiToken, CapstoneActivity, CapstoneProject, MentorAssignment, MentorshipInteraction,
                           MissionAttempt, PortfolioItem, StoredFile, User, UserSession)
from webapp.models.base import utcnow
from webapp.services import files
from webapp.storage import get_storage

SECRET_ANSWER = "I isolated WS-042 and pulled the VPN logs."
OTHER_ANSWER = "Someone else's answer about the print server."
FEEDBACK = "Clear timeline; scope the file server earlier."


def world():
    """A learner with an attempt, a capstone reviewed by their mentor, a portfolio item and a file; another
    learner with their own work."""
    learner = make_user("learner", display_name="Lena Learner", handle="lena")
    mentor = make_user("mentor", display_name="Morgan Mentor", handle="morgan")
    assign(mentor, learner)
    mission = make_mission(title="Ransomware Night Shift")
    attempt = make_completed_attempt(learner, mission, responses={"1": {"text": SECRET_ANSWER}}, score=82)
    cap = make_capstone(learner, mission, attempt_id=attempt.id, decision_analysis="Isolate first, then scope.",
                        submitted_at=utcnow())
    review = make_review(mentor, cap, status="submitted", submitted_at=utcnow(), written_feedback=FEEDBACK,
                         overall_score=81, decision="request_changes",
                         recommended_next_steps=[{"title": "Practise scoping", "priority": "high", "deadline": None}])
    stored = files.store_upload(learner, io.BytesIO(sample("pdf")), "My report.pdf", "evidence")
    item = make_item(learner, title="Night shift write-up", status="draft")
    stored.portfolio_item_id, stored.attached_at = item.id, stored.created_at
    db.session.commit()
    other = make_user("learner", display_name="Olga Other", handle="olga")
    other_mission = make_mission(title="Print Server Panic")
    make_completed_attempt(other, other_mission, responses={"1": {"text": OTHER_ANSWER}})
    other_file = files.store_upload(other, io.BytesIO(sample("pdf")), "olga.pdf", "evidence")
    return {"learner": learner, "mentor": mentor, "mission": mission, "attempt": attempt, "capstone": cap,
            "review": review, "file": stored, "item": item, "other": other, "other_file": other_file}


def unzip(resp) -> tuple[zipfile.ZipFile, dict]:
    archive = zipfile.ZipFile(io.BytesIO(resp.data))
    return archive, json.loads(archive.read("data.json"))


# --- export -----------------------------------------------------------------------------------------------------


def test_account_page_offers_download_and_deletion(client):
    log_in(client, make_user("learner"))
    page = client.get("/account").text
    assert "Your data" in page
    assert 'href="/account/export"' in page and "Download everything" in page
    assert 'href="/account/delete"' in page and "Delete my account" in page


def test_export_is_a_zip_with_data_json_and_the_users_files_only(client):
    w = world()
    log_in(client, w["learner"])
    resp = client.get("/account/export")
    assert resp.status_code == 200
    assert resp.mimetype == "application/zip"
    assert "attachment" in resp.headers["Content-Disposition"] and "lena" in resp.headers["Content-Disposition"]
    assert "no-store" in resp.headers["Cache-Control"]
    archive, data = unzip(resp)
    assert data["format"] == "mastery-tracks-export" and data["version"] == 1
    assert data["profile"]["handle"] == "lena" and data["profile"]["email"] == w["learner"].email
    assert "password_hash" not in json.dumps(data)
    # attempts with answers and scores
    (attempt,) = data["attempts"]
    assert attempt["responses"]["1"]["text"] == SECRET_ANSWER and attempt["score"] == 82
    assert attempt["mission"]["title"] == "Ransomware Night Shift"
    assert "mission_snapshot" not in attempt
    # capstones with phase fields
    (cap,) = data["capstones"]
    assert cap["decision_analysis"] == "Isolate first, then scope." and "investigation_findings" in cap
    # reviews received, next steps, portfolio items
    (review,) = data["reviews_received"]
    assert review["written_feedback"] == FEEDBACK and review["mentor"] == "Morgan Mentor"
    assert review["overall_score"] == 81
    assert data["next_steps"] == [{"title": "Practise scoping", "priority": "high", "deadline": None,
                                   "review_id": w["review"].id, "mentor": "Morgan Mentor", "done": False}]
    assert [i["title"] for i in data["portfolio_items"]] == ["Night shift write-up"]
    assert data["mentors"] == [{"mentor": "Morgan Mentor", "track": None}]
    # the file, under files/, byte for byte
    (listed,) = data["files"]
    assert listed["path"].startswith("files/") and listed["path"].endswith("My_report.pdf")
    assert archive.read(listed["path"]) == sample("pdf")
    assert sorted(archive.namelist()) == sorted(["data.json", listed["path"]])
    # nobody else's data
    text = json.dumps(data)
    assert OTHER_ANSWER not in text and "Print Server Panic" not in text and "olga" not in text


def test_export_does_not_include_unshared_review_drafts(client):
    w = world()
    other_cap = make_capstone(w["learner"], make_mission())
    make_review(w["mentor"], other_cap, status="draft", written_feedback="Half-written thoughts")
    log_in(client, w["learner"])
    _, data = unzip(client.get("/account/export"))
    assert "Half-written thoughts" not in json.dumps(data)


def test_export_of_a_user_with_nothing_is_a_valid_empty_document(client):
    log_in(client, make_user("learner"))
    archive, data = unzip(client.get("/account/export"))
    assert archive.namelist() == ["data.json"]
    assert data["attempts"] == data["capstones"] == data["reviews_received"] == data["files"] == []


def test_export_needs_login(client):
    resp = client.get("/account/export")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]


# --- deletion ---------------------------------------------------------------------------------------------------


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_delete_page_asks_for_password_and_handle(client):
    log_in(client, make_user("learner", handle="lena"))
    page = client.get("/account/delete").text
    assert "Delete your account" in page and "cannot be undone" in page
    assert 'for="password"' in page and 'for="confirm_handle"' in page
    assert "<strong>lena</strong>" in page


def test_delete_with_wrong_password_is_refused_and_changes_nothing(client):
    w = world()
    log_in(client, w["learner"])
    resp = client.post("/account/delete", data={"password": "wrong-password", "confirm_handle": "lena"})
    assert resp.status_code == 422
    assert "Not correct." in resp.text
    assert 'value="lena"' in resp.text                  # what was typed is kept
    db.session.expire_all()
    assert db.session.get(User, w["learner"].id) is not None
    assert count(MissionAttempt, MissionAttempt.learner_id == w["learner"].id) == 1
    assert get_storage().exists(w["file"].key)


def test_delete_with_the_wrong_handle_is_refused(client):
    w = world()
    log_in(client, w["learner"])
    resp = client.post("/account/delete", data={"password": PASSWORD, "confirm_handle": "olga"})
    assert resp.status_code == 422
    assert "Type your handle, lena, to confirm." in resp.text
    db.session.expire_all()
    assert db.session.get(User, w["learner"].id) is not None


def test_learner_deletes_account_work_and_files_go_others_stay(client):
    w = world()
    learner, other = w["learner"], w["other"]
    make_token(learner)
    log_in(client, learner)
    keys = [w["file"].key]
    uid, other_id, mentor_id, cap_id = learner.id, other.id, w["mentor"].id, w["capstone"].id
    resp = client.post("/account/delete", data={"password": PASSWORD, "confirm_handle": "LENA "})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/")
    home = client.get("/").text
    assert "Your account and everything in it were deleted." in home
    assert "Learn cybersecurity by doing the job" in home          # logged out: the visitor's page
    assert client.get("/account").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, uid) is None
    for model, column in ((MissionAttempt, MissionAttempt.learner_id), (CapstoneProject, CapstoneProject.learner_id),
                          (MentorshipInteraction, MentorshipInteraction.learner_id),
                          (PortfolioItem, PortfolioItem.owner_id), (StoredFile, StoredFile.owner_id),
                          (ApiToken, ApiToken.user_id), (UserSession, UserSession.user_id),
                          (MentorAssignment, MentorAssignment.learner_id)):
        assert count(model, column == uid) == 0, model.__name__
    assert count(CapstoneActivity, CapstoneActivity.capstone_id == cap_id) == 0
    assert not any(get_storage().exists(k) for k in keys)
    # the other learner and the mentor are untouched
    assert db.session.get(User, other_id) is not None and db.session.get(User, mentor_id) is not None
    assert count(MissionAttempt, MissionAttempt.learner_id == other_id) == 1
    assert get_storage().exists(w["other_file"].key)


def test_mentor_deletes_account_reviews_stay_as_former_mentor(client, app):
    w = world()
    mentor, learner = w["mentor"], w["learner"]
    draft_cap = make_capstone(learner, make_mission())
    draft = make_review(mentor, draft_cap, status="draft", written_feedback="Unshared draft")
    mentor_id, review_id, draft_id = mentor.id, w["review"].id, draft.id
    log_in(client, mentor)
    resp = client.post("/account/delete", data={"password": PASSWORD, "confirm_handle": mentor.handle})
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, mentor_id) is None
    kept = db.session.get(MentorshipInteraction, review_id)
    assert kept is not None and kept.mentor_id is None and kept.written_feedback == FEEDBACK
    assert db.session.get(MentorshipInteraction, draft_id) is None
    assert count(MentorAssignment, MentorAssignment.learner_id == learner.id) == 0
    # the learner's work is theirs still, and their review page names a former mentor
    learner_client = app.test_client()
    log_in(learner_client, learner)
    page = learner_client.get(f"/mentorship/reviews/{kept.id}").text
    assert FEEDBACK in page
    assert "former mentor" in page and "Morgan Mentor" not in page
    listing = learner_client.get("/mentorship/reviews").text
    assert "former mentor" in listing and "Morgan Mentor" not in listing
    capstone = learner_client.get(f"/capstones/{w['capstone'].id}")
    assert capstone.status_code == 200 and "Morgan Mentor" not in capstone.text
    _, data = unzip(learner_client.get("/account/export"))
    assert data["reviews_received"][0]["mentor"] == "former mentor"


def test_mentor_deleted_after_approving_is_named_former_mentor_in_the_approval(client):
    from webapp.domain.reviews import phase_summary
    w = world()
    mentor, cap, review = w["mentor"], w["capstone"], w["review"]
    cap.mentor_review_phases = [phase_summary(1, 1, "overall", review.overall_score, "approve", review.submitted_at,
                                              "Morgan Mentor")]
    db.session.commit()
    cap_id = cap.id
    log_in(client, mentor)
    assert client.post("/account/delete", data={"password": PASSWORD,
                                                "confirm_handle": mentor.handle}).status_code == 303
    db.session.expire_all()
    assert db.session.get(CapstoneProject, cap_id).mentor_review_phases[0]["mentor"] == "former mentor"


def test_the_last_admin_cannot_delete_their_account(client):
    admin = make_user("admin")
    log_in(client, admin)
    resp = client.post("/account/delete", data={"password": PASSWORD, "confirm_handle": admin.handle})
    assert resp.status_code == 409
    assert "You are the only admin" in resp.text
    db.session.expire_all()
    assert db.session.get(User, admin.id) is not None


def test_an_admin_with_another_admin_may_delete_their_account(client):
    admin = make_user("admin")
    make_user("admin")
    admin_id = admin.id
    log_in(client, admin)
    resp = client.post("/account/delete", data={"password": PASSWORD, "confirm_handle": admin.handle})
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, admin_id) is None


def test_delete_without_csrf_token_is_refused(raw_client):
    user = make_user("learner")
    log_in(raw_client, user)
    resp = raw_client.post("/account/delete", data={"password": PASSWORD, "confirm_handle": user.handle})
    assert resp.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, user.id) is not None


def test_delete_needs_login(client):
    user = make_user("learner")
    resp = client.post("/account/delete", data={"password": PASSWORD, "confirm_handle": user.handle})
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    assert db.session.get(User, user.id) is not None


# --- every reference to users is handled -------------------------------------------------------------------------

def test_every_column_that_references_users_is_handled_by_account_deletion():
    """A new table that points at users must say here what deleting an account does to it (and delete_account
    must do it: SQLite here does not enforce foreign keys, PostgreSQL does)."""
    from webapp.services.account_data import USER_REFERENCES

    columns = {f"{table.name}.{fk.parent.name}" for table in db.metadata.sorted_tables
               for fk in table.foreign_keys if fk.column.table.name == "users"}
    assert columns == set(USER_REFERENCES)


def test_deleting_an_account_clears_replies_snippets_cohorts_notifications_mail_and_links(client):
    from webapp.models import (AccountToken, CapstonePhaseVersion, Cohort, CohortMember, CommentSnippet,
                               Notification, NotificationPreference, OutgoingEmail, ReviewReply)
    from webapp.services import mail

    w = world()
    learner, mentor, review, cap = w["learner"], w["mentor"], w["review"], w["capstone"]
    other = w["other"]
    other_cap = make_capstone(other, make_mission(title="Other mission"), submitted_at=utcnow())
    other_review = make_review(mentor, other_cap, status="submitted", submitted_at=utcnow())
    cohort = Cohort(name="Spring cohort")
    db.session.add(cohort)
    db.session.flush()
    db.session.add_all([
        ReviewReply(review_id=review.id, author_id=learner.id, body="What did you mean?"),
        ReviewReply(review_id=review.id, author_id=mentor.id, body="Scope first."),
        ReviewReply(review_id=other_review.id, author_id=mentor.id, body="Answer to Olga."),
        CapstonePhaseVersion(capstone_id=cap.id, phase="investigation", review_id=review.id, fields={}),
        CapstonePhaseVersion(capstone_id=other_cap.id, phase="investigation", review_id=other_review.id, fields={}),
        CommentSnippet(owner_id=mentor.id, title="Scope", body="Scope first."),
        CohortMember(cohort_id=cohort.id, user_id=mentor.id), CohortMember(cohort_id=cohort.id, user_id=other.id),
        Notification(user_id=mentor.id, kind="review_reply", subject_type="review", subject_id=review.id,
                     title="Lena replied"),
        Notification(user_id=other.id, kind="review_shared", subject_type="review", subject_id=other_review.id,
                     actor_id=mentor.id, title="Morgan shared a review"),
        NotificationPreference(user_id=mentor.id, kind="review_reply", email="off"),
        AccountToken(purpose="invite", token_hash="a" * 64, email="new@example.com", role="learner",
                     mentor_id=mentor.id, created_by_id=mentor.id, expires_at=utcnow()),
        AccountToken(purpose="reset", token_hash="b" * 64, user_id=mentor.id, email=mentor.email,
                     expires_at=utcnow()),
    ])
    mail.queue_email(mentor.email, "notification", {"name": "M", "title": "T", "kind": "K", "link": "L",
                                                    "settings": "S"}, user=mentor)
    db.session.commit()
    mentor_id, review_id, other_review_id = mentor.id, review.id, other_review.id
    log_in(client, mentor)
    assert client.post("/account/delete", data={"password": PASSWORD, "confirm_handle": mentor.handle}
                       ).status_code == 303
    db.session.expire_all()
    # Their replies stay in the learners' threads, as a former user's; their own things are gone.
    assert {(r.review_id, r.author_id) for r in db.session.scalars(select(ReviewReply))} == {
        (review_id, learner.id), (review_id, None), (other_review_id, None)}
    assert count(CommentSnippet) == 0
    assert [m.user_id for m in db.session.scalars(select(CohortMember))] == [other.id]
    assert [(n.user_id, n.actor_id) for n in db.session.scalars(select(Notification))] == [(other.id, None)]
    assert count(NotificationPreference) == 0
    assert count(OutgoingEmail) == 0
    invite = db.session.scalar(select(AccountToken).where(AccountToken.purpose == "invite"))
    assert (invite.mentor_id, invite.created_by_id) == (None, None)
    assert count(AccountToken, AccountToken.purpose == "reset") == 0
    assert count(CapstonePhaseVersion) == 2          # the learners' kept versions stay with their capstones


def test_deleting_a_learner_takes_the_threads_versions_and_notifications_of_their_work(client):
    from webapp.models import CapstonePhaseVersion, Notification, ReviewReply

    w = world()
    learner, mentor, review, cap = w["learner"], w["mentor"], w["review"], w["capstone"]
    db.session.add_all([
        ReviewReply(review_id=review.id, author_id=mentor.id, body="Scope first."),
        CapstonePhaseVersion(capstone_id=cap.id, phase="investigation", review_id=review.id, fields={}),
        Notification(user_id=mentor.id, kind="capstone_submitted", subject_type="capstone", subject_id=cap.id,
                     actor_id=learner.id, title="Lena submitted"),
    ])
    db.session.commit()
    log_in(client, learner)
    assert client.post("/account/delete", data={"password": PASSWORD, "confirm_handle": "lena"}).status_code == 303
    db.session.expire_all()
    assert count(ReviewReply) == 0 and count(CapstonePhaseVersion) == 0 and count(Notification) == 0
