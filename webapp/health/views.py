"""/healthz and /readyz: probes for container healthchecks and load balancers.

Both are unauthenticated and cheap, answer plain JSON that is never cached, set no cookie, and say nothing an
attacker could use: why a probe failed goes to the log, not into the answer. They are exempt from the HTTPS
redirect (a load balancer probes the app over plain HTTP inside its network).
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from ..security import talisman
from ..services import health as service

bp = Blueprint("health", __name__)


def _answer(status: str, code: int):
    resp = jsonify(status=status)
    resp.status_code = code
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/healthz")
@talisman(force_https=False)
def healthz():
    """The process is up and answering; touches neither the database nor storage."""
    return _answer("ok", 200)


@bp.get("/readyz")
@talisman(force_https=False)
def readyz():
    """Ready for traffic: the database answers and is migrated to the code's head, and storage is reachable."""
    problems = service.problems()
    if problems:
        current_app.logger.warning("readyz: not ready: %s", "; ".join(problems))
        return _answer("unavailable", 503)
    return _answer("ready", 200)
