"""Mission attempts (SPEC §3): /attempts/<id>."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("attempts", __name__, url_prefix="/attempts")
