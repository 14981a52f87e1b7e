"""Uploads and downloads: check by content and size, store under a random key, record, authorise.

Nothing is left behind by a refused or failed upload: the checks run first, then the database row is
committed, then the object is stored, then the row is marked stored (`stored_at`); if storing fails the row is
removed again. That order means no object ever exists without a row naming it, even when the process dies in
between (a killed worker, a lost machine). Until it is marked stored a row is nobody's file: it is not listed,
downloaded, attached or deleted, and `flask files sweep` removes it (and its object, if one got stored).

Files taken off saved work (a recording replaced or removed, a capstone file no longer linked, a deleted capstone)
go back to that state inside the transaction that takes them off (`release`), and are deleted, objects first, once
it has committed (`purge`): they answer 404 at once, and a write that fails never deletes a file still in use.
"""
from __future__ import annotations

import codecs
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from collections.abc import Iterable
from typing import BinaryIO

from flask import current_app
from sqlalchemy import or_, select

from ..domain import uploads
from ..domain.errors import Forbidden, Invalid, NotFound
from ..domain.portfolio import CAPSTONE_RESULT, case_study_file_keys, publicly_listed, reachable_by_link
from ..domain.policies import Actor
from ..domain.visibility import FileFacts, can_delete_file, can_download_file, caption_shown
from ..extensions import db
from ..models import PortfolioItem, StoredFile, User
from ..models.base import utcnow
from ..storage import ObjectNotFound, get_storage, new_key
from . import access, media

UNATTACHED_GRACE = timedelta(days=1)


def _stream_size(stream: BinaryIO) -> int:
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def store_upload(uploader: User, stream: BinaryIO, client_name: str | None, kind_key: str, *,
                 owner: User | None = None, parent: StoredFile | None = None,
                 uploaded_for: str | None = None) -> StoredFile:
    """Check an uploaded stream and keep it. `owner` is whose work it is (default: the uploader);
    `uploaded_for` where it was uploaded (uploads.clean_upload_context), the only place it is offered until saved."""
    kind = uploads.get_kind(kind_key)
    if stream is None:
        raise Invalid("Choose a file to upload.", fields={"file": "Choose a file."})
    max_mb = int(current_app.config["MAX_UPLOAD_MB"])
    size = _stream_size(stream)
    uploads.check_size(kind, size, max_mb)
    detected = media.detect(stream, kind)
    key = new_key(f"files/{kind.key}")
    row = StoredFile(key=key, owner_id=(owner or uploader).id, uploaded_by_id=uploader.id, kind=kind.key,
                     type_key=detected.file_type.key, filename=uploads.display_name(client_name, detected.file_type),
                     content_type=detected.file_type.mime, size=size,
                     duration_seconds=detected.duration_seconds,
                     uploaded_for=uploads.clean_upload_context(uploaded_for))
    # The row first (see the module's docstring): a database that is down refuses the upload before anything
    # is stored, and a crash after this commit leaves a row the sweep finds, never an object nothing names.
    db.session.add(row)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    try:
        stored = get_storage().save(key, stream, content_type=detected.file_type.mime,
                                    max_bytes=uploads.limit_bytes(kind, max_mb))
    except BaseException:
        _forget(row, key)
        raise
    # Only now is it a file anyone can list, download, attach or delete: a crash before this commit leaves a row
    # nobody sees, which the sweep removes with its object, if any.
    row.stored_at = utcnow()
    if parent is not None:
        row.parent_id = parent.id
        row.attached_at = row.stored_at
    row.size = stored           # what was really stored, should the stream have changed under us
    db.session.commit()
    return row


def _forget(row: StoredFile, key: str) -> None:
    """Remove the row of an upload whose object could not be stored. If the database fails too, the row stays
    unattached and `flask files sweep` removes it later; the storage error is the one to report."""
    try:
        db.session.delete(row)
        db.session.commit()
    except Exception:
        db.session.rollback()
        current_app.logger.warning("Could not remove the record of failed upload %s; the sweep will", key)


DIRECT_SALT = "mastery-direct-upload"
DIRECT_MAX_AGE = 2 * 60 * 60


def _direct_signer():
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(current_app.secret_key, salt=DIRECT_SALT)


