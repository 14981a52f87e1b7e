from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..domain import cohorts as cohort_rules
from ..domain.errors import Conflict, DomainError, Invalid
from ..extensions import db
from ..security import role_required
from ..models.base import utcnow
from ..services import account_links, accounts
from ..services import cohorts as cohort_service
from ..services.actors import actor_for
from . import queries
from .forms import (ActiveForm, AssignmentForm, CohortForm, CreateUserForm, InviteForm, MemberForm, RoleForm,
                    UserFilterForm)

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


def _render(status: int = 200, assignment_form: AssignmentForm | None = None,
            create_form: CreateUserForm | None = None, invite_form: InviteForm | None = None):
    filters = UserFilterForm(request.args)
    filters.validate()
    stmt = queries.users(filters.q.data, filters.role.data or None)
    users = db.paginate(stmt, page=_page_number(), per_page=queries.PER_PAGE, error_out=False)
    if users.page > max(1, users.pages):   # past the end: the last page
        users = db.paginate(stmt, page=users.pages, per_page=queries.PER_PAGE, error_out=False)
    assignments = queries.assignments(filters.q.data)
    return render_template(
        "admin/index.html", filters=filters, users=users.items, total=users.total, page=users.page,
        pages=max(1, users.pages),
        role_form=RoleForm(formdata=None), active_form=ActiveForm(formdata=None),
        assignment_form=assignment_form or AssignmentForm(formdata=None),
        assignments=db.session.scalars(assignments.limit(queries.ASSIGNMENTS_SHOWN)).all(),
        assignment_total=db.session.scalar(queries.count(assignments)),
        create_form=create_form or CreateUserForm(formdata=None),
        invite_form=invite_form or InviteForm(formdata=None),
        invitations=db.session.scalars(queries.invitations().limit(queries.INVITATIONS_SHOWN)).unique().all(),
        now=utcnow(),
    ), status


@bp.get("")
@role_required("admin")
def index():
    return _render()


@bp.post("/users/<int:user_id>/role")
@role_required("admin")
def set_role(user_id: int):
    form = RoleForm()
    if not form.validate_on_submit():
        raise Invalid("Choose a known role.", fields={"role": "unknown role"})
    user = accounts.get_user(user_id)
    back = request.referrer if _same_site(request.referrer) else url_for("admin.index")
    try:
        accounts.set_role(actor_for(current_user), user, form.role.data)
    except Conflict as exc:
        # e.g. an admin demoting themselves: the admin page again with the reason, nothing changed.
        flash(exc.message, "error")
        return _render(409)
    flash(f"{user.display_name} is now {user.role}.", "success")
    return redirect(back, 303)


@bp.post("/users/<int:user_id>/<any(activate, deactivate):action>")
@role_required("admin")
def set_active(user_id: int, action: str):
    user = accounts.get_user(user_id)
    try:
        accounts.set_active(actor_for(current_user), user, action == "activate")
    except Conflict as exc:
        flash(exc.message, "error")
        return _render(409)
    flash(f"{user.display_name} is {'active' if user.is_active else 'deactivated: they can no longer log in'}.",
          "success")
    return redirect(url_for("admin.index"), 303)


@bp.post("/assignments")
@role_required("admin")
def assign():
    form = AssignmentForm()
    if form.validate_on_submit():
        try:
            mentor = _user_for_field(form.mentor_email.data, "mentor")
            learner = _user_for_field(form.learner_email.data, "learner")
            accounts.assign_mentor(actor_for(current_user), mentor, learner, form.track.data or None)
        except DomainError as exc:
            target = {"mentor": "mentor_email", "learner": "learner_email", "track": "track"}
            placed = False
            for name, message in exc.fields.items():
                if target.get(name) in form:
                    form[target[name]].errors.append(message)
                    placed = True
            if not placed:
                form.learner_email.errors.append(exc.message)
        else:
            flash(f"{mentor.display_name} now mentors {learner.display_name}.", "success")
            return redirect(url_for("admin.index") + "#assignments", 303)
    return _render(422, assignment_form=form)


