"""Where a page's time goes: the benchmark's pages and the floor, served in-process, timed and profiled.

    .venv/bin/python bench/profile_pages.py --database-url postgresql://... [--requests 300] [--profile PAGE]

A quicker companion to bench/run.py for working on the hot paths. It needs a database that already holds the
demo data (`flask db upgrade && flask seed --demo && flask seed --scale N`) and a learner API token
(`flask tokens create --email learner@example.com`, passed as --token). For each page it makes --requests
requests through Flask's test client (no HTTP server, no load generator) and prints the median and mean time
and the SQL statements of one request; the floor (bench/floor_app.py) is timed the same way, so the last column
is the in-process share of the floor, the figure that bench/run.py's ratio follows. `--profile /missions`
(a page label as printed) adds the functions with the most cumulative time for that page.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
DEMO_PASSWORD = "mastery-demo"


def _login(app, email: str):
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/auth/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": csrf})
    return client


def _time(get, n: int) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        get()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--token", required=True, help="an API token of learner@example.com")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", action="append", default=[], help="a page label to profile (repeatable)")
    args = parser.parse_args()
    os.environ.update({"DATABASE_URL": args.database_url, "SECRET_KEY": os.environ.get("SECRET_KEY", "p" * 64),
                       "STORAGE_BACKEND": "local"})
    os.environ.setdefault("MASTERY_INSTANCE_PATH", "/tmp/mastery-profile-instance")
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(BENCH))
    from sqlalchemy import event, select

    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import CapstoneProject, Mission, User

    app = create_app()
    app.config["RATELIMIT_ENABLED"] = False
    with app.app_context():
        learner = db.session.scalar(select(User).where(User.email == "learner@example.com"))
        capstone = db.session.scalar(select(CapstoneProject.id).where(CapstoneProject.learner_id == learner.id)
                                     .order_by(CapstoneProject.id))
        slug = db.session.scalar(select(Mission.slug).where(Mission.tier == "mastery").order_by(Mission.id))
        handle = learner.handle
        db.session.remove()
        queries = [0]
        event.listen(db.engine, "before_cursor_execute", lambda *a, **k: queries.__setitem__(0, queries[0] + 1))

    clients = {"learner": _login(app, "learner@example.com"), "mentor": _login(app, "mentor@example.com"),
               "anonymous": app.test_client(), "api": app.test_client()}
    pages = [("/missions", "/missions", "learner"), ("/missions/<slug>", f"/missions/{slug}", "learner"),
             ("/capstones/<id>", f"/capstones/{capstone}", "learner"),
             ("/mentorship/queue", "/mentorship/queue", "mentor"),
             ("/p/<handle>", f"/p/{handle}", "anonymous"), ("/api/v1/missions", "/api/v1/missions", "api"),
             ("/api/v1/missions/<slug>", f"/api/v1/missions/{slug}", "api"),
             ("/api/v1/capstones/<id>", f"/api/v1/capstones/{capstone}", "api")]

    import floor_app

    floor_client = floor_app.app.test_client()
    for _ in range(20):
        floor_client.get("/")
    floor = statistics.median(_time(lambda: floor_client.get("/"), args.requests))
    print(f"{'page':<24} {'median ms':>9} {'mean ms':>8} {'queries':>7} {'floor share':>11}")
    print(f"{'floor (50 rows)':<24} {floor:>9.2f} {'':>8} {1:>7} {1.0:>11.2f}")
    for label, path, who in pages:
        client = clients[who]
        headers = {"Authorization": f"Bearer {args.token}"} if who == "api" else {}

        def get(client=client, path=path, headers=headers):
            response = client.get(path, headers=headers)
            assert response.status_code == 200, (path, response.status_code)

        for _ in range(20):
            get()
        queries[0] = 0
        get()
        count = queries[0]
        times = _time(get, args.requests)
        median = statistics.median(times)
        print(f"{label:<24} {median:>9.2f} {statistics.fmean(times):>8.2f} {count:>7} {floor / median:>11.2f}",
              flush=True)
        if label in args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(min(args.requests, 200)):
                get()
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
            print(out.getvalue())
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
            print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
