"""Accounts: registration, authentication, roles, profiles and mentor assignments."""
from __future__ import annotations

import re

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..domain.catalogue import ROLES, TRACKS
from ..domain.errors import Conflict, Forbidden, Invalid, NotFound
from ..domain.policies import Actor, can_manage_users, require
from ..domain.text import clean_text
from ..extensions import db
from ..models import AccountToken, ApiToken, MentorAssignment, User
from ..models.base import utcnow
from . import sessions

HANDLE_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{1,38}[a-z0-9])$")
RESERVED_HANDLES = {"admin-panel", "api", "static", "auth", "login", "logout", "p", "s", "me"}
MIN_PASSWORD = 10
# A hash to compare against when the email is unknown, so both paths take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def check_handle(handle: str) -> str:
    handle = (handle or "").strip().lower()
    if not HANDLE_RE.match(handle):
        raise Invalid("Choose a handle of 3-40 lowercase letters, digits, dashes or underscores.",
                      fields={"handle": "3-40 lowercase letters, digits, - or _; starts and ends with a letter or digit"})
    if handle in RESERVED_HANDLES:
        raise Invalid("That handle is reserved.", fields={"handle": "That handle is reserved; choose another."})
    return handle


def check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise Invalid(f"Passwords need at least {MIN_PASSWORD} characters.",
                      fields={"password": f"Use at least {MIN_PASSWORD} characters."})


def _taken(email: str, handle: str, exclude_id: int | None = None) -> dict[str, str]:
    problems = {}
    q = select(User.id).where(User.email == email)
    if exclude_id:
        q = q.where(User.id != exclude_id)
    if db.session.scalar(q) is not None:
        problems["email"] = "An account with this email already exists."
    q = select(User.id).where(User.handle == handle)
    if exclude_id:
        q = q.where(User.id != exclude_id)
    if db.session.scalar(q) is not None:
        problems["handle"] = "This handle is taken; choose another."
    return problems


MAX_DISPLAY_NAME = 120
MAX_BIO = 5000


def _profile_text(display_name: str | None, bio: str | None) -> tuple[str, str]:
    """The display name (one line, required) and bio as domain.text cleans every text, or Invalid naming the field
    (too long is refused, never cut)."""
    name = clean_text(display_name, "display_name", label="display name", one_line=True, limit=MAX_DISPLAY_NAME)
    if not name:
        raise Invalid("Enter a display name.", fields={"display_name": "Enter the name others will see."})
    return name, clean_text(bio, "bio", limit=MAX_BIO)


def check_email(email: str) -> str:
    """The address as stored (trimmed, lower case), or Invalid."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise Invalid("Enter a valid email address.", fields={"email": "Enter a valid email address."})
    return email


def check_role(role: str) -> str:
    if role not in ROLES:
        raise Invalid(f"Unknown role '{role}'.", fields={"role": f"must be one of {', '.join(ROLES)}"})
    return role


def new_user(email: str, display_name: str, handle: str, password: str, role: str = "learner",
             bio: str = "") -> User:
    """Check a new account the way registration, `flask users create`, the admin page and an accepted invitation
    all do, and add it to the session (the caller commits)."""
    email = normalise_email(email)
    handle = check_handle(handle)
    check_password(password)
    display_name, bio = _profile_text(display_name, bio)
    check_role(role)
    check_email(email)
    problems = _taken(email, handle)
    if problems:
        raise Conflict("That email or handle is already in use.", fields=problems)
    user = User(email=email, display_name=display_name, handle=handle, role=role, bio=bio,
                password_hash=generate_password_hash(password))
    db.session.add(user)
    return user


def create_user(email: str, display_name: str, handle: str, password: str, role: str = "learner",
                bio: str = "") -> User:
    user = new_user(email, display_name, handle, password, role, bio)
    email, handle = user.email, user.handle
    try:
        db.session.commit()
    except IntegrityError as exc:  # a concurrent registration won the race
        db.session.rollback()
        raise Conflict("That email or handle is already in use.", fields=_taken(email, handle)) from exc
    return user


def register(email: str, display_name: str, handle: str, password: str) -> None:
    """Self-registration of a learner, answering the same whether or not the address already has an account,
    so the form does not tell a stranger who is registered. A new address gets its account; for a taken one
    nothing is made or changed (and once the app sends e-mail, issue #19, the address's owner gets a notice that
    someone tried to register with it). Both take the same time: the password is hashed either way.
    A taken handle is still reported (Conflict): handles are public at /p/<handle> anyway."""
    email = normalise_email(email)
    try:
        create_user(email, display_name, handle, password, role="learner")
    except Conflict as exc:
        if "handle" in exc.fields:
            raise Conflict("That handle is taken.", fields={"handle": exc.fields["handle"]}) from exc
        # The address is taken (perhaps by a registration a moment ago): the answer stays "registered".
        generate_password_hash(password)


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None. Inactive accounts never authenticate."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.is_active:
        return None
    return user


def log_in(email: str, password: str, remember: bool = False) -> User | None:
    """Check the credentials and open a session (services.sessions) for them, in one commit: the user, with the
    new session's id attached for the cookies, or None."""
    user = authenticate(email, password)
    if user is None:
        return None
    user.last_login_at = utcnow()
    sessions.open_session(user, remember)
    db.session.commit()
    return user


