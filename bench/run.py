"""Throughput of the main pages against Flask's own floor, on PostgreSQL with seeded data.

    .venv/bin/python bench/run.py [--scale 10000] [--seconds 10] [--connections 16]

Runs as root on Debian with PostgreSQL and wrk installed (`apt-get install -y postgresql wrk`). Everything is
on 127.0.0.1 and bounded in time; the throwaway cluster, gunicorn and the temporary folder are removed at the
end, also on failure.

1. Starts a throwaway PostgreSQL cluster (initdb into a temporary folder, a free port, fsync off).
2. `flask db upgrade`, `seed --demo`, `seed --scale 100`, and counts the SQL queries of one request to each
   page in-process (a before_cursor_execute listener); then `seed --scale N-100` (N learners in all) and
   counts again. The seed time printed is for N learners.
3. Serves the app with gunicorn (2 workers), compares sync with gthread (4 threads) on a short run and keeps
   the better; then loads each page with wrk (--latency) for --seconds at --connections.
4. Serves bench/floor_app.py (bare Flask, 50 rows, SQLAlchemy + Jinja) with the same settings beside the app.
   Each page's --seconds are split into --rounds slices (5 of 2 s by default) that alternate with slices of the
   floor (F P F P ... P F), because the machine's speed drifts; each page slice is compared with the floor
   slices on either side of it. Prints the table: req/s, p50, p99, the median of those ratios, queries at
   scale 100 and at N, and PASS (>= 50 % of the floor and the same query count at both scales) or FAIL.
5. Runs bench/upload_memory.py for the extra RSS of a 200 MB upload.

The exit code is 0 when the benchmark ran, whether or not targets were met: it reports.
"""
from __future__ import annotations

import argparse
import glob
import http.cookiejar
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
WORKERS = 2
THREADS = 4
DEMO_PASSWORD = "mastery-demo"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answers at {url}")


