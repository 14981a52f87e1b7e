"""Capstone workspace (SPEC §4): /capstones and /capstones/<id>."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..extensions import db
from . import queries

bp = Blueprint("capstones", __name__, url_prefix="/capstones")
LIST_LIMIT = 200


@bp.get("")
@login_required
def index():
    capstones = db.session.scalars(queries.visible_capstones(current_user.id, current_user.role)
                                   .limit(LIST_LIMIT)).all()
    own = [c for c in capstones if c.learner_id == current_user.id]
    others = [c for c in capstones if c.learner_id != current_user.id]
    return render_template("capstones/index.html", own=own, others=others)
