"""Portfolio use cases (SPEC §6): items with evidence, the approval workflow, visibility, the public page.

Every status change writes a PortfolioTransition row in the same transaction. Rules live in
domain.portfolio (workflow, permissions, mastery) and domain.redaction (the evidence scan).
"""
from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO
from urllib.parse import urlsplit

from sqlalchemy import bindparam, delete as sa_delete, func, select
from sqlalchemy.orm import joinedload, selectinload

from .. import caching
from ..caching import quickread
from ..domain import portfolio as rules
from ..domain import redaction, uploads, visibility
from ..domain import reviews as review_rules
from ..domain.errors import Conflict, Forbidden, Invalid, NotFound
from ..domain.policies import Actor
from ..extensions import db
from ..models import (CapstoneProject, MentorshipInteraction, Mission, MissionAttempt, PortfolioItem,
                      PortfolioTransition, StoredFile, User)
from ..models.base import utcnow
from ..storage import get_storage
from . import access
from . import files as files_service
from . import notifications
from . import transitions

EVIDENCE_FIELD = "evidence"
SCAN_MAX_BYTES = 1024 * 1024      # text evidence is scanned up to its first MiB
TOKEN_BYTES = 24                  # secrets.token_urlsafe(24): 32 characters, 192 random bits


class UnconfirmedFindings(Invalid):
    """422: the item holds likely secrets the owner has not yet confirmed as redacted or safe."""

    code = "unconfirmed_findings"

    def __init__(self, findings: list[redaction.Finding]):
        n = len(findings)
        super().__init__(
            f"{n} possible secret{'s' if n != 1 else ''} or internal detail{'s' if n != 1 else ''} found. Redact "
            f"{'them' if n != 1 else 'it'}, or confirm {'each one is' if n != 1 else 'it is'} safe to share, "
            "then submit again.",
            fields={f.fingerprint: f"{f.label} in {f.location}: {f.excerpt}" for f in findings})
        self.findings = findings


# ---- reading ---------------------------------------------------------------------------------------------------

def get_item(item_id: int) -> PortfolioItem:
    item = db.session.get(PortfolioItem, item_id)
    if item is None:
        raise NotFound("That portfolio item does not exist.")
    return item


def get_for(actor: Actor, item_id: int) -> PortfolioItem:
    """An item the actor may read: the owner, the owner's mentors for the item's track (services.access) and
    admins. Anyone else gets the same 404 as for an id that does not exist, so guessing ids reveals nothing."""
    item = db.session.scalar(select(PortfolioItem).options(
        joinedload(PortfolioItem.owner), joinedload(PortfolioItem.reviewed_by), joinedload(PortfolioItem.mission),
        joinedload(PortfolioItem.capstone).joinedload(CapstoneProject.mission)).where(PortfolioItem.id == item_id))
    if item is None or not access.may_read(actor, access.item_work(item)):
        raise NotFound("That portfolio item does not exist.")
    return item


def history(item: PortfolioItem) -> list[PortfolioTransition]:
    return db.session.scalars(select(PortfolioTransition).options(joinedload(PortfolioTransition.actor))
                              .where(PortfolioTransition.item_id == item.id)
                              .order_by(PortfolioTransition.created_at, PortfolioTransition.id)).all()


def link_choices(owner_id: int) -> dict:
    """Missions the owner has attempted (or carried to a capstone) and the owner's own capstones."""
    attempted = select(MissionAttempt.mission_id).where(MissionAttempt.learner_id == owner_id)
    capstoned = select(CapstoneProject.mission_id).where(CapstoneProject.learner_id == owner_id)
    missions = db.session.scalars(select(Mission).where(Mission.id.in_(attempted.union(capstoned)))
                                  .order_by(Mission.title)).all()
    capstones = db.session.scalars(select(CapstoneProject).options(
        joinedload(CapstoneProject.mission).load_only(*PUBLIC_MISSION_COLUMNS))
                                   .where(CapstoneProject.learner_id == owner_id)
                                   .order_by(CapstoneProject.created_at.desc())).all()
    return {"missions": missions, "capstones": capstones}


def skill_suggestions() -> list[str]:
    """Every skill named by a published mission of the catalogue, for the tag input's datalist."""
    seen: dict[str, str] = {}
    for skills in db.session.scalars(select(Mission.skills).where(Mission.is_published.is_(True))):
        for s in skills or ():
            seen.setdefault(s.lower(), s)
    return sorted(seen.values(), key=str.lower)


