from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required, logout_user

from ..domain.errors import Conflict, DomainError
from ..services import account_data, accounts, tokens
from ..services import notifications as notification_service
from ..services import portfolio as portfolio_service
from .forms import DeleteAccountForm, NotificationEmailForm, PasswordForm, ProfileForm, RevokeForm, TokenForm

bp = Blueprint("account", __name__, url_prefix="/account")


def _apply_errors(form, exc: DomainError) -> None:
    for name, message in exc.fields.items():
        if name in form:
            form[name].errors.append(message)
    if not any(name in form for name in exc.fields):
        flash(exc.message, "error")


def _page(status: int = 200, **forms):
    ctx = {
        "profile_form": forms.get("profile_form") or ProfileForm(obj=current_user, formdata=None),
        "password_form": forms.get("password_form") or PasswordForm(formdata=None),
        "token_form": forms.get("token_form") or TokenForm(formdata=None),
        "revoke_form": RevokeForm(formdata=None),
        "email_form": forms.get("email_form") or _email_form(),
        "tokens": tokens.list_tokens(current_user),
        "new_token": forms.get("new_token"),
    }
    return render_template("account/index.html", **ctx), status


def _email_form() -> NotificationEmailForm:
    choices = notification_service.email_choices(current_user)
    return NotificationEmailForm(formdata=None, data={f"email_{kind}": choice for kind, choice in choices.items()})


@bp.get("")
@login_required
def index():
    return _page()


def _used_in(file) -> dict | None:
    """Where an upload is part of saved work, as the page names and links it; None while it is not attached.
    The files service refuses to discard an attached upload (services/files.py delete_file), so the page offers
    no Delete for one."""
    if file.capstone_id is not None:
        return {"label": "a capstone", "url": url_for("capstones.detail", capstone_id=file.capstone_id)}
    if file.review_id is not None:
        return {"label": "a mentor review", "url": url_for("mentorship.review", review_id=file.review_id)}
    if file.portfolio_item_id is not None:
        return {"label": "a portfolio item", "url": url_for("portfolio.detail", item_id=file.portfolio_item_id)}
    return None


@bp.get("/media")
@login_required
def media():
    from ..domain.uploads import KINDS
    from ..services import files as files_service

    max_mb = current_app.config["MAX_UPLOAD_MB"]
    limits = {k: min(kind.max_mb, max_mb) for k, kind in KINDS.items()}
    uploads = files_service.list_uploads(current_user)
    used_in = {f.id: used for f in uploads if (used := _used_in(f)) is not None}
    return render_template("account/media.html", uploads=uploads, used_in=used_in, limits=limits)


@bp.post("/profile")
@login_required
def profile():
    form = ProfileForm()
    if form.validate_on_submit():
        public = {name: form[name].data or "" for name in form.LINK_FIELDS} | {"show_scores": form.show_scores.data}
        try:
            portfolio_service.clean_public_links(public)     # every problem beside its field, before saving anything
            accounts.update_profile(current_user, form.display_name.data, form.handle.data, form.bio.data)
            portfolio_service.set_public_profile(current_user, public)
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            flash("Profile saved.", "success")
            return redirect(url_for("account.index"), 303)
    return _page(422, profile_form=form)


@bp.post("/password")
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.new_password.data)
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            flash("Password changed.", "success")
            return redirect(url_for("account.index"), 303)
    return _page(422, password_form=form)


@bp.post("/notifications")
@login_required
def notification_email():
    form = NotificationEmailForm()
    if form.validate_on_submit():
        try:
            notification_service.save_email_choices(current_user, form.choices())
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            flash("Notification e-mail choices saved.", "success")
            return redirect(url_for("account.index", _anchor="notification-email"), 303)
    return _page(422, email_form=form)


@bp.post("/tokens")
@login_required
def create_token():
    form = TokenForm()
    if form.validate_on_submit():
        try:
            _, secret = tokens.create_token(current_user, form.name.data)
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            # Shown once, in this response only; never stored in the session or the database.
            return _page(201, new_token=secret)
    return _page(422, token_form=form)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    form = RevokeForm()
    if not form.validate_on_submit():
        return _page(400)
    tokens.revoke_token(current_user, token_id)
    flash("Token revoked. Programs using it can no longer call the API.", "success")
    return redirect(url_for("account.index"), 303)


@bp.get("/export")
@login_required
def export():
    """Download everything: a ZIP of data.json and the user's files (README, Your data)."""
    archive = account_data.export_zip(current_user)
    resp = send_file(archive, mimetype="application/zip", as_attachment=True,
                     download_name=account_data.export_filename(current_user))
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _delete_page(form: DeleteAccountForm, status: int = 200):
    return render_template("account/delete.html", form=form), status


@bp.get("/delete")
@login_required
def delete_confirm():
    return _delete_page(DeleteAccountForm(formdata=None))


@bp.post("/delete")
@login_required
def delete():
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        return _delete_page(form, 422)
    try:
        account_data.delete_account(current_user, form.password.data, form.confirm_handle.data)
    except Conflict as exc:
        flash(exc.message, "error")
        return _delete_page(form, 409)
    except DomainError as exc:
        _apply_errors(form, exc)
        return _delete_page(form, 422)
    logout_user()
    flash("Your account and everything in it were deleted. Thank you for learning with us.", "success")
    return redirect(url_for("dashboard.index"), 303)


__all__ = ["bp", "request"]
