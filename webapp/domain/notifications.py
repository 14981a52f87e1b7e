"""Notifications (SPEC §12): the kinds of event that notify, who is told, what each says, the e-mail choices
and their defaults, and the rules of the time-based ones (a next step due tomorrow or overdue, a claim about to
lapse). Plain data and functions; services/notifications.py loads the facts and writes the rows."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

from .errors import Invalid

# ---- kinds ------------------------------------------------------------------------------------------------------

KINDS = ("capstone_submitted", "attempt_submitted", "review_shared", "changes_requested", "capstone_approved",
         "portfolio_approved", "portfolio_sent_back", "step_due", "step_overdue", "claim_lapsing", "review_reply")

# How the account page names each kind (its e-mail choice) and the list page labels an entry.
KIND_LABELS = {
    "capstone_submitted": "A capstone submitted for review",
    "attempt_submitted": "An attempt submitted for review",
    "review_shared": "A review phase shared with you",
    "changes_requested": "Changes requested on your work",
    "capstone_approved": "Your capstone approved",
    "portfolio_approved": "A portfolio item approved",
    "portfolio_sent_back": "A portfolio item sent back",
    "step_due": "A next step due tomorrow",
    "step_overdue": "A next step overdue",
    "claim_lapsing": "Your claim on a submission about to lapse",
    "review_reply": "A reply in a review conversation",
}

# What only mentors (and admins) are told of: a learner's account page does not offer them.
MENTOR_KINDS = ("capstone_submitted", "attempt_submitted", "claim_lapsing")


def kinds_for(is_mentor: bool) -> tuple[str, ...]:
    """The kinds a user of this role can be told of (their e-mail choices)."""
    return KINDS if is_mentor else tuple(k for k in KINDS if k not in MENTOR_KINDS)


# What a notification links to: the page of the thing itself (services.notifications.link_for builds the URL).
SUBJECT_TYPES = ("capstone", "attempt", "review", "portfolio_item")

# ---- e-mail preferences -------------------------------------------------------------------------------------------

EMAIL_CHOICES = ("off", "immediately", "daily")
EMAIL_CHOICE_LABELS = {"off": "Off (in the app only)", "immediately": "Immediately", "daily": "Daily digest"}

# The events of a review loop (someone waits on the answer) e-mail at once; reminders and the rest come in a digest.
IMMEDIATE_BY_DEFAULT = frozenset({"capstone_submitted", "attempt_submitted", "review_shared", "changes_requested",
                                  "capstone_approved", "portfolio_approved", "portfolio_sent_back", "review_reply"})
DEFAULT_EMAIL = {kind: ("immediately" if kind in IMMEDIATE_BY_DEFAULT else "daily") for kind in KINDS}


# Where a notification stands with e-mail (notifications.email_state): NULL until the worker looks at it, then
# "queued" (an e-mail of its own is in the outbox), "digest" (waiting for the user's daily digest), "digested"
# (in a digest in the outbox) or "none" (the user wants no e-mail of it, or is deactivated).
EMAIL_STATES = ("queued", "digest", "digested", "none")
EMAIL_STATE_OF_CHOICE = {"immediately": "queued", "daily": "digest", "off": "none"}
# A notification older than this when the worker first sees it (e-mail was off, or no worker ran) is not e-mailed:
# news of a day ago is in the app; a flood of stale mail when e-mail is switched on helps nobody.
EMAIL_FRESH_FOR = timedelta(hours=24)


def digest_cutoff(now: datetime, hour: int) -> datetime | None:
    """The daily digest that goes out at `now`: from `hour` (UTC) on, it covers what was waiting from before that
    hour today (so news of the afternoon is in tomorrow's); None before the hour. Each user's once a day (the
    outbox's dedupe key names the day)."""
    cutoff = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return cutoff if now >= cutoff else None


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise Invalid(f"Unknown notification kind “{kind}”.", fields={"kind": "unknown kind"})
    return kind


def check_email_choice(kind: str, choice: str) -> str:
    if choice not in EMAIL_CHOICES:
        raise Invalid(f"Choose one of {', '.join(EMAIL_CHOICE_LABELS.values())} for “{KIND_LABELS[kind]}”.",
                      fields={f"email_{kind}": "choose off, immediately or daily digest"})
    return choice


def email_choice(stored: Mapping[str, str], kind: str, *, active: bool = True) -> str:
    """The e-mail choice for one kind: the user's stored choice, else the default; a deactivated user gets none."""
    check_kind(kind)
    if not active:
        return "off"
    choice = stored.get(kind)
    return choice if choice in EMAIL_CHOICES else DEFAULT_EMAIL[kind]


# ---- who is told --------------------------------------------------------------------------------------------------

def submission_recipients(assigned: Iterable[int], track_mentors: Iterable[int], actor_id: int | None) -> set[int]:
    """A capstone or attempt submitted for review tells the learner's mentors for its track. Work nobody is
    assigned to review is claimable by any mentor, so then it reaches the mentors of the track (those assigned to
    some learner for that track or for every track). Never the one who submitted it."""
    told = set(assigned) or set(track_mentors)
    told.discard(actor_id)
    return told


def reply_recipients(author_id: int, *, learner_id: int, mentor_id: int | None, earlier_authors: Iterable[int | None],
                     learner_mentors: Iterable[int] = ()) -> set[int]:
    """A reply in a review conversation tells the other side: everyone in the thread (the learner, the reviewing
    mentor, whoever replied before) but its author. A learner's question under a review whose mentor has left
    (and that nobody else answered yet) goes to the learner's mentors for the work's track."""
    told = recipients({learner_id, mentor_id, *earlier_authors}, author_id)
    if not told and author_id == learner_id:
        told = recipients(learner_mentors, author_id)
    return told


def review_kind(*, last: bool, decision: str | None, capstone: bool) -> str:
    """What a submitted review phase tells the learner: changes requested, a capstone approved, else a phase shared
    (an intermediate phase, or an attempt's last)."""
    if last and decision == "request_changes":
        return "changes_requested"
    if last and decision == "approve" and capstone:
        return "capstone_approved"
    return "review_shared"


def portfolio_kind(new_status: str) -> str:
    return "portfolio_approved" if new_status == "approved" else "portfolio_sent_back"


def recipients(candidates: Iterable[int | None], actor_id: int | None) -> set[int]:
    """The people to tell: never nobody, never the actor themself."""
    return {c for c in candidates if c is not None and c != actor_id}


# ---- what it says -------------------------------------------------------------------------------------------------

TITLE_MAX = 200


def title_for(kind: str, *, actor: str | None = None, what: str = "") -> str:
    """The one line a notification shows: who did what to which piece of work."""
    who = actor or "Someone"
    what = what or "your work"
    titles = {
        "capstone_submitted": f"{who} submitted the capstone “{what}” for review",
        "attempt_submitted": f"{who} asked for a review of the attempt at “{what}”",
        "review_shared": f"{who} shared a review of “{what}”",
        "changes_requested": f"{who} requested changes to your work on “{what}”",
        "capstone_approved": f"{who} approved your capstone “{what}”",
        "portfolio_approved": f"{who} approved your portfolio item “{what}”",
        "portfolio_sent_back": f"{who} sent back your portfolio item “{what}”",
        "step_due": f"A next step is due tomorrow: “{what}”",
        "step_overdue": f"A next step is overdue: “{what}”",
        "claim_lapsing": f"Your claim on “{what}” lapses soon: review it or it returns to the queue",
        "review_reply": f"{who} replied in the review of “{what}”",
    }
    text = titles[check_kind(kind)]
    return text if len(text) <= TITLE_MAX else text[:TITLE_MAX - 1] + "…"


# ---- time-based notifications ---------------------------------------------------------------------------------------

def step_dedupe_key(kind: str, review_id: int, index: int, deadline: str) -> str:
    """Once per step and deadline: a changed deadline is a new reminder."""
    return f"{kind}:review:{review_id}:{index}:{deadline}"


def claim_dedupe_key(subject_type: str, subject_id: int, claimed_at: datetime) -> str:
    """Once per claim: a claim touched again (a new claimed_at) may warn again when that one nears its end."""
    return f"claim_lapsing:{subject_type}:{subject_id}:{claimed_at.isoformat()}"


def due_steps(steps: list[Mapping], done: Iterable[int], today: date) -> list[tuple[str, int, Mapping]]:
    """The reminders of one review's next steps on `today`: ("step_due", i, step) for a step not ticked off whose
    deadline is tomorrow, ("step_overdue", i, step) for one whose deadline has passed."""
    ticked = set(done or [])
    out = []
    for i, step in enumerate(steps or []):
        deadline = step.get("deadline") if isinstance(step, Mapping) else None
        if not deadline or i in ticked:
            continue
        try:
            when = date.fromisoformat(str(deadline))
        except ValueError:
            continue
        if when == today + timedelta(days=1):
            out.append(("step_due", i, step))
        elif when < today:
            out.append(("step_overdue", i, step))
    return out


def lapse_warning(claim_hours: float) -> timedelta:
    """How long before a claim lapses its holder is warned: 12 hours, or half the claim's length if shorter."""
    return timedelta(hours=min(12.0, claim_hours / 2))


def claim_lapsing(claimed_at: datetime, now: datetime, claim_hours: float) -> bool:
    """A live claim that lapses within the warning window."""
    ends = claimed_at + timedelta(hours=claim_hours)
    return now < ends <= now + lapse_warning(claim_hours)