def start_direct_upload(uploader: User, kind_key: str, filename: str | None, size: int,
                        content_type: str | None, uploaded_for: str | None = None) -> dict | None:
    """A presigned POST for sending a large file straight to the bucket, or None when the backend has none.

    The object lands under incoming/ (a bucket lifecycle rule expires what is never confirmed); the
    signed token names the key, the uploader and the kind, so only they can confirm it.
    """
    kind = uploads.get_kind(kind_key)
    max_mb = int(current_app.config["MAX_UPLOAD_MB"])
    uploads.check_size(kind, int(size or 0), max_mb)
    content_type = (content_type or "application/octet-stream").strip()[:120]
    key = new_key(f"incoming/{kind.key}")
    post = get_storage().presigned_post(key, content_type=content_type,
                                        max_bytes=uploads.limit_bytes(kind, max_mb), expires=DIRECT_MAX_AGE)
    if post is None:
        return None
    token = _direct_signer().dumps({"k": key, "u": uploader.id, "kind": kind.key, "n": (filename or "")[:200],
                                    "f": uploads.clean_upload_context(uploaded_for)})
    return {"url": post["url"], "fields": post["fields"], "token": token}


def finish_direct_upload(uploader: User, token: str) -> StoredFile:
    """Check a directly uploaded object like any upload, keep it under a final key, drop the incoming one."""
    import tempfile

    from itsdangerous import BadData

    try:
        data = _direct_signer().loads(token or "", max_age=DIRECT_MAX_AGE)
    except BadData:
        raise Invalid("This upload link is not valid or has expired; upload the file again.",
                      fields={"token": "invalid or expired"}) from None
    if data.get("u") != uploader.id:
        raise Forbidden("This upload belongs to someone else.")
    storage = get_storage()
    key = data["k"]
    if not storage.exists(key):
        raise Invalid("The file did not arrive in storage; upload it again.", fields={"file": "not received"})
    try:
        kind = uploads.get_kind(data["kind"])
        uploads.check_size(kind, storage.size(key), int(current_app.config["MAX_UPLOAD_MB"]))
        with tempfile.TemporaryFile() as tmp, storage.open(key) as body:
            while chunk := body.read(1024 * 1024):
                tmp.write(chunk)
            tmp.seek(0)
            return store_upload(uploader, tmp, data.get("n"), kind.key, uploaded_for=data.get("f"))
    finally:
        storage.delete(key)


def get_file(key: str) -> StoredFile:
    from ..storage import check_key

    check_key(key)
    row = db.session.scalar(select(StoredFile).where(StoredFile.key == key, StoredFile.stored_at.is_not(None)))
    if row is None:
        raise NotFound("That file does not exist.")
    return row


def facts(row: StoredFile) -> FileFacts:
    """Whose file it is, and whether an approved public item shows it: as evidence, or as the report or
    presentation of a capstone_result's case study (captions go with the recording they caption)."""
    subject = row
    if row.parent_id is not None and row.portfolio_item_id is None:
        subject = db.session.get(StoredFile, row.parent_id) or row
    owner_id, uploader = subject.owner_id, subject.uploaded_by_id
    owner_active = bool(db.session.scalar(select(User.is_active).where(User.id == owner_id)))
    approved_at = None
    if owner_active and row.type_key != "zip":
        if subject.portfolio_item_id is not None:
            item = db.session.get(PortfolioItem, subject.portfolio_item_id)
            if item is not None and publicly_listed(item.status, item.visibility):
                approved_at = item.reviewed_at or item.updated_at
        elif subject.capstone_id is not None:
            approved_at = _public_case_study_approval(subject)
    public = approved_at is not None and (subject is row or caption_shown(row.stored_at, approved_at))
    return FileFacts(owner_id=owner_id, uploaded_by_id=uploader, public=public, owner_active=owner_active)


def readable(actor: Actor, key: str) -> StoredFile:
    """The stored file behind `key` if `actor` may read it (the one rule downloads and previews share:
    `can_download` over `facts`). NotFound when there is none, or its owner was deactivated and the actor is not one
    who may still read it; Forbidden otherwise (the caller sends an anonymous actor to log in instead)."""
    row = get_file(key)
    file_facts = facts(row)
    if not can_download(actor, row, file_facts):
        if not file_facts.owner_active:
            # A deactivated owner's public files are gone, as their public page is (404, not a login page).
            raise NotFound("That file does not exist.")
        raise Forbidden("You do not have access to this file.")
    return row


