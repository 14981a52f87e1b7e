from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user

from .. import caching
from ..extensions import db
from ..services import queue as queue_service
from ..services.actors import actor_for
from . import queries

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def index():
    """A visitor's first look at the product; a logged-in user's dashboard by role."""
    if not current_user.is_authenticated:
        return welcome()
    uid = current_user.id
    ctx = {
        "attempts": db.session.scalars(queries.learner_attempts(uid)).all(),
        "capstones": db.session.scalars(queries.learner_capstones(uid)).all(),
        "portfolio": dict(db.session.execute(queries.portfolio_counts(uid)).all()),
        "suggested": db.session.scalars(queries.suggested_missions()).all(),
    }
    if current_user.is_mentor:
        actor = actor_for(current_user)
        ctx["mentees"] = db.session.execute(queries.mentees(actor)).all()
        ctx["waiting"] = queue_service.waiting_counts(current_user)
    if current_user.role == "admin":
        counts = queries.site_counts()
        ctx["users_by_role"] = dict(db.session.execute(counts["users"]).all())
        ctx["mission_count"] = db.session.scalar(counts["missions"])
        ctx["recipe_count"] = db.session.scalar(counts["recipes"])
    return render_template("dashboard/index.html", **ctx)


def welcome():
    """What the product is, in one screen, with live examples from the catalogue. The body depends only on the
    catalogue and on whether registration is open: made once per catalogue revision."""
    registration = bool(current_app.config.get("ALLOW_REGISTRATION", True))

    def make() -> str:
        return render_template("dashboard/_welcome_body.html", examples=queries.welcome_examples(db.session))

    body = caching.fragment("catalogue", ("welcome", registration), make)
    return render_template("dashboard/welcome.html", body=body)
