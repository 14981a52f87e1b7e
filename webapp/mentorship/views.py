"""Mentor reviews (SPEC §5): /mentorship/queue and /mentorship/reviews/<id>."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("mentorship", __name__, url_prefix="/mentorship")
