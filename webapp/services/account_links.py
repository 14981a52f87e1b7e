"""Single-use links sent by e-mail (SPEC §12): password reset and invitations.

A link carries a random token (256 bits); `account_tokens` stores only its SHA-256 hash, so a copy of the database
opens no account. A link is used once: the use is a conditional UPDATE (`used_at IS NULL AND revoked_at IS NULL
AND expires_at > now`) in the same transaction as what it does, so two uses at once cannot both succeed.

- Reset (`purpose="reset"`, an hour): asked for at /auth/reset with the same answer for every address, or sent by an
  admin. Using it sets the password, ends every session and remember-me cookie of the user, revokes their other
  reset links, and logs this browser in.
- Invitation (`purpose="invite"`, seven days): an admin invites an address with a role, optionally a mentor (and a
  suggested name and handle); the invitee chooses name, handle and password, gets the role and the mentor, and is
  logged in. Pending invitations can be revoked or resent (a new link; the old one stops working).
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from ..domain import mail as rules
from ..domain.errors import Conflict, DomainError, NotFound
from ..domain.policies import Actor, can_manage_users, require
from ..domain.text import clean_text
from ..extensions import db
from ..models import AccountToken, MentorAssignment, User
from ..models.base import utcnow
from . import accounts, mail, sessions


class LinkUnusable(DomainError):
    """A link that does not (or no longer) work: `state` is unknown, used, revoked or expired."""

    def __init__(self, purpose: str, state: str):
        super().__init__(rules.LINK_MESSAGES[(purpose, state)])
        self.purpose, self.state = purpose, state
        self.status = rules.LINK_STATUS[state]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, _hash(token)


def find_link(token: str, purpose: str, now: datetime | None = None) -> AccountToken:
    """The link's row while it works, else LinkUnusable saying why."""
    row = None
    if token and isinstance(token, str) and len(token) <= 200:
        row = db.session.scalar(select(AccountToken).where(AccountToken.token_hash == _hash(token),
                                                           AccountToken.purpose == purpose))
    if row is None:
        raise LinkUnusable(purpose, "unknown")
    state = rules.link_state(now or utcnow(), row.expires_at, row.used_at, row.revoked_at)
    if state != "valid":
        raise LinkUnusable(purpose, state)
    return row