def pending_uploads(user: User) -> list[StoredFile]:
    """The user's evidence uploads made on a portfolio form and not yet attached (kept for a day): the
    no-JavaScript way to attach an upload made with the plain upload form. Uploads made on a capstone phase stay
    there."""
    return db.session.scalars(select(StoredFile).where(
        StoredFile.uploaded_by_id == user.id, StoredFile.owner_id == user.id, StoredFile.kind == "evidence",
        StoredFile.uploaded_for == uploads.PORTFOLIO_CONTEXT,
        StoredFile.attached_at.is_(None), StoredFile.parent_id.is_(None), StoredFile.stored_at.is_not(None))
        .order_by(StoredFile.created_at.desc())
        .limit(20)).all()


def review_queue(actor: Actor):
    """Submitted items the actor may review (services.access): their learners' for the item's track (every
    learner's for an admin), never their own."""
    return (select(PortfolioItem).options(joinedload(PortfolioItem.owner))
            .where(PortfolioItem.status == "submitted", access.act_filter(actor, access.item_cols()))
            .order_by(PortfolioItem.submitted_at, PortfolioItem.id))


def review_count(actor: Actor) -> int:
    stmt = select(func.count()).select_from(PortfolioItem).where(
        PortfolioItem.status == "submitted", access.act_filter(actor, access.item_cols()))
    return db.session.scalar(stmt) or 0


# ---- writing ---------------------------------------------------------------------------------------------------

def _record(item: PortfolioItem, actor_id: int | None, from_status: str | None, to_status: str,
            note: str = "") -> None:
    db.session.add(PortfolioTransition(item_id=item.id, actor_id=actor_id, from_status=from_status,
                                       to_status=to_status, note=note))


def _commit():
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def _require_edit(actor: Actor, item: PortfolioItem) -> None:
    if not rules.can_edit_item(actor, item.owner_id):
        raise Forbidden("Only the owner can change this portfolio item.")


def _check_links(owner_id: int, data: dict) -> dict:
    out = {}
    if "mission_id" in data:
        mission_id = data.get("mission_id") or None
        if mission_id is not None:
            allowed = {m.id for m in link_choices(owner_id)["missions"]}
            if mission_id not in allowed:
                raise Invalid("Link a mission you have attempted.", fields={"mission_id": "not one of your missions"})
        out["mission_id"] = mission_id
    if "capstone_id" in data:
        capstone_id = data.get("capstone_id") or None
        if capstone_id is not None:
            cap = db.session.get(CapstoneProject, capstone_id)
            if cap is None or cap.learner_id != owner_id:
                raise Invalid("Link one of your own capstones.", fields={"capstone_id": "not one of your capstones"})
        out["capstone_id"] = capstone_id
    return out


def _check_backing(item_type: str, capstone_id: int | None, *, lock: bool = False) -> CapstoneProject | None:
    """A capstone_result item is made from (or linked to) an approved capstone only: 422 naming capstone_id.
    With `lock` the capstone row is read afresh and locked (PostgreSQL), so an approval waits for a reopening
    that is under way and then sees it."""
    if item_type != rules.CAPSTONE_RESULT:
        return None
    cap = None
    if capstone_id and lock:
        cap = db.session.scalar(select(CapstoneProject).where(CapstoneProject.id == capstone_id).with_for_update()
                                .execution_options(populate_existing=True))
    elif capstone_id:
        cap = db.session.get(CapstoneProject, capstone_id)
    rules.check_capstone_backing(item_type, None if cap is None else bool(cap.mentor_approved))
    return cap


def _clean(data: dict, owner_id: int) -> dict:
    out: dict = {}
    if "title" in data:
        out["title"] = rules.clean_title(data["title"])
    if "summary" in data:
        out["summary"] = rules.clean_summary(data["summary"])
    if "item_type" in data:
        out["item_type"] = rules.check_choice("item_type", data["item_type"], rules.ITEM_TYPES)
    if "skill_tags" in data:
        out["skill_tags"] = rules.clean_tags(data["skill_tags"])
    if "visibility" in data:
        out["visibility"] = rules.check_choice("visibility", data["visibility"], rules.VISIBILITIES)
    out.update(_check_links(owner_id, data))
    return out