def get_user_by_email(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound(f"No user with email {normalise_email(email)}.")
    return user


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def update_profile(user: User, display_name: str, handle: str, bio: str) -> User:
    handle = check_handle(handle)
    display_name, bio = _profile_text(display_name, bio)
    problems = _taken(user.email, handle, exclude_id=user.id)
    problems.pop("email", None)
    if problems:
        raise Conflict("That handle is taken.", fields=problems)
    user.display_name, user.handle, user.bio = display_name, handle, bio
    db.session.commit()
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current or ""):
        raise Invalid("Your current password is not correct.", fields={"current_password": "Not correct."})
    check_password(new)
    user.password_hash = generate_password_hash(new)
    revoke_reset_links(user)
    # Whoever else holds a session of this account (a forgotten laptop, a stolen cookie) is out; this one stays.
    sessions.delete_sessions(user, keep_id=user.session_id)
    db.session.commit()


def set_password(user: User, new: str) -> None:
    """A password set without the old one (the command line): every session ends."""
    check_password(new)
    user.password_hash = generate_password_hash(new)
    revoke_reset_links(user)
    sessions.delete_sessions(user)
    db.session.commit()


def set_role(actor: Actor, user: User, role: str) -> User:
    require(can_manage_users(actor))
    if role not in ROLES:
        raise Invalid(f"Unknown role '{role}'.", fields={"role": f"must be one of {', '.join(ROLES)}"})
    if user.id == actor.id and role != "admin":
        raise Conflict("You cannot remove your own admin role; ask another admin.")
    user.role = role
    db.session.commit()
    return user


def set_active(actor: Actor, user: User, active: bool) -> User:
    require(can_manage_users(actor))
    if user.id == actor.id and not active:
        raise Conflict("You cannot deactivate your own account.")
    user.is_active = active
    if not active:
        # Deactivation ends every session and revokes every API token. Reactivating does not bring them back:
        # the account logs in anew and makes new tokens, so nothing handed out before (perhaps the reason for
        # the deactivation) works again unseen.
        sessions.delete_sessions(user)
        db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                           .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()
    return user


def link_mentor(mentor: User, learner: User, track: str | None = None) -> tuple[MentorAssignment, bool]:
    """Stages the assignment (no commit): (the assignment, True) when made now, (the existing one, False) when
    the mentor already mentors the learner for this track. Callers check permission and commit."""
    if not mentor.is_mentor:
        raise Invalid(f"{mentor.email} is not a mentor; give them the mentor role first.",
                      fields={"mentor": "must have the mentor or admin role"})
    if mentor.id == learner.id:
        raise Invalid("A user cannot mentor themselves.", fields={"learner": "must differ from the mentor"})
    if track is not None and track not in TRACKS:
        raise Invalid(f"Unknown track '{track}'.", fields={"track": f"must be one of {', '.join(TRACKS)}"})
    existing = db.session.scalar(select(MentorAssignment).where(
        MentorAssignment.mentor_id == mentor.id, MentorAssignment.learner_id == learner.id,
        MentorAssignment.track.is_(None) if track is None else MentorAssignment.track == track))
    if existing:
        return existing, False
    link = MentorAssignment(mentor_id=mentor.id, learner_id=learner.id, track=track)
    db.session.add(link)
    return link, True


def assign_mentor(actor: Actor | None, mentor: User, learner: User, track: str | None = None) -> MentorAssignment:
    """actor None means the command line (trusted)."""
    if actor is not None:
        require(can_manage_users(actor))
    link, made = link_mentor(mentor, learner, track)
    if not made:
        return link
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return db.session.scalar(select(MentorAssignment).where(
            MentorAssignment.mentor_id == mentor.id, MentorAssignment.learner_id == learner.id))
    return link


def remove_assignment(actor: Actor, assignment_id: int) -> None:
    require(can_manage_users(actor))
    link = db.session.get(MentorAssignment, assignment_id)
    if link is None:
        raise NotFound("That mentor assignment no longer exists.")
    db.session.delete(link)
    db.session.commit()


def revoke_reset_links(user: User, now=None) -> None:
    """The user's password-reset links not yet used stop working (the password changed). The caller commits."""
    db.session.execute(update(AccountToken).where(
        AccountToken.purpose == "reset", AccountToken.user_id == user.id, AccountToken.used_at.is_(None),
        AccountToken.revoked_at.is_(None)).values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False))


def taken(email: str, handle: str) -> dict[str, str]:
    """Which of this address and handle an account already uses, a message per field."""
    return _taken(normalise_email(email), (handle or "").strip().lower())


def mentor_for_field(email: str | None) -> User | None:
    """The mentor an admin typed (in the mentor_email field), None when the field is empty; Invalid beside the
    field for an unknown address or an account without a mentor role."""
    if not (email or "").strip():
        return None
    mentor = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if mentor is None:
        raise Invalid("No account uses that mentor's email.", fields={"mentor_email": "No account uses this email."})
    if not mentor.is_mentor:
        raise Invalid(f"{mentor.email} is not a mentor; give them the mentor role first.",
                      fields={"mentor_email": "This account has no mentor role."})
    return mentor


def admin_create_user(actor: Actor, email: str, display_name: str, handle: str, role: str, password: str,
                      mentor_email: str | None = None) -> User:
    """An admin creates an account with a password (the checks of registration), and optionally assigns its
    mentor, in one commit."""
    require(can_manage_users(actor))
    mentor = mentor_for_field(mentor_email)
    user = new_user(email, display_name, handle, password, role)
    try:
        db.session.flush()
        if mentor is not None:
            db.session.add(MentorAssignment(mentor_id=mentor.id, learner_id=user.id, track=None))
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict("That email or handle is already in use.", fields=taken(email, handle)) from exc
    return user


def count_admins() -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.role == "admin", User.is_active))


__all__ = ["Forbidden"]
