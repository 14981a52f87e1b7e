"""Your data: everything of a user's in one ZIP, and deleting the account (README, Your data; docs/security.md).

The export holds `data.json` (the profile, attempts with answers and scores, capstones with their phase fields,
the reviews received, the next steps they recommend, portfolio items, the list of files) and the user's files
under `files/`, read through the storage interface so the S3 backend works as the local one does.

Deleting an account removes the user's work and files and keeps the reviews they wrote as a mentor, shown as by
a "former mentor". Every foreign key to `users` is handled here explicitly, in one transaction, so the result
is the same on SQLite (which does not enforce foreign keys here) and on PostgreSQL (which does):

| table.column                          | on deletion of the user                                              |
|---------------------------------------|----------------------------------------------------------------------|
| mission_attempts.learner_id           | their attempts deleted                                               |
| mission_attempts.claimed_by_id        | others' attempts they held for review: claim released (NULL)         |
| capstone_projects.learner_id          | their capstones deleted, with their activity rows                    |
| capstone_projects.claimed_by_id       | others' capstones they held: claim released (NULL)                   |
| capstone_activities.actor_id          | their entries in others' capstone history: actor NULL                |
| mentorship_interactions.learner_id    | reviews of their work deleted (they go with the work)                |
| mentorship_interactions.mentor_id     | submitted reviews they wrote kept, mentor NULL ("former mentor");    |
|                                       | their unsubmitted drafts deleted (nothing was shared yet)            |
| portfolio_items.owner_id              | their items deleted, with their transitions                          |
| portfolio_items.reviewed_by_id        | others' items they approved: reviewer NULL                           |
| portfolio_transitions.actor_id        | their entries in others' item history: actor NULL                    |
| stored_files.owner_id                 | their files deleted: rows in the transaction, objects after commit   |
| stored_files.uploaded_by_id           | files they uploaded to others' reviews (kept with those): NULL       |
| mentor_assignments.mentor/learner_id  | deleted                                                              |
| user_sessions.user_id                 | deleted (every session ends)                                         |
| api_tokens.user_id                    | deleted                                                              |
| account_tokens.user_id                | their reset links deleted                                            |
| account_tokens.mentor_id/created_by_id| invitations naming them as mentor or inviter: NULL                   |
| review_replies.author_id              | their replies in others' review conversations: author NULL           |
|                                       | ("Former user"); replies under reviews of their work go with those   |
| comment_snippets.owner_id             | their comment bank deleted                                           |
| cohort_members.user_id                | taken out of their cohorts                                           |
| notifications.user_id                 | their notifications deleted                                          |
| notifications.actor_id                | others' notifications of what they did: actor NULL                   |
| notification_preferences.user_id      | deleted                                                              |
| outgoing_emails.user_id               | e-mail to them not yet sent deleted; the sent log's rows: user NULL  |

Rows that hang off their deleted work (replies under the reviews of it, the kept versions of their capstones'
phases) go with it; `USER_REFERENCES` names every column, and a test holds it to the models.
"""
from __future__ import annotations

import json
import re
import shutil
import tempfile
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash

from .. import caching
from ..domain import reviews as review_rules
from ..domain.errors import Conflict, Invalid
from ..extensions import db
from ..models import (AccountToken, ApiToken, CapstoneActivity, CapstonePhaseVersion, CapstoneProject, CohortMember,
                      CommentSnippet, MentorAssignment, MentorshipInteraction, MissionAttempt, Notification,
                      NotificationPreference, OutgoingEmail, PortfolioItem, PortfolioTransition, ReviewReply,
                      StoredFile, User, UserSession)
from ..models.base import utcnow
from ..storage import ObjectNotFound, get_storage
from . import accounts

EXPORT_FORMAT = "mastery-tracks-export"
EXPORT_VERSION = 1

# Columns never exported: links to other rows the export names otherwise, secrets, the mission copy an attempt
# keeps (it holds the checks' accepted answers and model answers), and bookkeeping.
_SKIP = {"learner_id", "owner_id", "mentor_id", "claimed_by_id", "claimed_at", "reviewed_by_id", "version_id",
         "mission_snapshot", "share_token", "password_hash", "uploaded_for"}
PROFILE_FIELDS = ("email", "display_name", "handle", "role", "bio", "website_url", "github_url", "linkedin_url",
                  "contact_email", "show_scores", "created_at", "last_login_at")


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _columns(row, skip: set[str] = frozenset()) -> dict:
    return {c.key: _plain(getattr(row, c.key)) for c in row.__table__.columns if c.key not in _SKIP | skip}


def _mission(m) -> dict | None:
    return {"slug": m.slug, "title": m.title, "track": m.track, "tier": m.tier} if m is not None else None