def _attach(item: PortfolioItem, keys: list[str]) -> bool:
    keys = [k for k in dict.fromkeys(keys or []) if k]
    have = {e["key"] for e in item.evidence_files or []}
    new = [k for k in keys if k not in have]
    if not new:
        return False
    rows = files_service.attach(new, owner_id=item.owner_id, field=EVIDENCE_FIELD, portfolio_item_id=item.id)
    by_key = {r.key: r for r in rows}
    item.evidence_files = list(item.evidence_files or []) + [by_key[k].as_evidence() for k in new]
    return True


def create_item(user: User, data: dict, file_keys: list[str] | None = None) -> PortfolioItem:
    actor_id = user.id
    values = _clean(data, user.id)
    if "title" not in values:
        raise Invalid("Give the item a title.", fields={"title": "required"})
    values.setdefault("item_type", "project")
    values.setdefault("skill_tags", [])
    _check_backing(values["item_type"], values.get("capstone_id"))
    item = PortfolioItem(owner_id=user.id, status="draft", evidence_files=[], **values)
    if item.visibility == "unlisted":
        item.share_token = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(item)
    try:
        db.session.flush()
        _attach(item, file_keys or [])
        _record(item, actor_id, None, "draft", "Created.")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return item


def update_item(actor: Actor, item: PortfolioItem, data: dict, file_keys: list[str] | None = None) -> PortfolioItem:
    """Change an item's fields; new evidence keys are attached. Changing the content of a submitted or approved
    item takes it back to draft (recorded as a transition)."""
    _require_edit(actor, item)
    values = _clean(data, item.owner_id)
    item_type = values.get("item_type", item.item_type)
    capstone_id = values.get("capstone_id", item.capstone_id)
    if (item_type, capstone_id) != (item.item_type, item.capstone_id):
        _check_backing(item_type, capstone_id)      # making or relinking a capstone result
    changed = False
    for name, value in values.items():
        if name == "visibility":
            continue
        if getattr(item, name) != value:
            setattr(item, name, value)
            changed = changed or name in rules.CONTENT_FIELDS
    if _attach(item, file_keys or []):
        changed = True
    _after_content_change(actor, item, changed)
    if "visibility" in values:
        _apply_visibility(item, values["visibility"])
    _commit()
    return item


def _after_content_change(actor: Actor, item: PortfolioItem, changed: bool) -> None:
    """A content change is a transition from the status this request read (a submitted or approved item goes
    back to draft): if a review or a submission got there first, the edit is refused (409) and nothing of it
    is kept, so an approval never covers content the mentor did not see."""
    if not changed:
        return
    before = item.status
    new_status = rules.status_after_edit(before, changed)
    values = {"status": new_status} if new_status == before else {"status": new_status, "submitted_at": None}
    transitions.transition(item, values, when=[PortfolioItem.status == before],
                           conflict=lambda now: rules.changed_while_editing(now.status))
    if new_status != before:
        note = ("Edited after approval: back to draft and off the public page until approved again."
                if before == "approved" else "Edited while waiting for review: back to draft.")
        _record(item, actor.id, before, new_status, note)


def _apply_visibility(item: PortfolioItem, visibility: str) -> None:
    item.visibility = visibility
    if visibility == "unlisted" and not item.share_token:
        item.share_token = secrets.token_urlsafe(TOKEN_BYTES)


def set_visibility(actor: Actor, item: PortfolioItem, visibility: str) -> PortfolioItem:
    _require_edit(actor, item)
    _apply_visibility(item, rules.check_choice("visibility", visibility, rules.VISIBILITIES))
    _commit()
    return item


def rotate_link(actor: Actor, item: PortfolioItem) -> PortfolioItem:
    """A new secret link; the old one stops working at once."""
    _require_edit(actor, item)
    item.share_token = secrets.token_urlsafe(TOKEN_BYTES)
    _commit()
    return item


def remove_evidence(actor: Actor, item: PortfolioItem, key: str) -> PortfolioItem:
    """Take a file off the item and delete it (row and stored object)."""
    _require_edit(actor, item)
    if key not in {e["key"] for e in item.evidence_files or []}:
        raise NotFound("That file is not part of this item.")
    item.evidence_files = [e for e in item.evidence_files if e["key"] != key]
    row = db.session.scalar(select(StoredFile).where(StoredFile.key == key, StoredFile.portfolio_item_id == item.id))
    doomed = []
    if row is not None:
        doomed = [row.key] + [c.key for c in row.captions]
        db.session.delete(row)
    _after_content_change(actor, item, True)
    _commit()
    storage = get_storage()
    for k in doomed:
        storage.delete(k)
    return item