class Postgres:
    """A throwaway cluster in a temporary folder, owned by the postgres user, on 127.0.0.1 only."""

    def __init__(self, work: Path, settings: str = ""):
        self.settings = settings  # more `-c name=value` options for the server
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            raise SystemExit("PostgreSQL is not installed: apt-get install -y postgresql")
        self.bin = Path(bins[-1]).parent
        self.dir = work / "pg"
        self.port = free_port()
        self.started = False

    def _run(self, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True, stdout=subprocess.DEVNULL)

    def start(self) -> str:
        self.dir.mkdir()
        shutil.chown(self.dir, "postgres")
        shutil.chown(self.dir.parent, "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                  f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=100 {self.settings}", "start")
        self.started = True
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "mastery_bench")
        return f"postgresql://postgres@127.0.0.1:{self.port}/mastery_bench"

    def stop(self) -> None:
        if self.started:
            subprocess.run(["runuser", "-u", "postgres", "--", str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"),
                            "-m", "immediate", "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.started = False


class Gunicorn:
    def __init__(self, app: str, env: dict, worker_class: str, cwd: Path, extra: tuple[str, ...] = ()):
        self.port = free_port()
        cmd = [str(VENV_BIN / "gunicorn"), "-w", str(WORKERS), "-b", f"127.0.0.1:{self.port}", "--timeout", "60",
               "--worker-class", worker_class, *extra]
        if worker_class == "gthread":
            cmd += ["--threads", str(THREADS)]
        # No access log for either server (the app's gunicorn.conf.py writes one by default; the floor has none).
        env = {**env, "GUNICORN_ACCESS_LOG": ""}
        self.proc = subprocess.Popen(cmd + [app], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        self.base = f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        wait_http(self.base + "/")
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


SRC = ROOT  # replaced by a snapshot of the code in main(), so edits made during a run do not change what is measured


def snapshot(work: Path) -> Path:
    """Copy the code (not the venv, tests or instance data) so the whole run measures one version of it."""
    dest = work / "src"
    shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(
        ".venv", ".git", "instance", "test-artifacts", "tests", "__pycache__", "*.egg-info", "node_modules"))
    return dest


def flask_cmd(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", *args], cwd=SRC, env=env, input=stdin,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def login_cookie(base: str, email: str) -> str:
    """Log in through the web form and return the Cookie header value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/auth/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    opener.open(base + "/auth/login", urllib.parse.urlencode(
        {"email": email, "password": DEMO_PASSWORD, "csrf_token": token}).encode()).read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie


def status_of(url: str, headers: dict) -> int:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, headers: dict, seconds: int, connections: int) -> dict:
    cmd = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s", "--latency"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {p: _ms(v, u) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)}
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {"rps": rps, "p50": lat.get("50", float("nan")), "p99": lat.get("99", float("nan")), "non2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": errors.group(0) if errors else ""}


def combine(runs: list[dict]) -> dict:
    """Slices of equal length as one run: mean req/s, the median slice's p50, the worst slice's p99."""
    return {"rps": statistics.fmean(run["rps"] for run in runs),
            "p50": statistics.median(run["p50"] for run in runs),
            "p99": max(run["p99"] for run in runs),
            "non2xx": sum(run["non2xx"] for run in runs),
            "socket_errors": " ".join(run["socket_errors"] for run in runs if run["socket_errors"])}


# ---------------------------------------------------------------- in-process query counting

_app = None


def _inprocess_app(env: dict):
    global _app
    if _app is None:
        assert "webapp" not in sys.modules
        os.environ.update(env)
        sys.path.insert(0, str(SRC))
        from sqlalchemy import event

        import webapp
        from webapp import create_app
        from webapp.extensions import db

        assert Path(webapp.__file__).is_relative_to(SRC), webapp.__file__

        _app = create_app()
        _app.config["RATELIMIT_ENABLED"] = False
        with _app.app_context():
            _app.extensions["bench_queries"] = [0]

            def count(*_args, **_kwargs):
                _app.extensions["bench_queries"][0] += 1

            event.listen(db.engine, "before_cursor_execute", count)
    return _app


def pick_targets(env: dict) -> dict:
    """The ids and slugs the pages are loaded with: the demo learner's capstone, a mastery mission, its handle."""
    app = _inprocess_app(env)
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.models import CapstoneProject, Mission, User

    with app.app_context():
        learner = db.session.scalar(select(User).where(User.email == "learner@example.com"))
        capstone = db.session.scalar(select(CapstoneProject).where(CapstoneProject.learner_id == learner.id)
                                     .order_by(CapstoneProject.id))
        mission = db.session.scalar(select(Mission).where(Mission.tier == "mastery").order_by(Mission.id))
        targets = {"capstone": capstone.id, "slug": mission.slug, "handle": learner.handle}
        db.session.remove()
    return targets


def count_queries(env: dict, pages: list[tuple[str, str, str]], token: str, scale: int,
                  times: dict[str, float]) -> dict[str, int]:
    """SQL statements run by one request to each page (after a warm-up request), as its user; printed with the
    in-process time of that request."""
    app = _inprocess_app(env)
    counter = app.extensions["bench_queries"]
    clients = {}
    for who in ("learner", "mentor"):
        client = app.test_client()
        page = client.get("/auth/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post("/auth/login", data={"email": f"{who}@example.com", "password": DEMO_PASSWORD, "csrf_token": csrf})
        clients[who] = client
    clients["anonymous"] = app.test_client()
    clients["api"] = app.test_client()
    counts = {}
    for label, path, who in pages:
        client = clients[who]
        headers = {"Authorization": f"Bearer {token}"} if who == "api" else {}
        client.get(path, headers=headers)  # warm-up: first-request work is not per-request cost
        counter[0] = 0
        t0 = time.perf_counter()
        status = client.get(path, headers=headers).status_code
        ms = (time.perf_counter() - t0) * 1000
        counts[label] = counter[0] if status == 200 else -status
        times[label] = ms
        print(f"  scale {scale:>6}: {label:<24} HTTP {status}  {counter[0]:>3} queries  {ms:7.1f} ms in-process",
              flush=True)
    return counts


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=10000, help="synthetic learners to seed (default 10000)")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per page (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="slices each page's --seconds are split into, alternating with the floor (default 5)")
    parser.add_argument("--skip-upload", action="store_true", help="do not run bench/upload_memory.py")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    small = min(100, args.scale)
    slice_seconds = max(1, args.seconds // max(1, args.rounds))
    work = Path(tempfile.mkdtemp(prefix="mastery-bench-run-"))
    pg = Postgres(work)
    servers: list[Gunicorn] = []
    global SRC
    try:
        SRC = snapshot(work)
        print(f"machine: {os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB "
              f"RAM; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
        url = pg.start()
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32),
               "MASTERY_INSTANCE_PATH": str(work / "instance"), "STORAGE_BACKEND": "local"}
        flask_cmd(env, "db", "upgrade")
        flask_cmd(env, "seed", "--demo")
        token = flask_cmd(env, "tokens", "create", "--email", "learner@example.com").strip().splitlines()[-1]
        t0 = time.time()
        flask_cmd(env, "seed", "--scale", str(small))
        seed_small = time.time() - t0

        targets = pick_targets(env)
        pages = [
            ("/missions", "/missions", "learner"),
            ("/missions/<slug>", f"/missions/{targets['slug']}", "learner"),
            ("/capstones/<id>", f"/capstones/{targets['capstone']}", "learner"),
            ("/mentorship/queue", "/mentorship/queue", "mentor"),
            ("/p/<handle>", f"/p/{targets['handle']}", "anonymous"),
            ("/api/v1/missions", "/api/v1/missions", "api"),
            ("/api/v1/missions/<slug>", f"/api/v1/missions/{targets['slug']}", "api"),
            ("/api/v1/capstones/<id>", f"/api/v1/capstones/{targets['capstone']}", "api"),
        ]
        t_small: dict[str, float] = {}
        q_small = count_queries(env, pages, token, small, t_small)
        t0 = time.time()
        if args.scale > small:
            flask_cmd(env, "seed", "--scale", str(args.scale - small))
        seed_time = seed_small + time.time() - t0
        print(f"seed --scale {args.scale}: {seed_time:.1f} s ({args.scale / seed_time:.0f} learners/s)", flush=True)
        t_big: dict[str, float] = {}
        q_big = count_queries(env, pages, token, args.scale, t_big)
        subprocess.run(["runuser", "-u", "postgres", "--", str(pg.bin / "psql"), "-h", "127.0.0.1", "-p", str(pg.port),
                        "-U", "postgres", "-q", "-c", "VACUUM ANALYZE", "mastery_bench"], check=True)

        with Gunicorn("wsgi:app", env, "sync", SRC) as probe:
            servers.append(probe)
            cookies = {"learner": login_cookie(probe.base, "learner@example.com"),
                       "mentor": login_cookie(probe.base, "mentor@example.com")}

        def headers_for(who: str) -> dict:
            if who == "api":
                return {"Authorization": f"Bearer {token}"}
            if who in cookies:
                return {"Cookie": cookies[who]}
            return {}

        # Worker class: a short run of two representative pages under each, keep the better total.
        probe_pages = [pages[1], pages[5]]
        scores = {}
        for worker_class in ("sync", "gthread"):
            with Gunicorn("wsgi:app", env, worker_class, SRC) as server:
                servers.append(server)
                for _, path, who in probe_pages:  # warm up every worker's imports and pools
                    wrk(server.base + path, headers_for(who), 1, args.connections)
                scores[worker_class] = sum(wrk(server.base + path, headers_for(who), 3, args.connections)["rps"]
                                           for _, path, who in probe_pages)
        worker_class = max(scores, key=scores.get)
        label = f"gthread --threads {THREADS}" if worker_class == "gthread" else "sync"
        print(f"worker class: {label} ({WORKERS} workers); short probe req/s sum: "
              + ", ".join(f"{k} {v:.0f}" for k, v in scores.items()), flush=True)

        # The machine's speed drifts (a shared VM: the floor alone has gone from 830 to 1960 req/s within one
        # run), so each page's --seconds are split into --rounds slices that alternate with slices of the floor
        # (F P F P ... P F). Each page slice is compared with the mean of the floor slices on either side of it,
        # and the page's ratio is the median of those comparisons: a burst of drift moves one slice, not the verdict.
        results = {}
        floors: dict[str, float] = {}
        ratios: dict[str, float] = {}
        floor_runs: list[dict] = []
        floor_env = {**env, "PYTHONPATH": str(BENCH)}
        with Gunicorn("wsgi:app", env, worker_class, SRC) as server, \
                Gunicorn("floor_app:app", floor_env, worker_class, BENCH) as floor_server:
            servers += [server, floor_server]
            wrk(floor_server.base + "/", {}, 1, args.connections)
            for name, path, who in pages:
                status = status_of(server.base + path, headers_for(who))
                if status != 200:
                    print(f"  {path} answers {status} as {who}, expected 200", flush=True)
                wrk(server.base + path, headers_for(who), 1, args.connections)  # warm-up
                around = [wrk(floor_server.base + "/", {}, slice_seconds, args.connections)]
                slices = []
                for _ in range(args.rounds):
                    slices.append(wrk(server.base + path, headers_for(who), slice_seconds, args.connections))
                    around.append(wrk(floor_server.base + "/", {}, slice_seconds, args.connections))
                floor_runs += around
                results[name] = r = combine(slices)
                floors[name] = combine(around)["rps"]
                ratios[name] = statistics.median(
                    s["rps"] / ((before["rps"] + after["rps"]) / 2)
                    for s, before, after in zip(slices, around, around[1:]))
                page_slices = " ".join(f"{run['rps']:.0f}" for run in slices)
                floor_slices = " ".join(f"{run['rps']:.0f}" for run in around)
                print(f"  {name:<24} {r['rps']:8.1f} req/s  p50 {r['p50']:.2f} ms  p99 {r['p99']:.2f} ms  "
                      f"non-2xx {r['non2xx']}{' ' + r['socket_errors'] if r['socket_errors'] else ''}; floor around it {floors[name]:.0f} req/s; "
                      f"slices {page_slices} against floor {floor_slices}", flush=True)
        floor = {key: sum(run[key] for run in floor_runs) / len(floor_runs) for key in ("rps", "p50", "p99")}
        floor_spread = (min(run["rps"] for run in floor_runs), max(run["rps"] for run in floor_runs))

        print(f"\nwrk -t 2 -c {args.connections} -d {slice_seconds}s --latency, {args.rounds} slices a page "
              f"({args.rounds * slice_seconds} s) between {args.rounds + 1} of the floor; gunicorn {WORKERS} workers "
              f"{label}, PostgreSQL, {args.scale} synthetic learners")
        print("req/s: mean of the slices; p50: the median slice's; p99: the worst slice's; floor: the median of each "
              "slice's ratio to the floor slices on either side of it")
        head = f"{'page':<24} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'floor':>6} {'q@' + str(small):>6} " \
               f"{'q@' + str(args.scale):>8}  result"
        print(head)
        print("-" * len(head))
        print(f"{'floor (50 rows), mean':<24} {floor['rps']:>8.0f} {floor['p50']:>8.1f} {floor['p99']:>8.1f} "
              f"{'1.00':>6} {1:>6} {1:>8}  ({len(floor_runs)} slices, {floor_spread[0]:.0f}-{floor_spread[1]:.0f} req/s)")
        failed = 0
        for name, _, _ in pages:
            r = results[name]
            ratio = ratios[name]
            qs, qb = q_small[name], q_big[name]
            problems = []
            if ratio < 0.5:
                problems.append("below 50% of floor")
            if qs != qb:
                problems.append("queries grow with scale")
            if qs < 0 or qb < 0:
                problems.append("not HTTP 200 in-process")
            if t_big[name] > 3 * t_small[name] + 50:  # reported, not a target: same queries can still cost more
                problems.append(f"in-process time {t_small[name]:.0f} -> {t_big[name]:.0f} ms with scale")
            if r["rps"] == 0:
                problems.append("no response within wrk's 10 s timeout")
            if r["non2xx"]:
                problems.append(f"{r['non2xx']} non-2xx")
            failed += bool(problems)
            verdict = "PASS" if not problems else "FAIL (" + "; ".join(problems) + ")"
            print(f"{name:<24} {r['rps']:>8.0f} {r['p50']:>8.1f} {r['p99']:>8.1f} {ratio:>6.2f} {qs:>6} {qb:>8}  {verdict}")
        print(f"\n{len(pages) - failed} of {len(pages)} pages meet the targets (>= 0.50 of the floor's req/s, "
              f"same queries at both scales)")
        if not args.skip_upload:
            print("\nbench/upload_memory.py (200 MB upload):")
            up = subprocess.run([sys.executable, str(BENCH / "upload_memory.py")], cwd=ROOT, capture_output=True,
                                text=True, timeout=600)
            print(up.stdout.rstrip() or up.stderr.rstrip())
        return 0
    finally:
        for server in servers:
            server.stop()
        if _app is not None:
            from webapp.extensions import db
            with _app.app_context():
                db.session.remove()
                db.engine.dispose()
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
