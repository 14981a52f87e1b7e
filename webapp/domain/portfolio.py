"""Portfolio item keys and visibility rules (SPEC §6)."""
from __future__ import annotations

ITEM_TYPES = ("project", "writeup", "lab_report", "certification", "mission_report", "strategy_document",
              "script_tool", "grc_framework", "leadership_brief", "capstone_result")
ITEM_TYPE_LABELS = {t: t.replace("_", " ").capitalize() for t in ITEM_TYPES} | {
    "grc_framework": "GRC framework", "script_tool": "Script or tool", "capstone_result": "Capstone result"}
STATUSES = ("draft", "submitted", "approved", "changes_requested")
VISIBILITIES = ("private", "unlisted", "public")


def publicly_listed(status: str, visibility: str) -> bool:
    """Shown on /p/<handle>: approved and public, nothing else."""
    return status == "approved" and visibility == "public"


def reachable_by_link(status: str, visibility: str) -> bool:
    """Shown through /s/<token>: approved and unlisted or public."""
    return status == "approved" and visibility in ("unlisted", "public")


# ---- keys and input -------------------------------------------------------------------------------------------

from .errors import Conflict, Invalid  # noqa: E402  (kept below the keys other modules import)
from .text import MAX_TEXT, check_text, clean_text  # noqa: E402

# Changing any of these on an approved (or submitted) item sends it back to draft: what was approved is gone.
# The links are content too: they say which mission and capstone the item vouches for.
CONTENT_FIELDS = ("title", "summary", "item_type", "skill_tags", "evidence_files", "mission_id", "capstone_id")
DECISIONS = {"approve": "approved", "request_changes": "changes_requested"}
STATUS_LABELS = {"draft": "Draft", "submitted": "Submitted", "approved": "Approved",
                 "changes_requested": "Changes requested"}
VISIBILITY_LABELS = {"private": "Private", "unlisted": "Unlisted (secret link)", "public": "Public"}
MAX_TAGS = 20
MAX_TAG_LENGTH = 40
TITLE_MAX = 200
SUMMARY_MAX = MAX_TEXT