def add_evidence(actor: Actor, user: User, item: PortfolioItem, stream: BinaryIO | None,
                 filename: str | None) -> PortfolioItem:
    """Upload one evidence file straight onto an item (the API's multipart endpoint)."""
    _require_edit(actor, item)
    row = files_service.store_upload(user, stream, filename, "evidence")
    try:
        _attach(item, [row.key])
        _after_content_change(actor, item, True)
        db.session.commit()
    except Exception:
        db.session.rollback()
        files_service.delete_file(actor, row.key)   # the row and the object: nothing left unnamed or dangling
        raise
    return item


def delete_item(actor: Actor, item: PortfolioItem) -> None:
    """Delete the item, its history, and its evidence files (rows and stored objects)."""
    if not rules.can_delete_item(actor, item.owner_id):
        raise Forbidden("Only the owner can delete this portfolio item.")
    rows = db.session.scalars(select(StoredFile).options(selectinload(StoredFile.captions))
                              .where(StoredFile.portfolio_item_id == item.id)).all()
    keys = [k for r in rows for k in [r.key] + [c.key for c in r.captions]]
    for r in rows:
        db.session.delete(r)
    db.session.execute(sa_delete(PortfolioTransition).where(PortfolioTransition.item_id == item.id))
    db.session.delete(item)
    _commit()
    storage = get_storage()
    for k in keys:
        storage.delete(k)


# ---- evidence safety and the workflow ---------------------------------------------------------------------------

def scan_item(item: PortfolioItem) -> list[redaction.Finding]:
    """Likely secrets in the Markdown summary and in the text evidence files (their first MiB)."""
    findings = redaction.scan(item.title, "title") + redaction.scan(item.summary, "summary")
    keys = [e["key"] for e in item.evidence_files or []]
    if keys:
        rows = db.session.scalars(select(StoredFile).where(StoredFile.key.in_(keys),
                                                           StoredFile.type_key == "text")).all()
        storage = get_storage()
        for row in sorted(rows, key=lambda r: keys.index(r.key)):
            with storage.open(row.key) as body:
                data = body.read(SCAN_MAX_BYTES)
            findings += redaction.scan(data.decode("utf-8", errors="replace"), row.filename)
    return findings


def confirmed_findings(item: PortfolioItem) -> list[redaction.Finding]:
    """What the approving mentor checks (SPEC §6): every likely secret in the item as it is now that the learner
    confirmed as redacted or safe to share."""
    confirmed = set(item.confirmed_findings or [])
    if not confirmed:
        return []
    return [f for f in scan_item(item) if f.fingerprint in confirmed]


def submit_item(actor: Actor, item: PortfolioItem, confirm: list[str] | None = None) -> PortfolioItem:
    """Send the item for review. Fingerprints in `confirm` are recorded as confirmed by the owner; any
    finding still unconfirmed refuses the submission (422, listing every finding)."""
    _require_edit(actor, item)
    rules.check_can_submit(item.status)
    _check_backing(item.item_type, item.capstone_id)
    before, seen = item.status, item.updated_at
    findings = scan_item(item)
    current = {f.fingerprint for f in findings}
    confirmed = set(item.confirmed_findings or [])
    newly = [fp for fp in dict.fromkeys(confirm or []) if fp in current and fp not in confirmed]
    confirmed.update(newly)
    left = redaction.unconfirmed(findings, confirmed)
    if left:
        if newly:
            item.confirmed_findings = list(item.confirmed_findings or []) + newly
            _commit()      # keep what was confirmed, even though the submission is refused
        raise UnconfirmedFindings(left)
    values = {"status": "submitted", "submitted_at": utcnow()}
    if newly:
        values["confirmed_findings"] = list(item.confirmed_findings or []) + newly
    # From the status read, and the content scanned: an edit saved meanwhile (even one that kept the status)
    # moved updated_at, and its text was not scanned.
    transitions.transition(item, values, when=[PortfolioItem.status == before, PortfolioItem.updated_at == seen],
                           conflict=_submit_conflict)
    _record(item, actor.id, before, "submitted")
    _commit()
    return item