@bp.post("/assignments/<int:assignment_id>/remove")
@role_required("admin")
def unassign(assignment_id: int):
    accounts.remove_assignment(actor_for(current_user), assignment_id)
    flash("Mentor assignment removed.", "success")
    return redirect(url_for("admin.index") + "#assignments", 303)


def _user_for_field(email: str, field: str):
    """The user with this email; an unknown email is reported beside the field it was typed in."""
    try:
        return accounts.get_user_by_email(email)
    except DomainError as exc:
        exc.fields.setdefault(field, exc.message)
        raise


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)


# ---- cohorts ---------------------------------------------------------------------------------------------------
# A cohort is a filter and a way to organise (services.cohorts); it grants no access.

def _place(form, exc: DomainError, fallback: str) -> None:
    """The service's messages beside the fields they name; any other message beside `fallback`."""
    placed = False
    for name, message in exc.fields.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
            placed = True
    if not placed:
        form[fallback].errors = [exc.message]


def _cohorts_page(form: CohortForm | None = None, status: int = 200):
    return render_template("admin/cohorts.html", summaries=cohort_service.overview(actor_for(current_user)),
                           form=form or CohortForm(formdata=None)), status


def _cohort_page(cohort, form: CohortForm | None = None, member_form: MemberForm | None = None,
                 status: int = 200):
    return render_template("admin/cohort.html", cohort=cohort, members=cohort_service.members(cohort),
                           member_kind=cohort_rules.member_kind,
                           form=form or CohortForm(formdata=None, obj=cohort, track=cohort.track or ""),
                           member_form=member_form or MemberForm(formdata=None),
                           button_form=ActiveForm(formdata=None)), status


@bp.get("/cohorts")
@role_required("admin")
def cohorts():
    return _cohorts_page()


@bp.post("/cohorts")
@role_required("admin")
def create_cohort():
    form = CohortForm()
    try:
        cohort = cohort_service.create(actor_for(current_user), form.data)
    except (Invalid, Conflict) as exc:
        _place(form, exc, "name")
        return _cohorts_page(form, exc.status)
    flash(f"Cohort “{cohort.name}” created. Add its learners and mentors below.", "success")
    return redirect(url_for("admin.cohort", cohort_id=cohort.id), 303)


@bp.get("/cohorts/<int:cohort_id>")
@role_required("admin")
def cohort(cohort_id: int):
    return _cohort_page(cohort_service.get(cohort_id))


@bp.post("/cohorts/<int:cohort_id>")
@role_required("admin")
def edit_cohort(cohort_id: int):
    cohort = cohort_service.get(cohort_id)
    form = CohortForm()
    try:
        cohort_service.update(actor_for(current_user), cohort, form.data)
    except (Invalid, Conflict) as exc:
        _place(form, exc, "name")
        db.session.refresh(cohort)
        return _cohort_page(cohort, form=form, status=exc.status)
    flash(f"Cohort “{cohort.name}” saved.", "success")
    return redirect(url_for("admin.cohort", cohort_id=cohort.id), 303)


@bp.post("/cohorts/<int:cohort_id>/delete")
@role_required("admin")
def delete_cohort(cohort_id: int):
    name = cohort_service.delete(actor_for(current_user), cohort_service.get(cohort_id))
    flash(f"Cohort “{name}” deleted. Its members' accounts and mentor assignments are unchanged.", "success")
    return redirect(url_for("admin.cohorts"), 303)


@bp.post("/cohorts/<int:cohort_id>/members")
@role_required("admin")
def add_member(cohort_id: int):
    cohort = cohort_service.get(cohort_id)
    form = MemberForm()
    try:
        user, added = cohort_service.add_member(actor_for(current_user), cohort, form.who.data)
    except Invalid as exc:
        _place(form, exc, "who")
        return _cohort_page(cohort, member_form=form, status=exc.status)
    kind = cohort_rules.member_kind(user.role)
    if added:
        flash(f"{user.display_name} joined {cohort.name} as a {kind}.", "success")
    else:
        flash(f"{user.display_name} is already in {cohort.name}; nothing changed.", "info")
    return redirect(url_for("admin.cohort", cohort_id=cohort.id) + "#cohort-members", 303)