def check_choice(field: str, value, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise Invalid(f"Unknown {field.replace('_', ' ')} “{value}”. Choose one of: {', '.join(allowed)}.",
                      fields={field: f"must be one of {', '.join(allowed)}"})
    return value


def clean_tags(tags) -> list[str]:
    """Trimmed, de-duplicated (case-insensitively, first spelling wins) skill tags; refuses too many or too long.
    A comma separates tags wherever it comes (the form's text or an entry of an API list), so a tag never holds
    one and saving the edit form unchanged gives the same tags back."""
    if isinstance(tags, str):
        tags = [tags]
    parts = [part for tag in tags or () for part in str(tag).split(",")]
    out: list[str] = []
    seen: set[str] = set()
    for part in parts:
        tag, rule = check_text(part, limit=MAX_TAG_LENGTH, one_line=True)
        if rule:
            shown = f": “{tag[:50]}…”" if tag else ""
            raise Invalid(f"A skill tag {rule}{shown}.", fields={"skill_tags": f"{rule} each"})
        if not tag or tag.lower() in seen:
            continue
        seen.add(tag.lower())
        out.append(tag)
    if len(out) > MAX_TAGS:
        raise Invalid(f"Use at most {MAX_TAGS} skill tags.", fields={"skill_tags": f"at most {MAX_TAGS} tags"})
    return out


def clean_title(title) -> str:
    """One line of text (domain.text), required."""
    title = clean_text(str(title or ""), "title", limit=TITLE_MAX, one_line=True)
    if not title:
        raise Invalid("Give the item a title.", fields={"title": "required"})
    return title


def clean_summary(summary) -> str:
    """Markdown, cleaned by domain.text."""
    return clean_text(str(summary or ""), "summary", limit=SUMMARY_MAX)


# ---- the approval workflow ------------------------------------------------------------------------------------

def status_after_edit(status: str, content_changed: bool) -> str:
    """Editing the content of a submitted or approved item takes it back to draft (and off the public page)."""
    if content_changed and status in ("submitted", "approved"):
        return "draft"
    return status


def can_submit(status: str) -> bool:
    """Whether an item in this status may be submitted for approval (what check_can_submit enforces)."""
    return status in ("draft", "changes_requested")


def awaits_review(status: str) -> bool:
    """Whether an item in this status is reviewed now (what check_can_review enforces of the status)."""
    return status == "submitted"


def check_can_submit(status: str) -> None:
    if status == "submitted":
        raise Conflict("This item was already submitted: it is now Submitted. It waits for a mentor's review.",
                       fields={"status": "submitted"})
    if status == "approved":
        raise Conflict("This item was already approved: it is now Approved. Edit it to change it (it then goes "
                       "back to draft).", fields={"status": "approved"})


def changed_while_editing(status: str) -> Conflict:
    """An edit that lost a race: the item's status moved on (reviewed, submitted) while the owner edited it."""
    return Conflict(f"This item changed while you edited it: it is now {STATUS_LABELS.get(status, status)}. Your "
                    "changes were not saved: reload the page and make them again.", fields={"status": status})


def check_can_review(status: str, decision: str, note: str) -> str:
    """The status a review decision leads to. Only submitted items are reviewed; asking for changes needs a note."""
    if not decision:
        raise Invalid("Choose Approve or Request changes.", fields={"decision": "choose Approve or Request changes"})
    if decision not in DECISIONS:
        raise Invalid(f"Unknown decision “{decision}”. Choose one of: {', '.join(DECISIONS)}.",
                      fields={"decision": f"must be one of {', '.join(DECISIONS)}"})
    if status in DECISIONS.values():
        raise Conflict(f"This item was already reviewed: it is now {STATUS_LABELS[status]}.", fields={"status": status})
    if status != "submitted":
        raise Conflict(f"Only submitted items are reviewed: it is now {STATUS_LABELS.get(status, status)} (its owner "
                       "changed it or has not submitted it).", fields={"status": status})
    if decision == "request_changes" and not (note or "").strip():
        raise Invalid("Say what should change: a note is required when asking for changes.",
                      fields={"note": "required when asking for changes"})
    return DECISIONS[decision]


# ---- who may do what (facts in, yes or no out) ----------------------------------------------------------------

def can_edit_item(actor, owner_id: int) -> bool:
    """Only the owner changes an item's content, submits it, or sets its visibility."""
    return actor.id is not None and actor.id == owner_id


def can_delete_item(actor, owner_id: int) -> bool:
    """The owner, or an admin (moderation)."""
    return actor.id is not None and (actor.id == owner_id or actor.is_admin)


# ---- the public page ------------------------------------------------------------------------------------------

def tracks_mastered(capstones) -> list[str]:
    """Tracks in which the learner has an approved capstone on a mastery-tier mission.

    `capstones` holds (track, tier, mentor_approved) facts. Mastery is earned only through a capstone
    that a mentor approved: an attempt, a portfolio item or an unapproved capstone does not count.
    """
    from .catalogue import TRACKS, offers_capstone

    done = {track for track, tier, approved in capstones if approved and offers_capstone(tier)}
    return [t for t in TRACKS if t in done]


def backed_skills(items) -> list[str]:
    """Skill tags of the given (approved, public) items, most used first, then alphabetically."""
    counts: dict[str, int] = {}
    spelling: dict[str, str] = {}
    for item in items:
        for tag in item.skill_tags or ():
            key = tag.lower()
            spelling.setdefault(key, tag)
            counts[key] = counts.get(key, 0) + 1
    return [spelling[k] for k in sorted(counts, key=lambda k: (-counts[k], k))]


def group_by_type(items) -> list[tuple[str, list]]:
    """Items grouped by type, in the order of ITEM_TYPES (capstone results first: they carry scores)."""
    order = ("capstone_result",) + tuple(t for t in ITEM_TYPES if t != "capstone_result")
    groups: dict[str, list] = {}
    for item in items:
        groups.setdefault(item.item_type, []).append(item)
    return [(t, groups[t]) for t in order if t in groups]


def rubric_chart(rubric: list[dict] | None, scores: dict | None) -> list[dict]:
    """One row per rubric criterion: the level scored against the best level, as a fraction for a bar chart."""
    rows = []
    for criterion in rubric or ():
        levels = [lv.get("score", 0) for lv in criterion.get("levels") or ()]
        best = max(levels) if levels else 0
        score = (scores or {}).get(str(criterion.get("id")), (scores or {}).get(criterion.get("id")))
        label = next((lv.get("label") for lv in criterion.get("levels") or () if lv.get("score") == score), "")
        rows.append({"id": criterion.get("id"), "criterion": criterion.get("criterion", criterion.get("id")),
                     "weight": criterion.get("weight", 1), "score": score, "best": best, "label": label or "",
                     "fraction": (score / best) if (score is not None and best) else 0.0})
    return rows


# ---- capstone results: the case study (SPEC §6 "approval covers what the mentor saw") -------------------------

CAPSTONE_RESULT = "capstone_result"
# What of the capstone a case study keeps: every phase text, finding and link.
CASE_STUDY_FIELDS = ("investigation_findings", "investigation_artifacts", "decisions_made", "decision_analysis",
                     "design_documents", "remediation_plan", "report_document_url", "report_summary",
                     "report_key_findings", "presentation_url", "presentation_type", "presentation_notes")
# The case study's files a visitor may download (SPEC §6): the report and the presentation, by the capstone field
# that names them.
CASE_STUDY_FILES = {"report_document": "report_document_url", "presentation": "presentation_url"}
CASE_STUDY_VERSION = 1


def check_capstone_backing(item_type: str, capstone_approved: bool | None) -> None:
    """Only a mentor-approved capstone backs a capstone_result item (`capstone_approved` is None: no capstone)."""
    if item_type != CAPSTONE_RESULT:
        return
    if capstone_approved is None:
        raise Invalid("A capstone result shows one of your approved capstones: choose it under Capstone.",
                      fields={"capstone_id": "choose one of your approved capstones"})
    if not capstone_approved:
        raise Invalid("Only an approved capstone can back a capstone result; this capstone has not been approved "
                      "by a mentor.", fields={"capstone_id": "not an approved capstone"})


def make_case_study(*, capstone_id: int, mission: dict, capstone: dict, approved: bool, score: str | None,
                    reviewed_at: str | None, chart: list[dict], verdict: str, mentor: str | None,
                    files: dict[str, dict], taken_at: str | None = None) -> dict:
    """A capstone as a JSON document: the snapshot an approved item keeps, and the shape the live view uses.

    `files` maps a key of CASE_STUDY_FILES to the {key, filename, content_type, size} of the file of this capstone
    that the field names; only those files are ever offered (and authorised) for download."""
    return {
        "version": CASE_STUDY_VERSION, "taken_at": taken_at, "capstone_id": capstone_id,
        "mission": {k: mission.get(k) for k in ("slug", "title", "track", "tier", "summary")},
        "capstone": {name: capstone.get(name) for name in CASE_STUDY_FIELDS},
        "approved": bool(approved), "score": score, "reviewed_at": reviewed_at,
        "chart": list(chart or []), "verdict": verdict or "", "mentor": mentor,
        "files": {name: dict(f) for name, f in (files or {}).items() if name in CASE_STUDY_FILES and f},
    }


def case_study_file_keys(snapshot: dict | None) -> set[str]:
    """The stored files a case study offers (its report and presentation)."""
    files = (snapshot or {}).get("files") or {}
    return {f["key"] for f in files.values() if isinstance(f, dict) and f.get("key")}


def _parse_time(value):
    from datetime import datetime

    if not value or not isinstance(value, str):
        return value or None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _document(url, file: dict | None) -> dict | None:
    """A report or presentation as shown: the stored file, else an http(s) link, else nothing."""
    if file:
        return {"file": file, "url": None}
    url = str(url or "")
    if url.lower().startswith(("https://", "http://")):
        return {"file": None, "url": url}
    return None


def case_study_view(study: dict | None, *, snapshot: bool) -> dict | None:
    """What a case study template needs, from a document of make_case_study."""
    if not study:
        return None
    cap = study.get("capstone") or {}
    files = study.get("files") or {}
    return {
        "snapshot": snapshot, "taken_at": _parse_time(study.get("taken_at")),
        "mission": study.get("mission") or {}, "approved": bool(study.get("approved")),
        "score": study.get("score") if study.get("approved") else None,
        "reviewed_at": _parse_time(study.get("reviewed_at")), "chart": study.get("chart") or [],
        "decisions": [d for d in cap.get("decisions_made") or [] if isinstance(d, dict)],
        "decision_analysis": cap.get("decision_analysis") or "",
        "remediation_plan": cap.get("remediation_plan") or "",
        "report_summary": cap.get("report_summary") or "",
        "key_findings": [f for f in cap.get("report_key_findings") or [] if isinstance(f, dict)],
        "report": _document(cap.get("report_document_url"), files.get("report_document")),
        "presentation": _document(cap.get("presentation_url"), files.get("presentation")),
        "presentation_type": cap.get("presentation_type") or "",
        "verdict": study.get("verdict") or "", "mentor": study.get("mentor"),
    }