def _submit_conflict(item: PortfolioItem) -> Conflict:
    rules.check_can_submit(item.status)         # submitted or approved meanwhile: says so
    return Conflict("This item changed while you submitted it: check it, then submit it again.",
                    fields={"status": item.status})


RESUBMITTED = ("The learner changed and submitted this item again after you opened it. Nothing was decided: "
               "read it as it is now, then send your review.")


PUBLIC_NOTE_MAX = 5000


def _clean_public_note(public_note) -> str:
    """The approving mentor's words for visitors: plain text or Markdown (rendered sanitised), at most 5000
    characters; empty means the public page shows no verdict."""
    text = str(public_note or "").strip()
    if len(text) > PUBLIC_NOTE_MAX:
        raise Invalid(f"The public note is at most {PUBLIC_NOTE_MAX} characters.",
                      fields={"public_note": f"At most {PUBLIC_NOTE_MAX} characters."})
    return text


def review_item(actor: Actor, item: PortfolioItem, decision: str, note: str = "",
                seen: str | None = None, public_note: str = "") -> PortfolioItem:
    """A mentor's decision on a submitted item. `seen` is the submission the mentor's page showed (its
    submitted_at, as the review form carries it): a decision never covers a submission the mentor did not see.
    `public_note` is what an approval shows visitors as the mentor's verdict (nothing when empty); the private
    `note` never leaves the learner and their mentors."""
    if not access.may_act(actor, access.item_work(item)):
        if actor.id == item.owner_id:
            raise Forbidden(f"{access.OWN_WORK} One of your mentors approves your portfolio items.")
        raise Forbidden("Only the learner's mentors for this track and admins review this item.")
    note = (note or "").strip()
    new_status = rules.check_can_review(item.status, decision, note)
    if seen and (item.submitted_at is None or seen != item.submitted_at.isoformat()):
        raise Conflict(RESUBMITTED, fields={"status": item.status})
    public_note = _clean_public_note(public_note) if new_status == "approved" else ""
    values = {"status": new_status, "reviewed_by_id": actor.id, "reviewed_at": utcnow(), "review_note": note,
              "public_note": public_note}
    if new_status == "approved" and item.item_type == rules.CAPSTONE_RESULT:
        # Approval covers what the mentor saw: the capstone as it is now, kept on the item.
        values["case_study"] = take_case_study(_check_backing(item.item_type, item.capstone_id, lock=True))

    def conflict(now: PortfolioItem) -> Conflict:
        rules.check_can_review(now.status, decision, note)   # reviewed or changed meanwhile: says which
        return Conflict(RESUBMITTED, fields={"status": now.status})   # submitted again meanwhile

    # From the submission this request read: a resubmission landing meanwhile is not decided unseen.
    transitions.transition(item, values, conflict=conflict, when=[
        PortfolioItem.status == "submitted", PortfolioItem.submitted_at == item.submitted_at])
    _record(item, actor.id, "submitted", new_status, note)
    notifications.portfolio_reviewed(item, actor, new_status)
    _commit()
    return item


# ---- what visitors see -------------------------------------------------------------------------------------------

def shared_item(token: str) -> PortfolioItem:
    """The approved item behind a secret link (unlisted or public); a rotated or unknown link is a 404."""
    item = db.session.scalar(select(PortfolioItem).options(
        joinedload(PortfolioItem.owner), joinedload(PortfolioItem.reviewed_by),
        joinedload(PortfolioItem.capstone).joinedload(CapstoneProject.mission))
        .where(PortfolioItem.share_token == token)) if token else None
    # A deactivated owner's links lead nowhere, as their public page does not exist.
    if item is None or not item.owner.is_active or not rules.reachable_by_link(item.status, item.visibility):
        raise NotFound("This link does not lead anywhere: it may have been replaced by a new one.")
    return item


def latest_reviews(capstone_ids: list[int]) -> dict[int, MentorshipInteraction]:
    """The latest submitted review of each capstone (one query)."""
    if not capstone_ids:
        return {}
    rows = db.session.scalars(select(MentorshipInteraction).options(joinedload(MentorshipInteraction.mentor)).where(
        MentorshipInteraction.capstone_id.in_(capstone_ids), MentorshipInteraction.status == "submitted")
        .order_by(MentorshipInteraction.review_phase, MentorshipInteraction.id)).all()
    return {r.capstone_id: r for r in rows}