@dataclass(frozen=True)
class TextPreview:
    """The start of a text upload, decoded for showing in the page (uploads.preview_kind "text" or "markdown")."""

    kind: str
    text: str
    shown_bytes: int
    size: int

    @property
    def truncated(self) -> bool:
        return self.shown_bytes < self.size


def text_preview(row: StoredFile, cap: int = uploads.TEXT_PREVIEW_BYTES) -> TextPreview:
    """Read at most `cap` bytes of a text upload. Bytes that are not UTF-8 (an object changed in the bucket, a row
    stored before the check) become U+FFFD, as do NULs; a character cut by the cap is left out. Never raises for
    content; a missing object is NotFound."""
    kind = uploads.preview_kind(row.type_key, row.filename)
    if kind not in ("text", "markdown"):
        raise NotFound("This file has no text preview.")
    try:
        with closing(get_storage().open(row.key)) as body:
            data = body.read(cap + 1)
    except ObjectNotFound:
        raise NotFound("That file does not exist.") from None
    truncated = len(data) > cap
    data = data[:cap]
    text = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(data, final=not truncated)
    text = text.removeprefix("\ufeff").replace("\x00", "\ufffd")
    size = max(row.size or 0, len(data) + (1 if truncated else 0))
    return TextPreview(kind=kind, text=text, shown_bytes=len(data), size=size)


def _public_case_study_approval(row: StoredFile):
    """When the latest approved, public capstone_result item of its owner that shows the file (the report or
    presentation in its snapshot) was approved; None when no such item shows it (never a file the live capstone
    names later, nor any other file of the capstone)."""
    items = db.session.scalars(select(PortfolioItem).where(
        PortfolioItem.capstone_id == row.capstone_id, PortfolioItem.owner_id == row.owner_id,
        PortfolioItem.item_type == CAPSTONE_RESULT, PortfolioItem.status == "approved",
        PortfolioItem.visibility == "public")).all()
    times = [i.reviewed_at or i.updated_at for i in items
             if publicly_listed(i.status, i.visibility) and row.key in case_study_file_keys(i.case_study)]
    return max(times, default=None)


def work_of_file(row: StoredFile) -> access.Work:
    """The work a file is part of (a capstone, a review's capstone or attempt, a portfolio item; for captions,
    their recording's), whose readers may download it. An upload not yet part of saved work has no track."""
    from ..models import CapstoneProject, MentorshipInteraction

    if row.parent_id is not None:
        parent = db.session.get(StoredFile, row.parent_id)
        if parent is not None:
            row = parent
    if row.capstone_id is not None and (cap := db.session.get(CapstoneProject, row.capstone_id)) is not None:
        return access.work_of(cap)
    if row.review_id is not None and (review := db.session.get(MentorshipInteraction, row.review_id)) is not None:
        subject = review.capstone if review.capstone_id else review.attempt
        if subject is not None:
            return access.work_of(subject)
    if row.portfolio_item_id is not None and (item := db.session.get(PortfolioItem, row.portfolio_item_id)):
        return access.item_work(item)
    return access.Work(row.owner_id, None)


def can_download(actor: Actor, row: StoredFile, file_facts: FileFacts | None = None) -> bool:
    file_facts = file_facts or facts(row)
    if file_facts.public or actor.id is None or actor.id in (file_facts.uploaded_by_id, file_facts.owner_id):
        # Decided without loading the work: public, anonymous, the uploader, or the owner (whose work it is).
        return can_download_file(actor, file_facts, actor.id is not None and actor.id == file_facts.owner_id)
    return can_download_file(actor, file_facts, access.may_read(actor, work_of_file(row)))


def get_file_by_id(file_id: int) -> StoredFile:
    row = db.session.get(StoredFile, file_id)
    if row is None or row.stored_at is None:
        raise NotFound("That file does not exist.")
    return row


