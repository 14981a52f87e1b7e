"""A cohort's day under load: a class in session against gunicorn and PostgreSQL, on one host and on two.

    .venv/bin/python bench/cohort.py [--scale 10000] [--users 40] [--seconds 60] [--two-host-seconds 300]

Runs as root on Debian with PostgreSQL installed (`apt-get install -y postgresql`); moto and gunicorn come from
the app's virtualenv, and Locust from a virtualenv of its own that this script makes on first use (under
~/.cache/mastery-bench/, from the package registry; its Flask and pins never touch the app's). Everything
listens on 127.0.0.1, every phase is bounded in time, and the cluster, the S3 server, the servers and the
temporary folder are removed at the end, also on failure.

1. Copies the code (bench/run.py's `snapshot`), starts a throwaway PostgreSQL cluster with `log_lock_waits` on
   (`deadlock_timeout` 50 ms) and moto's S3 server; `db upgrade`, `seed --demo`, `seed --scale N`, then
   bench/cohort_setup.py makes the class: learners with an attempt to play, a capstone in progress, one submitted
   for review and a public portfolio item, and mentors with draft reviews of their learners' work.
2. Serves the app with gunicorn (2 sync workers, production settings, S3 storage, CACHE_SERVER_TIMING on) and
   bench/floor_app.py (bare Flask, one query, one template) beside it with the same settings.
3. Load phases, each run by bench/cohort_locust.py (Locust as a library): the floor, the mix on one host, the
   floor again; then the mix against two app servers of one worker each (the same workers in all; separate
   processes, separate caches, one database, one S3), each user taking the hosts in turn. The mix is
   bench/cohort_users.py: learners playing attempts, learners drafting capstones (autosave), a learner's tool on
   the API, mentors reviewing (autosave, submit), visitors on public pages.
   While the mix runs, a thread samples pg_stat_activity and pg_locks every 0.5 s; the server log's lock waits
   are counted per relation.
4. Cold pages: every server writes its access log with each request's time in the server and its cache outcome
   (the `Server-Timing` header), and each benchmarked page's misses (the first request after a write made it
   stale) and hits in the one-host mix are compared with the floor's `/` under the same load; so are the draft
   saves (the workspace's autosave, the API's PATCH without `version`, the review workspace's autosave).
5. Checks every acknowledged write of the users in the database (bench/cohort_setup.py verify) and prints the
   tables and PASS/FAIL against the targets. The exit code is 0 when the benchmark ran, whatever the verdict.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path


import run as bench
from run import BENCH, Gunicorn, Postgres, flask_cmd, snapshot

LOCUST_VERSION = "2.47.0"
LOCUST_VENV = Path.home() / ".cache" / "mastery-bench" / f"locust-{LOCUST_VERSION}"
BUCKET = "mastery-cohort"
REGION = "us-east-1"

# Targets (ratios within one run: this machine's absolute speed drifts).
MIX_P95_MAX = 4.0          # the mix's p95 at most this many times the floor's p95
MIX_RPS_MIN = 0.40         # the mix's throughput at least this share of the floor's
COLD_MIN = 0.25            # a cold page at least this share of the floor's speed (floor time / page time)
WARM_MIN = 0.60            # the same page warm
SAVE_MAX = 4.0             # a draft save at most this many floor request times
TWO_HOSTS_P95_MAX = 1.5    # two hosts' p95 at most this many times one host's at the same total load


def ensure_locust() -> Path:
    python = LOCUST_VENV / "bin" / "python"
    if not python.exists():
        print(f"making Locust's virtualenv {LOCUST_VENV} (locust=={LOCUST_VERSION}) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(LOCUST_VENV)], check=True)
        subprocess.run([str(LOCUST_VENV / "bin" / "pip"), "install", "-q", f"locust=={LOCUST_VERSION}"], check=True)
    return python


def locust_phase(python: Path, work: Path, name: str, users: int, warmup: float, seconds: float, think: float,
                 env: dict, floor: str | None = None, hosts: list[str] | None = None) -> dict:
    out = work / f"phase-{name}.json"
    cmd = [str(python), str(BENCH / "cohort_locust.py"), "--users", str(users), "--warmup", str(warmup),
           "--seconds", str(seconds), "--think", str(think), "--out", str(out)]
    cmd += ["--floor", floor] if floor else ["--hosts", ",".join(hosts)]
    result = subprocess.run(cmd, cwd=BENCH, env=env, capture_output=True, text=True,
                            timeout=warmup + seconds + users + 180)
    if result.returncode != 0 or not out.exists():
        raise RuntimeError(f"locust phase {name} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return json.loads(out.read_text())


class LockSampler(threading.Thread):
    """Samples the database's sessions every 0.5 s: how many wait for a lock, and on which relation."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        import psycopg

        self.conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
        self.stop_event = threading.Event()
        self.samples = 0
        self.waiting = 0          # sum over samples of sessions waiting for a lock
        self.most = 0
        self.relations: Counter = Counter()
        self.active = 0

    def run(self) -> None:
        while not self.stop_event.wait(0.5):
            rows = self.conn.execute(
                "SELECT a.wait_event_type, a.state, "
                "(SELECT string_agg(DISTINCT l.relation::regclass::text, ',') FROM pg_locks l "
                " WHERE l.pid = a.pid AND NOT l.granted AND l.relation IS NOT NULL) "
                "FROM pg_stat_activity a WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()"
            ).fetchall()
            self.samples += 1
            waiting = [r for r in rows if r[0] == "Lock"]
            self.waiting += len(waiting)
            self.most = max(self.most, len(waiting))
            self.active += sum(1 for r in rows if r[1] == "active")
            for r in waiting:
                self.relations[r[2] or "(a transaction id: a row being written)"] += 1

    def stop(self) -> dict:
        self.stop_event.set()
        self.join(5)
        counters = self.conn.execute(
            "SELECT deadlocks, xact_rollback, conflicts FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
        self.conn.close()
        return {"samples": self.samples, "mean_waiting": self.waiting / max(1, self.samples), "most_waiting": self.most,
                "mean_active": self.active / max(1, self.samples), "relations": dict(self.relations.most_common(5)),
                "deadlocks": counters[0], "rollbacks": counters[1]}


def lock_waits_in_log(log: str) -> dict:
    """`log_lock_waits` lines: how many, and the relations named in their context."""
    waits = re.findall(r"still waiting for (\w+) on", log)
    relations = Counter(re.findall(r'in relation "(\w+)"', log))
    serialization = len(re.findall(r"could not serialize access", log))
    deadlocks = len(re.findall(r"deadlock detected", log))
    return {"waits": len(waits), "by_lock": dict(Counter(waits)), "relations": dict(relations.most_common(5)),
            "serialization_failures": serialization, "deadlocks": deadlocks}


def bump_everything(conn) -> None:
    """Make every cached value stale, as a write of any area does for the values made from it."""
    conn.execute("UPDATE cache_revisions SET revision = md5(random()::text) WHERE name = 'everything'")


# Time in the server, from gunicorn's access log (`%(D)s`, microseconds), per route and cache outcome. A client's
# own round trip on this machine is mostly the client and the idle CPU waking, and a single client measures the
# wake-ups more than the pages (about 5 ms for the floor's 1 ms of work): the servers' own times under the load
# of the phases are what the page-by-page ratios use.
ACCESS_FORMAT = '%(m)s %(U)s|%({server-timing}o)s|%(s)s|%(D)s'
ROUTES = [      # (method, path pattern, label, kind): the benchmarked pages, the draft saves, other busy routes
    ("GET", r"/missions", "/missions", "page"),
    ("GET", r"/missions/[^/]+", "/missions/<slug>", "page"),
    ("GET", r"/capstones/\d+", "/capstones/<id>", "page"),
    ("GET", r"/mentorship/queue", "/mentorship/queue", "page"),
    ("GET", r"/p/[^/]+", "/p/<handle>", "page"),
    ("GET", r"/api/v1/missions", "/api/v1/missions", "page"),
    ("GET", r"/api/v1/missions/[^/]+", "/api/v1/missions/<slug>", "page"),
    ("GET", r"/api/v1/capstones/\d+", "/api/v1/capstones/<id>", "page"),
    ("POST", r"/capstones/\d+/phases/[a-z_]+/draft", "POST /capstones/<id>/phases/<phase>/draft", "save"),
    ("PATCH", r"/api/v1/capstones/\d+", "PATCH /api/v1/capstones/<id>", "save"),
    ("POST", r"/mentorship/reviews/\d+", "POST /mentorship/reviews/<id>", "save"),
    ("GET", r"/attempts/\d+", "GET /attempts/<id> (not cached)", "other"),
    ("POST", r"/attempts/\d+/subtasks/\d+", "POST /attempts/<id>/subtasks/<sid>", "other"),
    ("GET", r"/notifications/count", "GET /notifications/count", "other"),
    ("GET", r"/", "floor /", "floor"),
]
PAGES = [label for _, _, label, kind in ROUTES if kind == "page"]
SAVES = [label for _, _, label, kind in ROUTES if kind == "save"]
OTHERS = [label for _, _, label, kind in ROUTES if kind == "other"]


class AccessLog:
    """A server's access log, read phase by phase."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0

    def options(self) -> tuple[str, ...]:
        return ("--access-logfile", str(self.path), "--access-logformat", ACCESS_FORMAT)

    def mark(self) -> None:
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def since_mark(self) -> dict[str, list[tuple[str, int, float]]]:
        """{label: [(cache outcome, status, ms)]} of the requests logged since mark()."""
        with self.path.open("rb") as f:
            f.seek(self.offset)
            lines = f.read().decode(errors="replace").splitlines()
        found: dict[str, list] = {}
        for line in lines:
            request, timing, status, micros = (line.split("|") + ["", "", "", ""])[:4]
            method, _, path = request.partition(" ")
            label = next((lab for m, pattern, lab, _ in ROUTES if m == method and re.fullmatch(pattern, path)), None)
            if label is None or not micros.strip().isdigit():
                continue
            outcome = re.search(r'cache;desc=\\?"(hit|miss)', timing)     # the log escapes the quotes
            found.setdefault(label, []).append((outcome.group(1) if outcome else "none", int(status),
                                                int(micros) / 1000))
        return found


def median_ms(seen: list[tuple[str, int, float]], outcome: str | None = None) -> float:
    found = [ms for got, _, ms in seen if outcome is None or got == outcome]
    return statistics.median(found) if found else float("nan")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_mix(title: str, phase: dict, floor_rps: float, floor_p95: float) -> None:
    total = phase["total"]
    print(f"\n{title}: {phase['users']} users ({', '.join(f'{k} x{v}' for k, v in phase['classes'].items())} by weight), "
          f"{phase['seconds']:.0f} s measured")
    head = f"{'request':<58} {'count':>6} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6} {'fail':>5} {'cache hit':>9}"
    print(head)
    print("-" * len(head))
    for name, fig in sorted(phase["per_name"].items(), key=lambda kv: -kv[1]["count"]):
        cache = phase["cache"].get(name, {})
        used = cache.get("hit", 0) + cache.get("miss", 0)
        ratio = f"{cache.get('hit', 0) / used:.2f}" if used else "-"
        print(f"{name[:58]:<58} {fig['count']:>6} {fig['rps']:>7.1f} {fig['p50']:>6.0f} {fig['p95']:>6.0f} "
              f"{fig['p99']:>6.0f} {fig['failures']:>5} {ratio:>9}")
    print(f"{'all':<58} {total['count']:>6} {total['rps']:>7.1f} {total['p50']:>6.0f} {total['p95']:>6.0f} "
          f"{total['p99']:>6.0f} {total['failures']:>5}")
    print(f"floor in the same run: {floor_rps:.1f} req/s, p95 {floor_p95:.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=10000, help="synthetic learners to seed (default 10000)")
    parser.add_argument("--users", type=int, default=40, help="simulated users at once (default 40)")
    parser.add_argument("--learners", type=int, default=48, help="class learners to create (default 48)")
    parser.add_argument("--mentors", type=int, default=6, help="class mentors to create (default 6)")
    parser.add_argument("--seconds", type=int, default=60, help="measured seconds of the one-host mix (default 60)")
    parser.add_argument("--floor-seconds", type=int, default=20, help="each floor phase (default 20)")
    parser.add_argument("--warmup", type=int, default=15, help="seconds of each phase before measuring (default 15)")
    parser.add_argument("--two-host-seconds", type=int, default=300, help="measured seconds on two hosts (default 300)")
    parser.add_argument("--think", type=float, default=0.0,
                        help="each user's pause between requests, 0..THINK s (default 0: as fast as it can)")
    args = parser.parse_args()
    locust_python = ensure_locust()
    work = Path(tempfile.mkdtemp(prefix="mastery-bench-cohort-"))
    pg = Postgres(work, "-c log_lock_waits=on -c deadlock_timeout=50ms -c max_connections=200")
    servers: list[Gunicorn] = []
    moto = None
    failures: list[str] = []
    try:
        bench.SRC = snapshot(work)
        print(f"machine: {os.cpu_count()} cores, "
              f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB RAM; "
              f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", flush=True)
        url = pg.start()
        from soak import MotoServer, s3_client

        aws = {"AWS_ACCESS_KEY_ID": "cohort", "AWS_SECRET_ACCESS_KEY": "cohort", "AWS_DEFAULT_REGION": REGION,
               "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
        base_env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in (
            "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")}, **aws}
        moto = MotoServer(base_env)
        os.environ.update(aws)
        s3_client(moto.url).create_bucket(Bucket=BUCKET)
        env = {**base_env, "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32), "MASTERY_ENV": "production",
               "MASTERY_INSTANCE_PATH": str(work / "instance"), "STORAGE_BACKEND": "s3", "S3_BUCKET": BUCKET,
               "S3_ENDPOINT_URL": moto.url, "S3_REGION": REGION, "FORCE_HTTPS": "false",
               "TRUSTED_PROXY_COUNT": "1", "CACHE_SERVER_TIMING": "1"}
        t0 = time.time()
        flask_cmd(env, "db", "upgrade")
        flask_cmd(env, "seed", "--demo")
        flask_cmd(env, "seed", "--scale", str(args.scale))
        seeded = time.time() - t0
        accounts = work / "accounts.json"
        setup = subprocess.run([sys.executable, str(bench.SRC / "bench" / "cohort_setup.py"), "setup",
                                "--learners", str(args.learners), "--mentors", str(args.mentors),
                                "--out", str(accounts)], cwd=bench.SRC, env=env, capture_output=True, text=True)
        if setup.returncode != 0:
            raise RuntimeError(f"cohort_setup.py setup failed:\n{setup.stdout}\n{setup.stderr}")
        print(f"setup: db upgrade, seed --demo, seed --scale {args.scale} in {seeded:.0f} s; "
              f"{args.learners} learners and {args.mentors} mentors in class in {time.time() - t0 - seeded:.0f} s",
              flush=True)
        subprocess.run(["runuser", "-u", "postgres", "--", str(pg.bin / "psql"), "-h", "127.0.0.1", "-p",
                        str(pg.port), "-U", "postgres", "-q", "-c", "VACUUM ANALYZE", "mastery_bench"], check=True)

        writes = work / "writes.jsonl"
        locust_env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/root"),
                      "COHORT_ACCOUNTS": str(accounts), "COHORT_WRITES": str(writes)}
        logs = {name: AccessLog(work / f"{name}.log") for name in ("app", "app-a", "app-b", "floor")}
        app = Gunicorn("wsgi:app", env, "sync", bench.SRC, logs["app"].options())
        floor = Gunicorn("floor_app:app", {**env, "PYTHONPATH": str(BENCH)}, "sync", BENCH, logs["floor"].options())
        servers += [app, floor]
        for server in servers:
            server.__enter__()
        print(f"servers: app {app.base}, floor {floor.base} (gunicorn {bench.WORKERS} sync workers each); "
              f"S3 (moto) {moto.url}; PostgreSQL 127.0.0.1:{pg.port}", flush=True)

        def phase(name: str, seconds: int, log: str, floor_url=None, hosts=None) -> tuple[dict, dict]:
            """Locust's figures for the phase, and the server times of the requests in its measured window (the
            warm-up's requests are in the log too: a slice of whole phases is what the medians need)."""
            print(f"  phase {name}: {args.users} users, {args.warmup} s warm-up + {seconds} s ...", flush=True)
            for access in logs.values():
                access.mark()
            figures = locust_phase(locust_python, work, name, args.users, args.warmup, seconds, args.think,
                                   locust_env, floor=floor_url, hosts=hosts)
            seen: dict[str, list] = {}
            for key in (log,) if isinstance(log, str) else log:
                for label, rows in logs[key].since_mark().items():
                    seen.setdefault(label, []).extend(rows)
            return figures, seen

        log_before = (pg.dir / "log").stat().st_size
        floor_1, floor_seen_1 = phase("floor-1", args.floor_seconds, "floor", floor_url=floor.base)
        sampler = LockSampler(url)
        sampler.start()
        mix, mix_seen = phase("mix-one-host", args.seconds, "app", hosts=[app.base])
        locks_one = sampler.stop()
        floor_2, floor_seen_2 = phase("floor-2", args.floor_seconds, "floor", floor_url=floor.base)
        log_one = (pg.dir / "log").read_text(errors="replace")[log_before:]
        floor_rps = statistics.fmean([floor_1["total"]["rps"], floor_2["total"]["rps"]])
        floor_p95 = statistics.fmean([floor_1["total"]["p95"], floor_2["total"]["p95"]])
        floor_ms = median_ms(floor_seen_1.get("floor /", []) + floor_seen_2.get("floor /", []))

        # Two app servers, each with half the workers: on one machine a second server adds processes, not CPU, so
        # the same total of workers (and of in-process caches) is split across two servers that share nothing but
        # the database and S3, as two hosts of half the size would.
        app.stop()
        half = ("--workers", str(max(1, bench.WORKERS // 2)))
        app_a = Gunicorn("wsgi:app", env, "sync", bench.SRC, logs["app-a"].options() + half)
        app_b = Gunicorn("wsgi:app", env, "sync", bench.SRC, logs["app-b"].options() + half)
        servers += [app_a, app_b]
        for server in (app_a, app_b):
            server.__enter__()
        print(f"servers: app {app_a.base} and {app_b.base} ({half[1]} sync worker(s) each)", flush=True)
        log_before = (pg.dir / "log").stat().st_size
        sampler = LockSampler(url)
        sampler.start()
        two, _ = phase("mix-two-hosts", args.two_host_seconds, ("app-a", "app-b"), hosts=[app_a.base, app_b.base])
        locks_two = sampler.stop()
        log_two = (pg.dir / "log").read_text(errors="replace")[log_before:]

        for server in servers:
            server.stop()
        check = subprocess.run([sys.executable, str(bench.SRC / "bench" / "cohort_setup.py"), "verify",
                                "--writes", str(writes), "--out", str(work / "verify.json")],
                               cwd=bench.SRC, env=env, capture_output=True, text=True)
        if check.returncode not in (0, 1) or not (work / "verify.json").exists():
            raise RuntimeError(f"cohort_setup.py verify failed:\n{check.stdout}\n{check.stderr}")
        verified = json.loads((work / "verify.json").read_text())

        # ---------------------------------------------------------------- report
        print(f"\ncohort workload: PostgreSQL, {args.scale} synthetic learners, a class of {args.learners} learners "
              f"and {args.mentors} mentors; Locust {LOCUST_VERSION}, think time 0-{args.think:g} s; "
              f"gunicorn {bench.WORKERS} sync workers a host; S3 (moto)")
        print_mix("one host", mix, floor_rps, floor_p95)
        print_mix(f"two hosts of {half[1]} worker(s) each (each user takes them in turn)", two, floor_rps, floor_p95)
        for name, locks, log in (("one host", locks_one, log_one), ("two hosts", locks_two, log_two)):
            waits = lock_waits_in_log(log)
            print(f"\nPostgreSQL during the mix, {name}: {locks['mean_active']:.1f} active sessions on average; "
                  f"waiting for a lock {locks['mean_waiting']:.2f} on average, at most {locks['most_waiting']} "
                  f"({locks['samples']} samples; on {locks['relations'] or 'nothing'}); log_lock_waits (> 50 ms): "
                  f"{waits['waits']} {waits['by_lock'] or ''} in {waits['relations'] or '-'}; "
                  f"serialization failures {waits['serialization_failures']}, deadlocks {waits['deadlocks']}")

        print(f"\ncold and warm pages in the one-host mix: time in the server (gunicorn's access log), median ms; a "
              f"miss is the first request after a write made the page stale (or its first request in that worker); "
              f"ratio = the floor's time / the page's; the floor's `/` under the same load: {floor_ms:.2f} ms")
        head = f"{'page':<26} {'misses':>6} {'cold':>7} {'ratio':>6} {'hits':>6} {'warm':>6} {'ratio':>6}  result"
        print(head)
        print("-" * len(head))
        rows = []
        for label in PAGES:
            seen = mix_seen.get(label, [])
            misses, hits = [r for r in seen if r[0] == "miss"], [r for r in seen if r[0] == "hit"]
            cold_ms, warm_ms = median_ms(misses), median_ms(hits)
            cold_ratio, warm_ratio = floor_ms / cold_ms, floor_ms / warm_ms
            bad = Counter(status for _, status, _ in seen if status >= 400)
            problems = []
            if not misses:
                problems.append("no miss seen")
            elif not cold_ratio >= COLD_MIN:
                problems.append(f"cold < {COLD_MIN}")
            if hits and not warm_ratio >= WARM_MIN:
                problems.append(f"warm < {WARM_MIN}")
            if bad:
                problems.append(f"answers {dict(bad)}")
            rows.append((f"cold {label}", not problems, "; ".join(problems) or
                         f"cold {cold_ratio:.2f}" + (f", warm {warm_ratio:.2f}" if hits else ", no hit seen")))
            print(f"{label:<26} {len(misses):>6} {cold_ms:>7.2f} {cold_ratio:>6.2f} {len(hits):>6} {warm_ms:>6.2f} "
                  f"{warm_ratio:>6.2f}  {verdict(not problems)}{' (' + '; '.join(problems) + ')' if problems else ''}")
        print("\ndraft saves and other busy routes in the one-host mix (time in the server, median ms; = how many "
              "floor requests)")
        saves = {}
        for label in SAVES + OTHERS:
            seen = mix_seen.get(label, [])
            if label in SAVES:
                saves[label] = median_ms(seen) / floor_ms
            print(f"{label:<46} {len(seen):>6} {median_ms(seen):>7.2f} ms = {median_ms(seen) / floor_ms:.1f} floor "
                  f"requests{'' if label in SAVES else ' (no target)'}")

        def errors(phase_: dict) -> int:
            return sum(phase_["failures_whole_run"].values())

        stale = {k: v for ph in (mix, two) for k, v in ph["failures_whole_run"].items() if "STALE" in k}
        table = [
            ("mix: 0 errors (whole run, warm-up included)", errors(mix) == 0, f"{errors(mix)}"),
            (f"mix: p95 <= {MIX_P95_MAX:g}x the floor's", mix["total"]["p95"] <= MIX_P95_MAX * floor_p95,
             f"{mix['total']['p95']:.0f} ms against {floor_p95:.0f} ms = {mix['total']['p95'] / floor_p95:.2f}x"),
            (f"mix: throughput >= {MIX_RPS_MIN:.2f} of the floor's", mix["total"]["rps"] >= MIX_RPS_MIN * floor_rps,
             f"{mix['total']['rps']:.1f} against {floor_rps:.1f} req/s = {mix['total']['rps'] / floor_rps:.2f}"),
            *[(name + f" >= {COLD_MIN} (warm >= {WARM_MIN}) of the floor", ok, why or "ok") for name, ok, why in rows],
            *[(f"draft save {label} <= {SAVE_MAX:g} floor requests", ratio <= SAVE_MAX, f"{ratio:.1f}")
              for label, ratio in saves.items()],
            ("two hosts: 0 errors", errors(two) == 0, f"{errors(two)}"),
            ("two hosts: no stale page after a write on the other host", not stale,
             f"{sum(stale.values())} stale"),
            ("two hosts: no lost write", not verified["lost"],
             f"{len(verified['lost'])} lost of {verified['acknowledged']} acknowledged"),
            (f"two hosts: p95 <= {TWO_HOSTS_P95_MAX:g}x one host's", two["total"]["p95"] <= TWO_HOSTS_P95_MAX * mix["total"]["p95"],
             f"{two['total']['p95']:.0f} against {mix['total']['p95']:.0f} ms = "
             f"{two['total']['p95'] / mix['total']['p95']:.2f}x"),
        ]
        print("\ntargets")
        width = max(len(name) for name, _, _ in table)
        for name, ok, why in table:
            print(f"{name:<{width}}  {verdict(ok)}  {why}")
            if not ok:
                failures.append(name)
        for ph_name, ph in (("one host", mix), ("two hosts", two)):
            for what, n in sorted(ph["failures_whole_run"].items(), key=lambda kv: -kv[1])[:10]:
                print(f"  {ph_name} failure x{n}: {what}")
        print(f"\nRESULT: {'PASS' if not failures else 'FAIL (' + str(len(failures)) + ' targets missed)'}")
        return 0
    finally:
        for server in servers:
            server.stop()
        if moto is not None:
            moto.stop()
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
