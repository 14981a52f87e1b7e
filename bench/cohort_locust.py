"""One load phase of bench/cohort.py, run with Locust as a library (in Locust's own virtualenv).

    <locust venv>/bin/python bench/cohort_locust.py --users 40 --warmup 15 --seconds 60 --out phase.json \
        (--floor http://127.0.0.1:P | --hosts http://127.0.0.1:A[,http://127.0.0.1:B])

With --floor every user asks the floor app for `/`; with --hosts the users of bench/cohort_users.py play a class
in session against those hosts (each user takes them in turn, request by request). Users are spawned, work for
--warmup seconds (logins, first reads), then the statistics are reset and --seconds are measured. Writes JSON:
per request name the count, failures, req/s and p50/p95/p99 (ms), the total, the answers' `Server-Timing` cache
outcome per name (the app runs with CACHE_SERVER_TIMING on), and every failure of the whole run, warm-up
included (a stale page or an error during the warm-up counts as much as one measured).

Kept apart from the app's virtualenv on purpose: Locust brings its own Flask and pins, which must not move the
app's. bench/cohort.py makes that virtualenv and runs this file with it.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import gevent
from locust import HttpUser, between, events, task
from locust.env import Environment

PERCENTILES = (0.50, 0.95, 0.99)


def floor_user(base: str, think: float):
    class FloorUser(HttpUser):
        host = base
        wait_time = between(0, think)

        @task
        def index(self):
            self.client.get("/", name="GET floor /")

    return FloorUser


def cohort_users() -> list:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import cohort_users  # noqa: E402  (reads COHORT_* from the environment)

    return [cls for cls in vars(cohort_users).values()
            if isinstance(cls, type) and issubclass(cls, HttpUser) and cls is not HttpUser
            and not getattr(cls, "abstract", False)]


class Outcomes:
    """What the answers said, kept beside Locust's own statistics: cache outcomes per name (reset with them)
    and every failure of the whole run (never reset)."""

    def __init__(self):
        self.cache: dict[str, Counter] = defaultdict(Counter)
        self.failures: Counter = Counter()

    def on_request(self, request_type, name, response_time, response_length, response=None, exception=None,
                   **_kwargs):
        if exception is not None:
            self.failures[f"{label(request_type, name)}: {str(exception)[:160]}"] += 1
        timing = response.headers.get("Server-Timing", "") if response is not None and hasattr(response, "headers") \
            else ""
        if 'cache;desc="hit"' in timing:
            self.cache[label(request_type, name)]["hit"] += 1
        elif 'cache;desc="miss"' in timing:
            self.cache[label(request_type, name)]["miss"] += 1
        else:
            self.cache[label(request_type, name)]["none"] += 1


def label(method: str, name: str) -> str:
    """A request's name as printed: the users name theirs "GET /capstones/<id>"; the method is added otherwise."""
    return name if name.startswith(method + " ") else f"{method} {name}"


def entry_figures(entry, seconds: float) -> dict:
    return {"count": entry.num_requests, "failures": entry.num_failures,
            "rps": entry.num_requests / seconds if seconds else 0.0,
            **{f"p{int(p * 100)}": entry.get_response_time_percentile(p) or 0.0 for p in PERCENTILES},
            "avg": entry.avg_response_time}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=15)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--think", type=float, default=0.0)
    parser.add_argument("--out", required=True)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--floor")
    target.add_argument("--hosts")
    args = parser.parse_args()

    if args.floor:
        classes = [floor_user(args.floor, args.think)]
    else:
        os.environ["COHORT_HOSTS"] = args.hosts
        os.environ["COHORT_THINK"] = str(args.think)
        classes = cohort_users()
    outcomes = Outcomes()
    env = Environment(user_classes=classes, events=events)
    env.events.request.add_listener(outcomes.on_request)
    runner = env.create_local_runner()
    runner.start(args.users, spawn_rate=args.spawn_rate)
    spawn_deadline = time.time() + args.users / args.spawn_rate + 30
    while runner.user_count < args.users and time.time() < spawn_deadline:
        gevent.sleep(0.2)
    gevent.sleep(args.warmup)
    env.stats.reset_all()
    outcomes.cache.clear()
    started = time.time()
    gevent.sleep(args.seconds)
    # Figures at the end of the measured window, before users stop (stopping interrupts requests in flight).
    measured = time.time() - started
    per_name = {label(entry.method, entry.name): entry_figures(entry, measured)
                for entry in env.stats.entries.values()}
    total = entry_figures(env.stats.total, measured)
    cache = {name: dict(counts) for name, counts in outcomes.cache.items()}
    runner.stop()       # fires test_stop: the users' own files (acknowledged writes) are written
    runner.quit()
    users = {cls.__name__: getattr(cls, "weight", 1) for cls in classes}
    Path(args.out).write_text(json.dumps({
        "seconds": measured, "users": args.users, "classes": users, "total": total, "per_name": per_name,
        "cache": cache, "failures_whole_run": dict(outcomes.failures),
        "errors_measured": {f"{label(e.method, e.name)}: {e.error}"[:200]: e.occurrences
                            for e in env.stats.errors.values()},
    }, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