def captions_parent(actor: Actor, key: str) -> StoredFile:
    """The audio or video a captions file is for; only its uploader (or an admin) adds captions."""
    parent = get_file(key)
    if not parent.is_media:
        raise Invalid("Captions go with an audio or video file.", fields={"captions_for": "not audio or video"})
    if not (actor.is_admin or actor.id == parent.uploaded_by_id):
        raise Forbidden("Only the person who uploaded this recording can add captions to it.")
    return parent


def shared_evidence(token: str, key: str) -> StoredFile:
    """A file of an approved item reached through the item's current secret link (never archives): its evidence,
    or the report or presentation of its case study snapshot, and the captions of those recordings (they go with
    the recording they caption, as in facts()). Nothing while the owner is deactivated."""
    row = get_file(key)
    subject = row
    if row.parent_id is not None and row.portfolio_item_id is None:
        subject = db.session.get(StoredFile, row.parent_id) or row
    item = db.session.scalar(select(PortfolioItem).where(PortfolioItem.share_token == token)) if token else None
    shown = item is not None and (
        subject.portfolio_item_id == item.id
        or (item.item_type == CAPSTONE_RESULT and item.capstone_id is not None
            and subject.capstone_id == item.capstone_id and subject.key in case_study_file_keys(item.case_study)))
    if not shown or not reachable_by_link(item.status, item.visibility) or row.type_key == "zip" \
            or (subject is not row and not caption_shown(row.stored_at, item.reviewed_at or item.updated_at)) \
            or not db.session.scalar(select(User.is_active).where(User.id == item.owner_id)):
        raise NotFound("That file does not exist, or the link has changed.")
    return row


def list_uploads(user: User, limit: int = 20) -> list[StoredFile]:
    return db.session.scalars(select(StoredFile).where(StoredFile.uploaded_by_id == user.id,
                                                       StoredFile.parent_id.is_(None), StoredFile.stored_at.is_not(None))
                              .order_by(StoredFile.created_at.desc(), StoredFile.id.desc()).limit(limit)).all()


def delete_file(actor: Actor, key: str) -> None:
    row = get_file(key)
    attached = any(v is not None for v in (row.capstone_id, row.review_id, row.portfolio_item_id))
    if not can_delete_file(actor, facts(row), attached):
        raise Forbidden("You can only discard your own uploads that are not part of saved work.")
    keys = [row.key] + [c.key for c in row.captions]
    db.session.delete(row)
    db.session.commit()
    storage = get_storage()
    for k in keys:
        storage.delete(k)


def attach(keys: list[str], *, owner_id: int, field: str, capstone_id: int | None = None,
           review_id: int | None = None, portfolio_item_id: int | None = None) -> list[StoredFile]:
    """Attach uploads to saved work, in the caller's transaction (the caller commits).

    Only unattached uploads of that owner (uploaded by them or, for review media, for them) qualify;
    anything else is refused with a message naming the key.
    """
    if not keys:
        return []
    rows = db.session.scalars(select(StoredFile).where(StoredFile.key.in_(keys),
                                                       StoredFile.stored_at.is_not(None))).all()
    found = {r.key: r for r in rows}
    problems = {}
    for key in keys:
        row = found.get(key)
        if row is None or row.owner_id != owner_id:
            problems[key] = "no such upload of yours"
        elif row.attached_at is not None and (row.capstone_id, row.review_id, row.portfolio_item_id) != (
                capstone_id, review_id, portfolio_item_id):
            problems[key] = "already part of other work"
    if problems:
        raise Invalid("Some files cannot be attached: upload them again.", fields=problems)
    now = utcnow()
    for row in rows:
        row.capstone_id, row.review_id, row.portfolio_item_id = capstone_id, review_id, portfolio_item_id
        row.field = field
        row.attached_at = row.attached_at or now
        row.uploaded_for = None
    return rows


def release(rows: Iterable[StoredFile]) -> list[str]:
    """Take files (and their captions) off saved work, in the caller's transaction (the caller commits).

    Each row goes back to the state of an upload still being stored (`stored_at` and `attached_at` empty, no
    work named): nobody's file, so once committed `/files/<key>` answers 404 to everyone, and nothing lists or
    attaches it. Pass the keys returned to `purge` after the commit. A transaction that rolls back restores the
    rows untouched, and their objects were never touched: a failed write never deletes a file still in use.
    Should the process die between the commit and `purge`, `flask files sweep` removes the rows and objects."""
    keys: list[str] = []
    for row in rows:
        for r in [row, *row.captions]:
            r.stored_at = r.attached_at = None
            r.capstone_id = r.review_id = r.portfolio_item_id = None
            r.field = r.uploaded_for = None
            keys.append(r.key)
    return keys


