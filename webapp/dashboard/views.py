from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..extensions import db
from ..services import queue as queue_service
from ..services.actors import actor_for
from . import queries

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@login_required
def index():
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
