"""The floor for bench/run.py: bare Flask rendering 50 rows from the app's database with SQLAlchemy and Jinja.

    DATABASE_URL=postgresql://user@host/db gunicorn -w 2 --chdir bench floor_app:app

No blueprints, no session, no CSRF, no security headers, no ORM models: one query, one template (a file, so
Jinja compiles it once per worker, as in any Flask app; compiling a template string on every request would make
the floor slower than Flask is). Whatever the real app serves per second is compared with what this serves on
the same machine, database and gunicorn settings.
"""
from __future__ import annotations

import gc
import os

from flask import Flask, render_template
from sqlalchemy import create_engine, text


def _url() -> str:
    url = os.environ["DATABASE_URL"]
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


app = Flask(__name__, template_folder="floor_templates")
engine = create_engine(_url(), pool_pre_ping=False)
QUERY = text("SELECT id, handle, display_name, role FROM users ORDER BY id LIMIT 50")


@app.get("/")
def index():
    with engine.connect() as conn:
        rows = conn.execute(QUERY).all()
    return render_template("floor.html", rows=rows)


# What the app's gunicorn.conf.py does for each worker, so the two are compared on the same footing (gunicorn
# imports this module in each worker).
gc.collect()
gc.freeze()
