"""The JSON API, /api/v1, on flask-smorest: one Blueprint per resource module, nested in the "api" blueprint, and the
OpenAPI document smorest generates from their schemas at /api/v1/openapi.json. Bearer tokens only (CSRF-exempt;
never the session cookie)."""
from __future__ import annotations

from ..errors import is_api_request
from ..extensions import csrf
from . import attempts, capstones, me, mentorship, missions, notifications, portfolio, snippets
from .core import Api, Blueprint, PathParametersInOperations

PREFIX = "/api/v1"
RESOURCES = (me, missions, attempts, capstones, mentorship, portfolio, notifications, snippets)
SPEC = {
    "title": "Mastery Tracks API", "version": "1.0.0", "openapi_version": "3.0.3",
    "info": {"description": "Missions, capstones, mentor reviews and portfolios. Authenticate with a personal "
                            "token: `Authorization: Bearer <token>`."},
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
}

bp = Blueprint("api", __name__, url_prefix=PREFIX)
for module in RESOURCES:
    bp.register_blueprint(module.bp)
    csrf.exempt(module.bp)


def init_api(app) -> Api:
    """Register the API and its document; the document's URL is /api/v1/openapi.json."""
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = Api(app, spec_kwargs={**SPEC, "flask_plugin": PathParametersInOperations()})
    api.register_blueprint(bp)

    @app.after_request
    def no_store(response):
        if is_api_request():
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return api