def _capstone_files(cap: CapstoneProject) -> dict[str, dict]:
    """The report and presentation files of this capstone that its fields name (one query, none for links).
    Only files attached to this capstone count: a field naming anything else offers no download."""
    wanted: dict[str, list[str]] = {}
    prefix = "/files/"
    for name, column in rules.CASE_STUDY_FILES.items():
        url = getattr(cap, column) or ""
        if url.startswith(prefix):
            wanted.setdefault(url[len(prefix):], []).append(name)
    if not wanted:
        return {}
    rows = db.session.scalars(select(StoredFile).where(
        StoredFile.key.in_(list(wanted)), StoredFile.capstone_id == cap.id, StoredFile.owner_id == cap.learner_id,
        StoredFile.stored_at.is_not(None))).all()
    return {name: row.as_evidence() for row in rows for name in wanted[row.key]}


def _study_document(cap: CapstoneProject, review: MentorshipInteraction | None, taken_at: str | None = None) -> dict:
    """The capstone (with its latest submitted review) as a case-study document of domain.portfolio."""
    mission = cap.mission
    return rules.make_case_study(
        capstone_id=cap.id, taken_at=taken_at,
        mission={"slug": mission.slug, "title": mission.title, "track": mission.track, "tier": mission.tier,
                 "summary": mission.summary},
        capstone={name: getattr(cap, name) for name in rules.CASE_STUDY_FIELDS},
        approved=bool(cap.mentor_approved),
        score=str(cap.mentor_final_score) if cap.mentor_final_score is not None else None,
        reviewed_at=cap.mentor_reviewed_at.isoformat() if cap.mentor_reviewed_at else None,
        chart=rules.rubric_chart(review.rubric_of(), review.rubric_scores) if review and review.rubric_scores else [],
        verdict=(review.written_feedback if review else "") or "",
        mentor=review_rules.mentor_name(review.mentor.display_name if review.mentor else None) if review else None,
        files=_capstone_files(cap))


def take_case_study(cap: CapstoneProject, taken_at: datetime | None = None) -> dict:
    """The snapshot an approved capstone_result item keeps (taken in the approving transaction, or at the
    approval time given: the demo data's approvals lie in the past)."""
    return _study_document(cap, latest_reviews([cap.id]).get(cap.id), taken_at=(taken_at or utcnow()).isoformat())


def case_study(item: PortfolioItem, review: MentorshipInteraction | None) -> dict | None:
    """What a capstone_result item shows: the score, a rubric chart and the story of the capstone. An approved
    item shows the snapshot taken at its approval (nothing, for one approved before snapshots existed); any other
    shows the live capstone, which is what a reviewing mentor is asked to approve."""
    if item.item_type != rules.CAPSTONE_RESULT:
        return None
    if item.status == "approved":
        return rules.case_study_view(item.case_study, snapshot=True)
    if item.capstone is None:
        return None
    return rules.case_study_view(_study_document(item.capstone, review), snapshot=False)


def case_studies(items: list[PortfolioItem]) -> dict[int, dict]:
    live = [i.capstone_id for i in items
            if i.item_type == rules.CAPSTONE_RESULT and i.capstone_id and i.status != "approved"]
    reviews = latest_reviews(live)
    out = {}
    for item in items:
        cs = case_study(item, reviews.get(item.capstone_id))
        if cs:
            out[item.id] = cs
    return out


def capstone_reopened(cap: CapstoneProject, actor_id: int | None) -> None:
    """The capstone went back to its learner: its capstone_result items that are approved or waiting for review
    return to draft (off the public page until approved again), recorded. In the caller's transaction."""
    items = db.session.scalars(select(PortfolioItem).where(
        PortfolioItem.capstone_id == cap.id, PortfolioItem.item_type == rules.CAPSTONE_RESULT,
        PortfolioItem.status.in_(("approved", "submitted")))).all()
    for item in items:
        _record(item, actor_id, item.status, "draft",
                "The capstone was reopened for changes: back to draft and off the public page until the capstone "
                "and this item are approved again.")
        item.status = "draft"
        item.submitted_at = None


