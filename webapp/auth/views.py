from __future__ import annotations

import hashlib
import math
import time
import unicodedata
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..domain.errors import DomainError
from ..extensions import limiter
from ..services import account_links, accounts, sessions
from .forms import InvitationForm, LoginForm, RegisterForm, ResetPasswordForm, ResetRequestForm

bp = Blueprint("auth", __name__, url_prefix="/auth")

REGISTERED = ("Thanks for registering. Log in with your email and password to start. "
              "(If this address already had an account, its password has not changed.)")


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths; anything else goes to the dashboard. A backslash, a line break or any other
    control character is refused outright: browsers read "\\" as "/" and drop tabs and line breaks, and a raw
    line break cannot go into the Location header at all."""
    if target and not any(ch == "\\" or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in target):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("dashboard.index")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


ACCOUNT_KEY = "account:"


def _account_key() -> str:
    """The per-account login limit counts by the e-mail typed (normalised as login reads it), whether or not it
    has an account, so the limit tells nobody which addresses are registered. Kept as a hash: the counts table
    holds no addresses."""
    email = accounts.normalise_email(request.form.get("email", ""))[:254]
    return ACCOUNT_KEY + hashlib.sha256(email.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _no_email() -> bool:
    return not accounts.normalise_email(request.form.get("email", ""))


def _login_failed(response) -> bool:
    """Only failed attempts count toward the login limits: the form answered 422 (wrong email or password, or a
    form that does not validate). A successful login (303) does not, so a classroom behind one address, or one
    person logging in and out, is not locked out; nor does a request the limit already refused (429).
    The limits are checked before the view and counted after it, so a burst of parallel failures can pass a few
    past the limit before the counts catch up."""
    return response.status_code == 422


def _reset_limit() -> str:
    return current_app.config["RESET_RATE_LIMIT"]


def _reset_address_limit() -> str:
    return current_app.config["RESET_ADDRESS_RATE_LIMIT"]


def _reset_answered(response) -> bool:
    """Reset requests count when answered (303, for a known address and an unknown one alike)."""
    return response.status_code == 303


def _reset_limited_message() -> str:
    return f"Too many password-reset requests. Try again in {_wait_for_breached()}."


def _registered(response) -> bool:
    """Registrations count when answered (303, for a new address or a taken one alike), not forms sent back to
    fix a field."""
    return response.status_code == 303


def _wait_text(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    if minutes > 90:
        return f"{math.ceil(minutes / 60)} hours"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _wait_for_breached() -> str:
    """How long until every breached limit (the minute's, the hour's, ...) lets a request through. The limiter
    checks all of a view's limits (`fail_on_first_breach=False`), so the longest wait is known."""
    breached = [lim for lim in limiter.current_limits if lim.breached]
    reset_at = max((lim.reset_at for lim in breached), default=time.time() + 60)
    # Whole seconds, as the Retry-After header counts them.
    return _wait_text(int(reset_at - time.time()))


def _login_limited_message() -> str:
    """The 429 text: whose limit held the login back (this address's, this account's or both), and the wait."""
    breached = [lim for lim in limiter.current_limits if lim.breached]
    by_account = any(ACCOUNT_KEY in str(lim.key) for lim in breached)
    by_address = any(ACCOUNT_KEY not in str(lim.key) for lim in breached) or not breached
    whose = " and ".join(w for w, hit in (("from your address", by_address), ("for this account", by_account))
                         if hit)
    return f"Too many failed login attempts {whose}. Try again in {_wait_for_breached()}."


def _register_limited_message() -> str:
    return f"Too many registrations from your address. Try again in {_wait_for_breached()}."