def purge(keys: list[str]) -> None:
    """After the commit that released them: delete the objects, then the rows (and any captions added to them
    meanwhile). Objects go first, so no object outlives its row; a failure here leaves released rows the sweep
    removes later, and never fails the request whose change is already saved."""
    if not keys:
        return
    try:
        rows = db.session.scalars(select(StoredFile).where(StoredFile.key.in_(keys),
                                                           StoredFile.stored_at.is_(None))).all()
        ids = [r.id for r in rows]
        children = db.session.scalars(select(StoredFile).where(StoredFile.parent_id.in_(ids))).all() if ids else []
        storage = get_storage()
        for row in [*children, *rows]:
            storage.delete(row.key)
        for row in [*children, *rows]:
            db.session.delete(row)
        db.session.commit()
    except Exception:
        db.session.rollback()
        current_app.logger.warning("Could not delete released files %s yet; flask files sweep will", keys,
                                   exc_info=True)


def _unnamed(rows: list[StoredFile]) -> list[StoredFile]:
    """The attached rows whose work no longer names them: a capstone or review that links elsewhere, a portfolio
    item whose evidence list does not hold the key (capstone_rules.links_to_file)."""
    from ..domain.capstone_rules import FILE_TARGETS, file_links, links_to_file
    from ..models import CapstoneProject, MentorshipInteraction

    def load(model, ids):
        ids = {i for i in ids if i is not None}
        return {o.id: o for o in db.session.scalars(select(model).where(model.id.in_(ids)))} if ids else {}

    caps = load(CapstoneProject, (r.capstone_id for r in rows))
    reviews = load(MentorshipInteraction, (r.review_id for r in rows))
    items = load(PortfolioItem, (r.portfolio_item_id for r in rows))
    links: dict[tuple[str, int], set[str]] = {}
    for cap in caps.values():
        links[("capstone", cap.id)] = file_links({name: getattr(cap, name) for name in FILE_TARGETS})
    for review in reviews.values():
        links[("review", review.id)] = {review.audio_feedback_url, review.video_feedback_url} - {None}
    out = []
    for row in rows:
        if row.portfolio_item_id is not None:
            item = items.get(row.portfolio_item_id)
            if item is None or row.key not in {e.get("key") for e in item.evidence_files or []}:
                out.append(row)
        else:
            work = ("capstone", row.capstone_id) if row.capstone_id is not None else ("review", row.review_id)
            if not links_to_file(links.get(work, ()), row.key):
                out.append(row)
    return out


def sweep_unattached(now=None, grace: timedelta = UNATTACHED_GRACE) -> int:
    """Delete uploads never attached to saved work within the grace period (and released files a process left
    behind when it died before `purge`), objects first. Files attached for longer than the grace period that
    their work no longer names (left attached by replacements before those deleted them) go too; the grace
    period keeps the sweep away from work being saved while it runs."""
    cutoff = (now or utcnow()) - grace
    attached = db.session.scalars(select(StoredFile).where(
        StoredFile.attached_at < cutoff, StoredFile.parent_id.is_(None),
        or_(StoredFile.capstone_id.is_not(None), StoredFile.review_id.is_not(None),
            StoredFile.portfolio_item_id.is_not(None)))).all()
    unnamed = _unnamed(attached) if attached else []
    release(unnamed)
    rows = db.session.scalars(select(StoredFile).where(StoredFile.attached_at.is_(None),
                                                       StoredFile.created_at < cutoff)).all()
    rows += [r for r in unnamed if r not in rows]
    parents = {r.id for r in rows}
    rows = [r for r in rows if r.parent_id not in parents]     # captions go with their recording
    storage = get_storage()
    for row in rows:
        for r in [*row.captions, row]:      # the captions' rows too: the ORM would only unlink them
            storage.delete(r.key)
            db.session.delete(r)
    db.session.commit()
    return len(rows)
