"""Static files are answered by WhiteNoise before the app (webapp/static_files.py): cached briefly, revalidated with
ETags, gzip twins sent to browsers that accept them, and no session or database involved."""
from __future__ import annotations

import gzip

from flask import Flask

from tests.conftest import count_queries
from webapp.static_files import serve_static


def test_a_static_file_is_served_without_session_or_database(client):
    with count_queries() as q:
        resp = client.get("/static/css/app.css")
    assert resp.status_code == 200
    assert resp.mimetype == "text/css"
    assert b"{" in resp.data
    assert resp.headers["Cache-Control"] == "max-age=60, public"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "Access-Control-Allow-Origin" not in resp.headers
    assert "Set-Cookie" not in resp.headers
    assert q.count == 0
    again = client.get("/static/css/app.css", headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_the_vendored_htmx_is_served(client):
    js = client.get("/static/js/htmx-2.0.11.min.js")
    assert js.status_code == 200 and "javascript" in js.mimetype


def test_a_missing_static_file_is_404(client):
    assert client.get("/static/css/nothing-here.css").status_code == 404
    assert client.get("/static/../wsgi.py").status_code == 404


def test_the_gzip_twin_goes_to_browsers_that_accept_it(tmp_path):
    body = b"body { color: #123; }\n" * 200
    (tmp_path / "site.css").write_bytes(body)
    (tmp_path / "site.css.gz").write_bytes(gzip.compress(body))
    app = Flask(__name__, static_folder=str(tmp_path))
    serve_static(app)
    client = app.test_client()
    zipped = client.get("/static/site.css", headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == body
    assert "Accept-Encoding" in zipped.headers["Vary"]
    plain = client.get("/static/site.css")
    assert "Content-Encoding" not in plain.headers and plain.data == body
