"""The JSON API blueprint, /api/v1. Bearer tokens only (CSRF-exempt; never the session cookie)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from . import capstones, me, mentorship, missions, portfolio
from .openapi import build_spec

bp = Blueprint("api", __name__, url_prefix="/api/v1")
RESOURCES = (me, missions, capstones, mentorship, portfolio)
for module in RESOURCES:
    module.routes.register(bp)


@bp.get("/openapi.json")
def openapi():
    operations = [op for module in RESOURCES for op in module.routes.operations]
    return jsonify(build_spec(operations, bp.url_prefix, current_app.config.get("API_VERSION", "1.0.0")))


@bp.after_request
def no_store(response):
    response.headers.setdefault("Cache-Control", "no-store")
    return response