@bp.post("/cohorts/<int:cohort_id>/members/<int:user_id>/remove")
@role_required("admin")
def remove_member(cohort_id: int, user_id: int):
    cohort = cohort_service.get(cohort_id)
    user = cohort_service.remove_member(actor_for(current_user), cohort, user_id)
    flash(f"{user.display_name} left {cohort.name}. Their account and mentor assignments are unchanged.", "success")
    return redirect(url_for("admin.cohort", cohort_id=cohort.id) + "#cohort-members", 303)


@bp.post("/cohorts/<int:cohort_id>/assign-mentors")
@role_required("admin")
def assign_cohort_mentors(cohort_id: int):
    cohort = cohort_service.get(cohort_id)
    made = cohort_service.assign_mentors(actor_for(current_user), cohort)
    flash(f"{made} mentor assignment{'' if made == 1 else 's'} made." if made
          else "Every mentor of the cohort already mentors each of its learners; nothing changed.",
          "success" if made else "info")
    return redirect(url_for("admin.cohort", cohort_id=cohort.id), 303)


def _place_errors(form, exc: DomainError, fallback: str) -> None:
    """Each message beside its field; one that names no field of the form goes beside `fallback`."""
    placed = False
    for name, message in exc.fields.items():
        if name in form:
            form[name].errors.append(message)
            placed = True
    if not placed:
        form[fallback].errors.append(exc.message)


@bp.post("/users")
@role_required("admin")
def create_user():
    form = CreateUserForm()
    if form.validate_on_submit():
        actor = actor_for(current_user)
        try:
            if form.send_invitation.data:
                account_links.invite(actor, form.email.data, form.role.data, form.mentor_email.data,
                                     form.display_name.data, form.handle.data)
            elif not form.password.data:
                raise Invalid("Enter a password, or choose to send an invitation instead.",
                              fields={"password": "Enter a password, or tick “Send an invitation instead”."})
            else:
                user = accounts.admin_create_user(actor, form.email.data, form.display_name.data, form.handle.data,
                                                  form.role.data, form.password.data, form.mentor_email.data)
        except DomainError as exc:
            _place_errors(form, exc, "email")
            return _render(exc.status if exc.status in (409, 422) else 422, create_form=form)
        if form.send_invitation.data:
            flash(f"Invitation sent to {accounts.normalise_email(form.email.data)}.", "success")
            return redirect(url_for("admin.index") + "#invitations", 303)
        flash(f"Created {user.role} {user.display_name} ({user.email}).", "success")
        return redirect(url_for("admin.index"), 303)
    return _render(422, create_form=form)


@bp.post("/invitations")
@role_required("admin")
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            row = account_links.invite(actor_for(current_user), form.email.data, form.role.data,
                                       form.mentor_email.data)
        except DomainError as exc:
            _place_errors(form, exc, "email")
            return _render(exc.status if exc.status in (409, 422) else 422, invite_form=form)
        flash(f"Invitation sent to {row.email}.", "success")
        return redirect(url_for("admin.index") + "#invitations", 303)
    return _render(422, invite_form=form)


@bp.post("/invitations/<int:invitation_id>/<any(resend, revoke):action>")
@role_required("admin")
def invitation_action(invitation_id: int, action: str):
    actor = actor_for(current_user)
    try:
        if action == "resend":
            row = account_links.resend(actor, invitation_id)
        else:
            row = account_links.revoke(actor, invitation_id)
    except Conflict as exc:
        flash(exc.message, "error")
        return _render(409)
    flash(f"A new invitation link was sent to {row.email}; the earlier one no longer works." if action == "resend"
          else f"The invitation of {row.email} is revoked.", "success")
    return redirect(url_for("admin.index") + "#invitations", 303)


@bp.post("/users/<int:user_id>/reset-link")
@role_required("admin")
def send_reset_link(user_id: int):
    user = accounts.get_user(user_id)
    try:
        account_links.send_reset_by_admin(actor_for(current_user), user)
    except Conflict as exc:
        flash(exc.message, "error")
        return _render(409)
    flash(f"A password-reset link was sent to {user.email}.", "success")
    return redirect(url_for("admin.index"), 303)