# What a public portfolio shows of a mission: never the scenario, subtasks, events or mentor notes (large
# documents that also have no place on a public page).
PUBLIC_MISSION_COLUMNS = (Mission.id, Mission.slug, Mission.title, Mission.track, Mission.tier, Mission.summary,
                          Mission.rubric)


@functools.cache
def _owner_query():
    """The id at a handle with the cache revisions its public page needs; built once."""
    return (select(User.id, *caching.viewer_columns(User.id))
            .where(User.handle == bindparam("handle"), User.is_active.is_(True)))


def public_owner_id(handle: str) -> int:
    """The id of the active user at /p/<handle>, else 404."""
    row = None if "\x00" in handle else quickread.first(_owner_query(), {"handle": handle})
    if row is None:
        raise NotFound("There is no portfolio at this address.")
    # The revisions the cached page needs come with the owner's id.
    caching.remember_viewer(row[0], row)
    return row[0]


def public_profile(handle: str) -> dict:
    """Everything /p/<handle> shows, in a fixed number of queries whatever the number of items."""
    user = db.session.scalar(select(User).where(User.handle == handle, User.is_active.is_(True)))
    if user is None:
        raise NotFound("There is no portfolio at this address.")
    items = db.session.scalars(select(PortfolioItem).options(
        joinedload(PortfolioItem.reviewed_by), joinedload(PortfolioItem.mission).load_only(*PUBLIC_MISSION_COLUMNS),
        joinedload(PortfolioItem.capstone).joinedload(CapstoneProject.mission).load_only(*PUBLIC_MISSION_COLUMNS))
        .where(PortfolioItem.owner_id == user.id, PortfolioItem.status == "approved",
               PortfolioItem.visibility == "public")
        .order_by(PortfolioItem.reviewed_at.desc(), PortfolioItem.id.desc())).unique().all()
    items = [i for i in items if rules.publicly_listed(i.status, i.visibility)]
    capstones = db.session.scalars(select(CapstoneProject).options(
        joinedload(CapstoneProject.mission).load_only(*PUBLIC_MISSION_COLUMNS))
                                   .where(CapstoneProject.learner_id == user.id,
                                          CapstoneProject.mentor_approved.is_(True))
                                   .order_by(CapstoneProject.mentor_reviewed_at.desc())).all()
    studies = case_studies(items)
    return {
        "user": user, "items": items, "groups": rules.group_by_type(items), "capstones": capstones,
        "tracks": rules.tracks_mastered((c.mission.track, c.mission.tier, c.mentor_approved) for c in capstones),
        "skills": rules.backed_skills(items), "studies": studies,
    }


def public_evidence(item: PortfolioItem) -> list[dict]:
    """The evidence a visitor may download: never archives (ZIP) or executables."""
    return [e for e in item.evidence_files or [] if e.get("content_type") not in VISITOR_HIDDEN_TYPES]


VISITOR_HIDDEN_TYPES = {"application/zip", "application/x-msdownload", "application/x-dosexec",
                        "application/x-executable", "application/octet-stream"}


# ---- the case study's recordings ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recording:
    """A case study's recording as its readers see it: the stored file, with the captions that may show beside it
    (`domain.visibility.caption_shown`: none added after the item was approved). Reads as the file does in the
    player macro."""

    file: StoredFile
    captions: list[StoredFile]

    key = property(lambda self: self.file.key)
    kind = property(lambda self: self.file.kind)
    filename = property(lambda self: self.file.filename)
    duration_seconds = property(lambda self: self.file.duration_seconds)
    duration_label = property(lambda self: self.file.duration_label)


def case_study_media(studies: dict[int, dict]) -> dict[str, Recording]:
    """The audio and video files among the case studies' report and presentation, by key, with the captions shown
    with them (one query whatever the number of studies): these get a player, other files a download link. A
    snapshot shows the captions stored by the time it was taken; a live study (before approval) all of them."""
    cutoff: dict[str, datetime | None] = {}
    for study in studies.values():
        for doc in (study.get("report"), study.get("presentation")):
            if doc and doc.get("file") and str(doc["file"].get("content_type", "")).startswith(("audio/", "video/")):
                key, taken = doc["file"]["key"], study.get("taken_at") if study.get("snapshot") else None
                # Two studies naming one recording: a live study, or else the later approval, decides.
                if key not in cutoff:
                    cutoff[key] = taken
                elif cutoff[key] is not None:
                    cutoff[key] = None if taken is None else max(cutoff[key], taken)
    if not cutoff:
        return {}
    rows = db.session.scalars(select(StoredFile).options(selectinload(StoredFile.captions)).where(
        StoredFile.key.in_(sorted(cutoff)), StoredFile.kind.in_(("audio", "video")),
        StoredFile.stored_at.is_not(None))).all()
    return {row.key: Recording(row, [c for c in row.captions if c.stored_at is not None
                                     and visibility.caption_shown(c.stored_at, cutoff[row.key])])
            for row in rows}