@bp.route("/login", methods=["GET", "POST"])
# The per-address limit is the innermost, so it is the one the X-RateLimit headers describe while none is hit.
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"], deduct_when=_login_failed,
               exempt_when=_no_email, error_message=_login_limited_message)
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_login_failed, error_message=_login_limited_message)
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.log_in(form.email.data, form.password.data, remember=form.remember.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            flash(f"Welcome back, {user.display_name}.", "success")
            return redirect(_safe_next(request.args.get("next")), 303)
        form.password.errors.append("The email or password is not correct.")
    status = 422 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"], deduct_when=_registered, error_message=_register_limited_message)
def register():
    if not current_app.config.get("ALLOW_REGISTRATION", True):
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            accounts.register(form.email.data, form.display_name.data, form.handle.data, form.password.data)
        except DomainError as exc:
            for name, message in exc.fields.items():
                if name in form:
                    form[name].errors.append(message)
            if not exc.fields:
                flash(exc.message, "error")
        else:
            # The same answer for a new address and one that has an account: no login here, no hint either way.
            flash(REGISTERED, "success")
            return redirect(url_for("auth.login"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/register.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    # The session ends on the server: a copy of this browser's cookies no longer logs anyone in.
    sessions.end_session(current_user)
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"), 303)


RESET_SENT = ("If an account uses that address, we sent a link to choose a new password. It works for one hour; "
              "check your spam folder if nothing arrives in a few minutes.")


@bp.route("/reset", methods=["GET", "POST"])
# Per e-mail address typed (known or not, so the limit tells nothing), then per client address.
@limiter.limit(_reset_address_limit, key_func=_account_key, methods=["POST"], deduct_when=_reset_answered,
               exempt_when=_no_email, error_message=_reset_limited_message)
@limiter.limit(_reset_limit, methods=["POST"], deduct_when=_reset_answered, error_message=_reset_limited_message)
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        # The same answer, and the same page, whether or not the address has an account.
        account_links.request_reset(form.email.data)
        flash(RESET_SENT, "success")
        return redirect(url_for("auth.reset_request"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/reset_request.html", form=form), status


def _link_page(body, status: int = 200):
    """A page reached from an e-mailed link: kept by no cache. (Its template also asks for no referrer: the
    site-wide Referrer-Policy already sends only the origin to other sites.)"""
    resp = make_response(body, status)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _link_refused(exc: account_links.LinkUnusable):
    return _link_page(render_template("auth/link_unusable.html", message=exc.message, purpose=exc.purpose),
                      exc.status)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        account_links.find_link(token, "reset")
    except account_links.LinkUnusable as exc:
        return _link_refused(exc)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = account_links.complete_reset(token, form.password.data, remember=form.remember.data)
        except account_links.LinkUnusable as exc:
            return _link_refused(exc)
        except DomainError as exc:
            form.password.errors.append(exc.fields.get("password", exc.message))
        else:
            if current_user.is_authenticated:
                sessions.end_session(current_user)
                logout_user()
            login_user(user, remember=form.remember.data)
            flash("Your password is changed, and every other session of your account has ended.", "success")
            return redirect(url_for("dashboard.index"), 303)
    status = 422 if request.method == "POST" else 200
    return _link_page(render_template("auth/reset_password.html", form=form), status)


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    try:
        invitation = account_links.find_link(token, "invite")
    except account_links.LinkUnusable as exc:
        return _link_refused(exc)
    if request.method == "GET":
        form = InvitationForm(formdata=None, data={"display_name": invitation.display_name or "",
                                                   "handle": invitation.handle or ""})
    else:
        form = InvitationForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = account_links.accept_invitation(token, form.display_name.data, form.handle.data,
                                                   form.password.data)
        except account_links.LinkUnusable as exc:
            return _link_refused(exc)
        except DomainError as exc:
            if "email" in exc.fields or not exc.fields:
                # The address has an account by now: this invitation cannot make another one.
                return _link_page(render_template("auth/link_unusable.html", message=exc.message,
                                                  purpose="invite", existing=True), 409)
            for name, message in exc.fields.items():
                if name in form:
                    form[name].errors.append(message)
            status = exc.status
        else:
            if current_user.is_authenticated:
                sessions.end_session(current_user)
                logout_user()
            login_user(user)
            flash(f"Welcome to Mastery Tracks, {user.display_name}.", "success")
            return redirect(url_for("dashboard.index"), 303)
    if request.method == "POST" and status == 200:
        status = 422
    return _link_page(render_template("auth/invitation.html", form=form, invitation=invitation), status)