def _file_path(row: StoredFile) -> str:
    """The file's name inside the ZIP: files/<id>-<its name>, with nothing that could leave the folder."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", row.filename or "file").strip("._") or "file"
    return f"files/{row.id}-{name[:120]}"


def _own_files(user: User) -> list[StoredFile]:
    return db.session.scalars(select(StoredFile).where(StoredFile.owner_id == user.id,
                                                       StoredFile.stored_at.is_not(None))
                              .order_by(StoredFile.id)).all()


def export_data(user: User) -> dict:
    """Everything of `user`'s as one JSON document (the README documents it). Reviews are those shared with
    them (submitted); their drafts and other learners' data are not included."""
    attempts = db.session.scalars(select(MissionAttempt).options(joinedload(MissionAttempt.mission))
                                  .where(MissionAttempt.learner_id == user.id)
                                  .order_by(MissionAttempt.started_at, MissionAttempt.id)).all()
    capstones = db.session.scalars(select(CapstoneProject).options(joinedload(CapstoneProject.mission))
                                   .where(CapstoneProject.learner_id == user.id)
                                   .order_by(CapstoneProject.id)).all()
    reviews = db.session.scalars(select(MentorshipInteraction).options(
        joinedload(MentorshipInteraction.mentor), joinedload(MentorshipInteraction.mission))
        .where(MentorshipInteraction.learner_id == user.id, MentorshipInteraction.status == "submitted")
        .order_by(MentorshipInteraction.submitted_at, MentorshipInteraction.id)).all()
    items = db.session.scalars(select(PortfolioItem).options(joinedload(PortfolioItem.reviewed_by))
                               .where(PortfolioItem.owner_id == user.id).order_by(PortfolioItem.id)).all()
    files = _own_files(user)
    mentors = db.session.scalars(select(MentorAssignment).options(joinedload(MentorAssignment.mentor))
                                 .where(MentorAssignment.learner_id == user.id)
                                 .order_by(MentorAssignment.id)).all()

    def review(r: MentorshipInteraction) -> dict:
        return {**_columns(r, {"status", "mission_id"}), "mission": _mission(r.mission),
                "mentor": review_rules.mentor_name(r.mentor.display_name if r.mentor else None)}

    next_steps = [{**step, "review_id": r.id, "mentor": review_rules.mentor_name(r.mentor.display_name if r.mentor
                                                                                 else None),
                   "done": i in (r.next_steps_done or [])}
                  for r in reviews for i, step in enumerate(r.recommended_next_steps or [])
                  if isinstance(step, dict)]
    return {
        "format": EXPORT_FORMAT, "version": EXPORT_VERSION, "exported_at": utcnow().isoformat(),
        "profile": {name: _plain(getattr(user, name)) for name in PROFILE_FIELDS},
        "mentors": [{"mentor": a.mentor.display_name, "track": a.track} for a in mentors],
        "attempts": [{**_columns(a, {"mission_id"}), "mission": _mission(a.mission)} for a in attempts],
        "capstones": [{**_columns(c, {"mission_id"}), "mission": _mission(c.mission)} for c in capstones],
        "reviews_received": [review(r) for r in reviews],
        "next_steps": next_steps,
        "portfolio_items": [{**_columns(i), "reviewed_by": i.reviewed_by.display_name if i.reviewed_by else None}
                            for i in items],
        "files": [{"id": f.id, "path": _file_path(f), "filename": f.filename, "kind": f.kind,
                   "content_type": f.content_type, "size": f.size, "parent_id": f.parent_id,
                   "capstone_id": f.capstone_id, "review_id": f.review_id,
                   "portfolio_item_id": f.portfolio_item_id, "created_at": _plain(f.created_at)} for f in files],
    }


def export_zip(user: User) -> IO[bytes]:
    """The ZIP of `export_data` and the user's files, in a temporary file (kept in memory while small, on disk
    beyond that) positioned at its start, for the view to stream. A file missing from storage is listed in
    data.json with `"missing": true` rather than failing the whole export."""
    import zipfile

    data = export_data(user)
    rows = {f.id: f for f in _own_files(user)}
    storage = get_storage()
    out = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)      # noqa: SIM115 (the caller closes it)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for entry in data["files"]:
            try:
                with storage.open(rows[entry["id"]].key) as body, zf.open(entry["path"], "w") as target:
                    shutil.copyfileobj(body, target, 1024 * 1024)
            except ObjectNotFound:
                entry["missing"] = True
        zf.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2, default=str))
    out.seek(0)
    return out


def export_filename(user: User) -> str:
    return f"mastery-tracks-{user.handle}-{utcnow():%Y%m%d}.zip"