# ---- the owner's public page: links, contact, scores -------------------------------------------------------------

PUBLIC_LINK_FIELDS = {"website_url": "Website", "github_url": "GitHub", "linkedin_url": "LinkedIn"}
LINK_HOSTS = {"github_url": ("github.com",), "linkedin_url": ("linkedin.com",)}
URL_MAX = 300
EMAIL_MAX = 254
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?=.{4,253}$)"
                    r"([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
_HOST = re.compile(r"^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _clean_url(name: str, value) -> str | None:
    label = PUBLIC_LINK_FIELDS[name]
    text = str(value or "").strip()
    if not text:
        return None
    if len(text) > URL_MAX:
        raise Invalid(f"The {label} address is too long.", fields={name: f"At most {URL_MAX} characters."})
    try:
        # Characters a URL never holds unencoded (RFC 3986): spaces, quotes, angle brackets, backslash, backtick.
        parts = urlsplit(text) if text.isprintable() and not any(c.isspace() or c in '"<>\\`{}|^' for c in text) \
            else None
        host = (parts.hostname or "") if parts else ""
    except ValueError:       # an unbalanced [ in the host, say
        parts, host = None, ""
    if parts is None or parts.scheme.lower() != "https" or not _HOST.match(host) or parts.username is not None \
            or parts.password is not None:
        raise Invalid(f"The {label} address must be a full https:// link.",
                      fields={name: "Enter a full https:// address, such as https://example.org/me."})
    allowed = LINK_HOSTS.get(name)
    if allowed and not any(host == h or host.endswith("." + h) for h in allowed):
        raise Invalid(f"The {label} address must be on {allowed[0]}.",
                      fields={name: f"Enter an address on {allowed[0]}, such as https://{allowed[0]}/you."})
    return text


def _clean_email(value) -> str | None:
    text = str(value or "").strip()
    if not text:
        return None
    if len(text) > EMAIL_MAX or not _EMAIL.match(text):
        raise Invalid("The contact e-mail does not look like an e-mail address.",
                      fields={"contact_email": "Enter an address such as you@example.org."})
    return text


def clean_public_links(data: dict) -> dict:
    """The links and contact of a public page, checked: https URLs only (GitHub and LinkedIn on their own
    sites), a real-looking e-mail; every one optional (empty clears it). 422 naming every field at fault."""
    out: dict = {}
    problems: dict[str, str] = {}
    messages: list[str] = []
    for name in PUBLIC_LINK_FIELDS:
        if name in data:
            try:
                out[name] = _clean_url(name, data[name])
            except Invalid as exc:
                problems.update(exc.fields)
                messages.append(exc.message)
    if "contact_email" in data:
        try:
            out["contact_email"] = _clean_email(data["contact_email"])
        except Invalid as exc:
            problems.update(exc.fields)
            messages.append(exc.message)
    if problems:
        raise Invalid(" ".join(messages), fields=problems)
    if "show_scores" in data:
        out["show_scores"] = bool(data["show_scores"])
    return out


def set_public_profile(user: User, data: dict) -> User:
    """Save the links, contact e-mail and scores switch of the user's public page (only the keys given)."""
    values = clean_public_links(data)
    for name, value in values.items():
        setattr(user, name, value)
    _commit()
    return user


def public_links(user: User) -> list[dict]:
    """The links a public page shows, in a fixed order: {label, href, text}."""
    out = [{"label": label, "href": getattr(user, name), "text": getattr(user, name)}
           for name, label in PUBLIC_LINK_FIELDS.items() if getattr(user, name)]
    if user.contact_email:
        out.append({"label": "E-mail", "href": "mailto:" + user.contact_email, "text": user.contact_email})
    return out