def _use(row: AccountToken, now: datetime) -> None:
    """Mark the link used, if it still works at this moment (another request may just have used it)."""
    done = db.session.execute(
        update(AccountToken).where(AccountToken.id == row.id, AccountToken.used_at.is_(None),
                                   AccountToken.revoked_at.is_(None), AccountToken.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if done != 1:
        db.session.rollback()
        raise LinkUnusable(row.purpose, "used")


# ---------------------------------------------------------------------------------------------- reset

def _queue_reset(user: User, by_admin: bool = False) -> AccountToken:
    token, digest = _new_token()
    now = utcnow()
    row = AccountToken(purpose="reset", token_hash=digest, user_id=user.id, email=user.email, created_at=now,
                       expires_at=now + rules.RESET_LIFETIME)
    db.session.add(row)
    mail.queue_email(user.email, "password_reset", {
        "name": user.display_name, "link": mail.absolute_url("auth.reset_password", token=token),
        "by_admin": by_admin, "ask_again": mail.absolute_url("auth.reset_request")}, user=user)
    return row


def request_reset(email: str) -> None:
    """/auth/reset: queue a reset link when an active account uses this address; nothing otherwise. The caller
    answers the same either way."""
    user = db.session.scalar(select(User).where(User.email == accounts.normalise_email(email)))
    if user is None or not user.is_active:
        return
    _queue_reset(user)
    db.session.commit()


def send_reset_by_admin(actor: Actor, user: User) -> None:
    require(can_manage_users(actor))
    if not user.is_active:
        raise Conflict(f"{user.display_name}'s account is deactivated; activate it before sending a reset link.")
    row = _queue_reset(user, by_admin=True)
    row.created_by_id = actor.id
    db.session.commit()


def complete_reset(token: str, password: str, remember: bool = False) -> User:
    """Set a new password from a reset link: every session of the user ends, and a new one opens for this browser
    (attached to the returned user). One commit."""
    row = find_link(token, "reset")
    accounts.check_password(password)
    user = db.session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise LinkUnusable("reset", "unknown")
    now = utcnow()
    _use(row, now)
    user.password_hash = generate_password_hash(password)
    accounts.revoke_reset_links(user, now)
    sessions.delete_sessions(user)
    sessions.open_session(user, remember)
    user.last_login_at = now
    db.session.commit()
    return user


# ---------------------------------------------------------------------------------------------- invitations

def _pending_for(email: str, now: datetime):
    return select(AccountToken).where(AccountToken.purpose == "invite", AccountToken.email == email,
                                      AccountToken.used_at.is_(None), AccountToken.revoked_at.is_(None),
                                      AccountToken.expires_at > now)


def _queue_invitation(row: AccountToken, inviter: User | None) -> None:
    token, digest = _new_token()
    now = utcnow()
    row.token_hash, row.expires_at = digest, now + rules.INVITE_LIFETIME
    mentor = db.session.get(User, row.mentor_id) if row.mentor_id else None
    mail.queue_email(row.email, "invitation", {
        "inviter": inviter.display_name if inviter else None, "role": row.role,
        "mentor": mentor.display_name if mentor else None,
        "link": mail.absolute_url("auth.accept_invitation", token=token)})


def invite(actor: Actor, email: str, role: str, mentor_email: str | None = None, display_name: str | None = None,
           handle: str | None = None) -> AccountToken:
    """Invite an address with a role (and optionally a mentor, a suggested name and handle); queue the e-mail."""
    require(can_manage_users(actor))
    email = accounts.check_email(email)
    accounts.check_role(role)
    mentor = accounts.mentor_for_field(mentor_email)
    name = clean_text(display_name, "display_name", label="display name", one_line=True,
                      limit=accounts.MAX_DISPLAY_NAME) or None
    handle = accounts.check_handle(handle) if (handle or "").strip() else None
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("An account with this email already exists.",
                       fields={"email": "An account with this email already exists."})
    now = utcnow()
    if db.session.scalar(_pending_for(email, now)) is not None:
        raise Conflict("This address has a pending invitation: resend or revoke it below.",
                       fields={"email": "Already invited: resend or revoke the pending invitation."})
    inviter = db.session.get(User, actor.id)
    row = AccountToken(purpose="invite", email=email, role=role, mentor_id=mentor.id if mentor else None,
                       display_name=name, handle=handle, created_by_id=actor.id, created_at=now)
    _queue_invitation(row, inviter)
    db.session.add(row)
    db.session.commit()
    return row


def _invitation(invitation_id: int) -> AccountToken:
    row = db.session.get(AccountToken, invitation_id)
    if row is None or row.purpose != "invite":
        raise NotFound("That invitation no longer exists.")
    return row


def resend(actor: Actor, invitation_id: int) -> AccountToken:
    """A new link for a pending (or expired) invitation, valid seven days from now; the old link stops working."""
    require(can_manage_users(actor))
    row = _invitation(invitation_id)
    if row.used_at is not None:
        raise Conflict("This invitation has already been accepted.")
    if row.revoked_at is not None:
        raise Conflict("This invitation was revoked; invite the address again.")
    if db.session.scalar(select(User.id).where(User.email == row.email)) is not None:
        raise Conflict(f"An account with {row.email} already exists; revoke this invitation.")
    _queue_invitation(row, db.session.get(User, actor.id))
    db.session.commit()
    return row


def revoke(actor: Actor, invitation_id: int) -> AccountToken:
    require(can_manage_users(actor))
    row = _invitation(invitation_id)
    if row.used_at is not None:
        raise Conflict("This invitation has already been accepted.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.commit()
    return row


def accept_invitation(token: str, display_name: str, handle: str, password: str) -> User:
    """Make the invited account (the role and mentor of the invitation; the name, handle and password chosen),
    mark the link used and open a session for this browser, in one commit."""
    row = find_link(token, "invite")
    if db.session.scalar(select(User.id).where(User.email == row.email)) is not None:
        raise Conflict(f"An account with {row.email} already exists, so this invitation cannot make another. "
                       "Log in, or ask for a password-reset link.")
    user = accounts.new_user(row.email, display_name, handle, password, role=row.role or "learner")
    now = utcnow()
    try:
        db.session.flush()
        mentor = db.session.get(User, row.mentor_id) if row.mentor_id else None
        if mentor is not None and mentor.is_mentor and mentor.is_active and mentor.id != user.id:
            db.session.add(MentorAssignment(mentor_id=mentor.id, learner_id=user.id, track=None))
        _use(row, now)
        sessions.open_session(user)
        user.last_login_at = now
        db.session.commit()
    except IntegrityError as exc:   # the handle or the address was taken a moment ago
        db.session.rollback()
        raise Conflict("That email or handle is already in use.",
                       fields=accounts.taken(row.email, handle) or {"handle": "This handle is taken; choose another."}
                       ) from exc
    return user