def check_deletion(user: User, password: str, handle: str) -> None:
    """Refuse unless the password is right and the handle was typed; refuse the last active admin (someone
    must be able to manage the site: they hand the role to another user first)."""
    problems = {}
    if not check_password_hash(user.password_hash, password or ""):
        problems["password"] = "Not correct."
    if (handle or "").strip().lower() != user.handle:
        problems["confirm_handle"] = f"Type your handle, {user.handle}, to confirm."
    if problems:
        raise Invalid("Your account was not deleted: check the fields below.", fields=problems)
    if user.role == "admin" and user.is_active and accounts.count_admins() <= 1:
        raise Conflict("You are the only admin: make another user an admin first, then delete your account.")


def delete_account(user: User, password: str, handle: str) -> int:
    """Delete `user` and everything of theirs (see the module's table), in one transaction; then delete their
    files' objects from storage. Returns the number of files deleted."""
    check_deletion(user, password, handle)
    uid = user.id
    s = db.session
    MI = MentorshipInteraction
    try:
        # Files first (their rows point at work about to go): the user's own, captions included.
        files = s.scalars(select(StoredFile).where(StoredFile.owner_id == uid)).all()
        file_ids = [f.id for f in files]
        keys = [f.key for f in files]
        if file_ids:
            captions = s.scalars(select(StoredFile).where(StoredFile.parent_id.in_(file_ids),
                                                          StoredFile.owner_id != uid)).all()
            keys += [c.key for c in captions]
            s.execute(delete(StoredFile).where(StoredFile.parent_id.in_(file_ids)))
            s.execute(delete(StoredFile).where(StoredFile.id.in_(file_ids)))
        s.execute(update(StoredFile).where(StoredFile.uploaded_by_id == uid).values(uploaded_by_id=None))

        # Reviews: of their work, deleted (with any media a mentor attached to them); the ones they wrote as a
        # mentor kept once submitted, drafts deleted.
        gone_reviews = select(MI.id).where(or_(MI.learner_id == uid, (MI.mentor_id == uid) & (MI.status == "draft")))
        media = s.scalars(select(StoredFile).where(StoredFile.review_id.in_(gone_reviews))).all()
        keys += [m.key for m in media]
        if media:
            media_ids = [m.id for m in media]
            keys += list(s.scalars(select(StoredFile.key).where(StoredFile.parent_id.in_(media_ids))))
            s.execute(delete(StoredFile).where(StoredFile.parent_id.in_(media_ids)))
            s.execute(delete(StoredFile).where(StoredFile.id.in_(media_ids)))
        s.execute(delete(ReviewReply).where(ReviewReply.review_id.in_(gone_reviews)))
        s.execute(update(ReviewReply).where(ReviewReply.author_id == uid).values(author_id=None))
        s.execute(update(CapstonePhaseVersion).where(CapstonePhaseVersion.review_id.in_(gone_reviews))
                  .values(review_id=None))
        _forget_notifications_about("review", gone_reviews)
        _rename_in_approvals(uid)
        s.execute(delete(MI).where(MI.id.in_(gone_reviews)).execution_options(synchronize_session=False))
        s.execute(update(MI).where(MI.mentor_id == uid).values(mentor_id=None)
                  .execution_options(synchronize_session=False))

        # Portfolio, capstones, attempts: theirs deleted; their part in others' released.
        items = select(PortfolioItem.id).where(PortfolioItem.owner_id == uid)
        _forget_notifications_about("portfolio_item", items)
        s.execute(delete(PortfolioTransition).where(PortfolioTransition.item_id.in_(items)))
        s.execute(update(PortfolioTransition).where(PortfolioTransition.actor_id == uid).values(actor_id=None))
        s.execute(delete(PortfolioItem).where(PortfolioItem.owner_id == uid))
        s.execute(update(PortfolioItem).where(PortfolioItem.reviewed_by_id == uid).values(reviewed_by_id=None))
        caps = select(CapstoneProject.id).where(CapstoneProject.learner_id == uid)
        _forget_notifications_about("capstone", caps)
        s.execute(delete(CapstonePhaseVersion).where(CapstonePhaseVersion.capstone_id.in_(caps)))
        s.execute(delete(CapstoneActivity).where(CapstoneActivity.capstone_id.in_(caps)))
        s.execute(update(CapstoneActivity).where(CapstoneActivity.actor_id == uid).values(actor_id=None))
        s.execute(delete(CapstoneProject).where(CapstoneProject.learner_id == uid))
        s.execute(update(CapstoneProject).where(CapstoneProject.claimed_by_id == uid)
                  .values(claimed_by_id=None, claimed_at=None))
        _forget_notifications_about("attempt", select(MissionAttempt.id).where(MissionAttempt.learner_id == uid))
        s.execute(delete(MissionAttempt).where(MissionAttempt.learner_id == uid))
        s.execute(update(MissionAttempt).where(MissionAttempt.claimed_by_id == uid)
                  .values(claimed_by_id=None, claimed_at=None))

        # The account itself.
        s.execute(delete(MentorAssignment).where(or_(MentorAssignment.mentor_id == uid,
                                                     MentorAssignment.learner_id == uid)))
        s.execute(delete(UserSession).where(UserSession.user_id == uid))
        s.execute(delete(ApiToken).where(ApiToken.user_id == uid))
        s.execute(delete(AccountToken).where(AccountToken.user_id == uid))
        s.execute(update(AccountToken).where(AccountToken.mentor_id == uid).values(mentor_id=None))
        s.execute(update(AccountToken).where(AccountToken.created_by_id == uid).values(created_by_id=None))
        s.execute(delete(CommentSnippet).where(CommentSnippet.owner_id == uid))
        s.execute(delete(CohortMember).where(CohortMember.user_id == uid))
        s.execute(delete(Notification).where(Notification.user_id == uid))
        s.execute(update(Notification).where(Notification.actor_id == uid).values(actor_id=None))
        s.execute(delete(NotificationPreference).where(NotificationPreference.user_id == uid))
        s.execute(delete(OutgoingEmail).where(OutgoingEmail.user_id == uid,
                                              OutgoingEmail.status.in_(("queued", "sending"))))
        s.execute(update(OutgoingEmail).where(OutgoingEmail.user_id == uid).values(user_id=None))
        s.execute(delete(User).where(User.id == uid).execution_options(synchronize_session=False))
        # Core statements above bypass the flush that tells the caches what changed: every cached page may
        # name this user (their work, their reviews, the people lists), so all of them are made anew.
        caching.mark_all_changed(s)
        s.commit()
    except Exception:
        s.rollback()
        raise
    if user in s:
        s.expunge(user)         # its row is gone: nothing may try to reload it
    storage = get_storage()
    failed = []
    for key in keys:
        try:
            storage.delete(key)
        except Exception:       # the rows are gone; an object left behind is reported, never a failed deletion
            failed.append(key)
    if failed:
        current_app.logger.warning("Account %s deleted; could not delete these stored objects: %s", uid, failed)
    return len(keys)


