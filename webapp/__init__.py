"""Mastery Tracks: the application factory.

`create_app(config)` merges the defaults, the environment (SPEC §11) and the dict passed in,
then wires extensions, blueprints, error handlers, CLI commands and hooks. Nothing else.
Imports happen inside the factory so the plain domain modules can run without Flask installed.
"""
from __future__ import annotations

import os


def create_app(config: dict | None = None):
    from flask import Flask

    from . import config as cfg_mod
    from .extensions import csrf, db, login_manager, migrate
    from .ratelimit import init_ratelimit  # also registers the database:// rate-limit storage

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(
        __name__,
        template_folder=os.path.join(root, "templates"),
        static_folder=os.path.join(root, "static"),
        instance_path=(config or {}).get("INSTANCE_PATH") or os.environ.get("MASTERY_INSTANCE_PATH")
        or os.path.join(root, "instance"),
    )
    settings = cfg_mod.defaults()
    settings.update(cfg_mod.load_config(os.environ))
    settings.update(config or {})
    cfg_mod.finalise(settings, app.instance_path)
    app.config.update(settings)
    os.makedirs(app.instance_path, exist_ok=True)

    if app.config["TRUSTED_PROXY_COUNT"]:
        # Behind a reverse proxy: take the client address and scheme from the proxy's headers, so rate
        # limits count each visitor rather than the proxy.
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    from .static_files import serve_static

    serve_static(app)      # WhiteNoise answers /static/… before the app: no session, no database

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(root, "migrations"), render_as_batch=True)
    csrf.init_app(app)
    init_ratelimit(app)
    login_manager.init_app(app)

    from . import models  # noqa: F401  (registers every table)
    from .auth.login import init_login
    from .boundary import init_boundary
    from .caching import init_app as init_caching
    from .errors import register_error_handlers
    from .routing import init_routing
    from .security import init_security
    from .templating import init_templating

    init_boundary(app)     # the request and response classes: what is read and how text goes out
    init_login(app)
    with app.app_context():
        init_caching(app)  # revisions bumped on flush, the worker's store, quick reads, the pool's idle ping
    init_routing(app)      # before any blueprint adds a rule that uses `<int:…>`
    init_security(app)
    init_templating(app)
    register_error_handlers(app)

    from .account import bp as account_bp
    from .admin import bp as admin_bp
    from .api import init_api
    from .attempts import bp as attempts_bp
    from .auth import bp as auth_bp
    from .capstones import bp as capstones_bp
    from .dashboard import bp as dashboard_bp
    from .files import bp as files_bp
    from .health import bp as health_bp
    from .mentorship import bp as mentorship_bp
    from .missions import bp as missions_bp
    from .notifications import bp as notifications_bp
    from .portfolio import bp as portfolio_bp

    for bp in (auth_bp, dashboard_bp, missions_bp, attempts_bp, capstones_bp, admin_bp, account_bp, files_bp,
               mentorship_bp, portfolio_bp, notifications_bp, health_bp):
        app.register_blueprint(bp)
    init_api(app)          # the JSON API and its OpenAPI document (flask-smorest)

    from .cli import register_cli

    register_cli(app)
    return app
