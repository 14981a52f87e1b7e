"""The floor for bench/run.py: bare Flask rendering 50 rows from the app's database with SQLAlchemy and Jinja.

    DATABASE_URL=postgresql://user@host/db gunicorn -w 2 --chdir bench floor_app:app

No blueprints, no session, no CSRF, no security headers, no ORM models: one query, one template. Whatever
the real app serves per second is compared with what this serves on the same machine, database and gunicorn
settings.
"""
from __future__ import annotations

import os

from flask import Flask, render_template_string
from sqlalchemy import create_engine, text

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Floor</title></head>
<body><h1>Learners</h1>
<table>
<thead><tr><th>Handle</th><th>Name</th><th>Role</th></tr></thead>
<tbody>
{% for row in rows %}<tr><td><a href="/p/{{ row.handle }}">{{ row.handle }}</a></td><td>{{ row.display_name }}</td><td>{{ row.role }}</td></tr>
{% endfor %}</tbody>
</table></body></html>
"""


def _url() -> str:
    url = os.environ["DATABASE_URL"]
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


app = Flask(__name__)
engine = create_engine(_url(), pool_pre_ping=False)
QUERY = text("SELECT id, handle, display_name, role FROM users ORDER BY id LIMIT 50")


@app.get("/")
def index():
    with engine.connect() as conn:
        rows = conn.execute(QUERY).all()
    return render_template_string(TEMPLATE, rows=rows)