def _forget_notifications_about(subject_type: str, ids) -> None:
    """Others' notifications about work being deleted with the account (their links would lead nowhere)."""
    db.session.execute(delete(Notification).where(Notification.subject_type == subject_type,
                                                  Notification.subject_id.in_(ids)))


# Every column that references users.id, and what deleting an account does to it (the module's table);
# tests/account holds it to the models, so a new reference cannot be forgotten here.
USER_REFERENCES = {
    "mission_attempts.learner_id": "deleted", "mission_attempts.claimed_by_id": "released",
    "capstone_projects.learner_id": "deleted", "capstone_projects.claimed_by_id": "released",
    "capstone_activities.actor_id": "NULL",
    "mentorship_interactions.learner_id": "deleted", "mentorship_interactions.mentor_id": "NULL (submitted kept)",
    "portfolio_items.owner_id": "deleted", "portfolio_items.reviewed_by_id": "NULL",
    "portfolio_transitions.actor_id": "NULL",
    "stored_files.owner_id": "deleted", "stored_files.uploaded_by_id": "NULL",
    "mentor_assignments.mentor_id": "deleted", "mentor_assignments.learner_id": "deleted",
    "user_sessions.user_id": "deleted", "api_tokens.user_id": "deleted",
    "account_tokens.user_id": "deleted", "account_tokens.mentor_id": "NULL", "account_tokens.created_by_id": "NULL",
    "review_replies.author_id": "NULL", "comment_snippets.owner_id": "deleted", "cohort_members.user_id": "deleted",
    "notifications.user_id": "deleted", "notifications.actor_id": "NULL",
    "notification_preferences.user_id": "deleted", "outgoing_emails.user_id": "unsent deleted, else NULL",
}


def _rename_in_approvals(mentor_id: int) -> None:
    """The approval summary a capstone keeps (`mentor_review_phases`) names each phase's mentor: the phases this
    mentor wrote now say "former mentor"."""
    MI = MentorshipInteraction
    written = db.session.execute(select(MI.capstone_id, MI.review_phase, MI.submitted_at).where(
        MI.mentor_id == mentor_id, MI.status == "submitted", MI.capstone_id.is_not(None))).all()
    mine: dict[int, set[tuple[int, str | None]]] = {}
    for capstone_id, phase, submitted_at in written:
        mine.setdefault(capstone_id, set()).add((phase, submitted_at.isoformat() if submitted_at else None))
    if not mine:
        return
    for cap in db.session.scalars(select(CapstoneProject).where(CapstoneProject.id.in_(list(mine)))):
        phases = cap.mentor_review_phases or []
        renamed = [{**p, "mentor": review_rules.FORMER_MENTOR}
                   if (p.get("review_phase"), p.get("submitted_at")) in mine[cap.id] else p for p in phases]
        if renamed != phases:
            cap.mentor_review_phases = renamed
    db.session.flush()
