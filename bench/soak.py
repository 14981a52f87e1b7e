"""Load and fault test: mixed reads and writes from many clients while a worker dies and PostgreSQL restarts.

    .venv/bin/python bench/soak.py [--seconds 60] [--connections 32]

Runs as root on Debian with PostgreSQL installed (`apt-get install -y postgresql`); moto and gunicorn come from
the venv. Everything listens on 127.0.0.1 only, the run is bounded in time (it stops by itself), and the cluster,
the S3 test server, gunicorn and the temporary folder are removed at the end, also on failure or Ctrl-C.

1. Copies the code to a temporary folder (bench/run.py's snapshot), starts a throwaway PostgreSQL cluster
   (run.py's Postgres) and moto's S3 server (a free port; the bucket is created), runs `flask db upgrade` and
   `flask seed --demo`, then creates the soak's users through the app's services: learners (password
   `mastery-demo`) each with a capstone in progress, a capstone submitted for review, a portfolio item and an
   API token, and mentors assigned to them, each reviewing their learners' submitted capstones in two phases:
   the first shared with the learner (the replies go under it), the second a draft.
2. Serves the app with gunicorn (2 sync workers, production settings: MASTERY_ENV=production, a SECRET_KEY,
   STORAGE_BACKEND=s3, TRUSTED_PROXY_COUNT=1 so each client's X-Forwarded-For address counts as its own for the
   login rate limit, as behind the reverse proxy of docs/deploy.md).
3. Runs --connections clients (threads with requests.Session), each logging in through the login form with the
   CSRF token from the page: learners save capstone phase drafts, type in the phase form (a few autosaves as
   htmx sends them, then Save), save the same field through the API (PATCH without `version`), edit their
   portfolio item, upload evidence (htmx, kind `evidence`) and create items with it, upload design documents
   and attach them to a phase, and read pages; mentors save review drafts, type in the review form (a few
   autosaves, then Save), upload audio feedback and read the queue; both reply under the shared review phase
   (which notifies the other side), poll the unread count, read the notification list and mark one or all
   read; visitors read public pages. Every write carries a unique marker; every acknowledged write (the 303,
   201 or 200 of success), upload key and mark read is recorded.
4. At 35 % of the run SIGKILLs one gunicorn worker (a child of the master, which starts a new one); at 60 %
   stops PostgreSQL (`pg_ctl stop -m fast`), keeps it down a few seconds and starts it again. Requests during
   the outage must get 503 with the service's message and no traceback; afterwards requests must succeed
   again without any restart of the app.
5. Then checks in PostgreSQL (SQLAlchemy + psycopg) that every acknowledged write is there, that each reply
   has its notification (stored in the reply's transaction), that every notification an acknowledged mark
   named is read, in the bucket
   (boto3) that every acknowledged upload's object exists, and that every object is referenced by a
   `stored_files` row; prints the counts and exits 1 if a write or upload was lost, an object is orphaned,
   a 5xx other than the outage's 503s was answered, or the app did not recover.

A write to a field the same client writes again (capstone draft, item summary, review feedback) counts as
lost when the database holds an earlier marker than the last acknowledged one (each object has one writer,
so writes are ordered: the form's saves, its autosaves and the API's saves of the capstone's plan are one
sequence, and so are a review's saves and autosaves); created items and replies must each be there.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import run as bench
from run import DEMO_PASSWORD, ROOT, WORKERS, Gunicorn, Postgres, flask_cmd, free_port, snapshot, wait_http

REGION = "us-east-1"
BUCKET = "mastery-soak"
OUTAGE_MESSAGE = "The service is briefly unavailable"
MARKER_RE = re.compile(r"soak-[0-9a-f]{6}-c\d{2}-\d{5}")
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
KILL_AT, OUTAGE_AT = 0.35, 0.60
WINDOW_GRACE = 2.0          # seconds after PostgreSQL is back that still count as the restart window
REQUEST_TIMEOUT = 30


# ---------------------------------------------------------------- in-process setup (run in a subprocess)

def internal_setup(learners: int, mentors: int, out: str) -> None:
    """Create the soak's users and work through the app's services; write their ids as JSON to `out`."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from sqlalchemy import select

    from webapp import create_app
    from webapp.domain.phases import PHASES
    from webapp.extensions import db
    from webapp.models import Mission
    from webapp.services import accounts, capstones, portfolio, reviews, tokens
    from webapp.models.base import utcnow
    from webapp.services.demo import _phase_values, play_attempt

    app = create_app()
    with app.app_context(), app.test_request_context():
        mastery = db.session.scalars(select(Mission).where(Mission.tier == "mastery", Mission.is_published.is_(True))
                                     .order_by(Mission.slug)).all()
        if len(mastery) < 2:
            raise SystemExit("the soak needs two mastery missions: `flask seed` loads them")
        work_mission, review_mission = mastery[0], mastery[1]
        values = _phase_values(review_mission)
        mentor_users = [accounts.create_user(f"soak-mentor-{i}@example.com", f"Soak Mentor {i}", f"soak-mentor-{i}",
                                             DEMO_PASSWORD, role="mentor") for i in range(mentors)]
        result = {"mentors": [{"email": m.email, "reviews": [], "threads": []} for m in mentor_users], "learners": [],
                  "slug": work_mission.slug}
        for i in range(learners):
            learner = accounts.create_user(f"soak-learner-{i}@example.com", f"Soak Learner {i}", f"soak-learner-{i}",
                                           DEMO_PASSWORD, role="learner")
            mentor = mentor_users[i % mentors]
            accounts.assign_mentor(None, mentor, learner)
            # A capstone builds on a completed attempt: the learner plays each mission first, as the demo does.
            play_attempt(learner, work_mission, utcnow() - timedelta(hours=3))
            play_attempt(learner, review_mission, utcnow() - timedelta(hours=2))
            cap, _ = capstones.start(learner, work_mission)
            submitted, _ = capstones.start(learner, review_mission)
            for phase in PHASES:
                capstones.save_phase(submitted, phase, values[phase], learner)
                capstones.complete_phase(submitted, phase, learner)
            # A review in two phases: the first shared (its conversation is where the replies go, each notifying
            # the other side), the second the mentor's draft.
            shared = reviews.create(mentor, capstone_id=submitted.id, review_phase=1, total_phases=2,
                                    phase="investigation", draft={"written_feedback": "Phase one: a good start."})
            reviews.submit(shared, mentor)
            review = reviews.create(mentor, capstone_id=submitted.id, review_phase=2, total_phases=2)
            item = portfolio.create_item(learner, {"title": f"Soak item {i}", "item_type": "writeup",
                                                   "summary": "Starting point.", "visibility": "private"})
            _, secret = tokens.create_token(learner, "Soak autosave")
            result["learners"].append({"email": learner.email, "handle": learner.handle, "capstone": cap.id,
                                       "item": item.id, "thread": shared.id, "token": secret})
            result["mentors"][i % mentors]["reviews"].append(review.id)
            result["mentors"][i % mentors]["threads"].append(shared.id)
        db.session.remove()
    Path(out).write_text(json.dumps(result))


# ---------------------------------------------------------------- what the clients record

@dataclass
class Request:
    client: int
    label: str
    start: float
    end: float
    status: int | None            # None: no HTTP response (connection error or timeout)
    error: str = ""
    good_body: bool = True        # for 5xx: the service's message and no traceback


@dataclass
class Write:
    kind: str                     # capstone, capstone_autosave, capstone_api, review, review_autosave, item_edit,
                                  # item_create, reply
    obj: str                      # what it overwrites (kind:id) or the created item's or reply's marker
    marker: str
    client: int
    sent: float
    acked: bool = False


@dataclass
class Upload:
    key: str
    client: int
    kind: str
    sent: float
    replaces_on: str = ""   # a recording replaces the one before it on the same review ("review:<id>")


@dataclass
class Mark:
    """Notifications marked read (one, or all those the list showed unread) by one user."""
    ids: list[int]
    client: int
    everything: bool
    acked: bool = False


@dataclass
class Stats:
    requests: list[Request] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    unexpected: Counter = field(default_factory=Counter)
    read_back: int = 0                                         # acknowledged writes read back on the next page
    not_read_back: list[str] = field(default_factory=list)     # ... whose page did not show them
    lock: threading.Lock = field(default_factory=threading.Lock)


class Client(threading.Thread):
    """One browser-like user: logs in through the form, then loops over weighted actions until told to stop."""

    def __init__(self, idx: int, role: str, info: dict, base: str, stats: Stats, stop: threading.Event,
                 run_id: str, samples: dict[str, bytes], handles: list[str], slug: str):
        super().__init__(name=f"client-{idx}", daemon=True)
        import requests

        self.idx, self.role, self.info, self.base = idx, role, info, base
        self.stats, self.stop_event, self.run_id, self.samples = stats, stop, run_id, samples
        self.handles, self.slug = handles, slug
        self.rng = random.Random(idx)
        self.http = requests.Session()
        # The login rate limit counts per client address; behind the proxy (TRUSTED_PROXY_COUNT=1) each user has
        # their own. 198.51.100.0/24 is a documentation range: nothing is ever sent there, it is only a header.
        self.http.headers.update({"X-Forwarded-For": f"198.51.100.{idx + 1}", "X-Forwarded-Proto": "http",
                                  "User-Agent": "mastery-soak"})
        self.seq = 0
        self.csrf = ""
        self.logged_in = False
        self.version: dict[int, int | None] = {}
        self.docs: list[dict] = []
        self.shown = ""               # the unread count the navigation shows (its poll sends it back)

    # -- plumbing
    def marker(self) -> str:
        self.seq += 1
        return f"soak-{self.run_id}-c{self.idx:02d}-{self.seq:05d}"

    def req(self, method: str, path: str, label: str, **kwargs):
        import requests

        start = time.time()
        try:
            resp = self.http.request(method, self.base + path, timeout=REQUEST_TIMEOUT, allow_redirects=False,
                                     **kwargs)
        except requests.RequestException as exc:
            with self.stats.lock:
                self.stats.requests.append(Request(self.idx, label, start, time.time(), None, type(exc).__name__))
            time.sleep(0.2)           # an impatient user, not a tight loop
            return None
        good = True
        if resp.status_code >= 500:
            body = resp.text
            good = OUTAGE_MESSAGE in body and "Traceback" not in body and 'File "' not in body and (
                resp.status_code != 503 or "Retry-After" in resp.headers)
            time.sleep(0.2)
        with self.stats.lock:
            self.stats.requests.append(Request(self.idx, label, start, time.time(), resp.status_code, "", good))
        if resp.status_code in (302, 401) and "/auth/login" in resp.headers.get("Location", "") + resp.headers.get(
                "HX-Redirect", ""):
            self.logged_in = False
        return resp

    def odd(self, label: str, resp) -> None:
        """A response no browser flow expects (not success, not a 5xx). A 409 (stale version) is one too: every
        save carries the version of the page or of the answer just before it, and a save without an answer (it
        may have landed) makes the client read the page again before the next, so a 409 means a stale read."""
        if resp is not None and resp.status_code < 500:
            with self.stats.lock:
                self.stats.unexpected[f"{label} -> {resp.status_code}"] += 1

    def page(self, path: str, label: str):
        resp = self.req("GET", path, label)
        if resp is not None and resp.status_code == 200:
            found = CSRF_RE.search(resp.text)
            if found:
                self.csrf = found.group(1)
        elif resp is not None and resp.status_code < 500:
            self.odd(label, resp)
        return resp

    def login(self) -> None:
        if self.role == "visitor":
            self.logged_in = True
            return
        resp = self.req("GET", "/auth/login", "GET /auth/login")
        if resp is None or resp.status_code != 200:
            time.sleep(0.5)
            return
        token = CSRF_RE.search(resp.text).group(1)
        resp = self.req("POST", "/auth/login", "POST /auth/login",
                        data={"email": self.info["email"], "password": DEMO_PASSWORD, "csrf_token": token})
        if resp is not None and resp.status_code == 303:
            self.logged_in = True
            self.page("/", "GET /")
        else:
            self.odd("POST /auth/login", resp)
            time.sleep(0.5)

    def read_back(self, resp, marker: str) -> None:
        """Read-your-writes: the page shown after an acknowledged write shows it (unless that page failed)."""
        if resp is not None and resp.status_code == 200:
            with self.stats.lock:
                self.stats.read_back += 1
                if marker not in resp.text:
                    self.stats.not_read_back.append(marker)

    def htmx(self, target: str, path: str) -> dict:
        """The headers htmx sends for a request aimed at the element `target` of the page at `path`."""
        return {"HX-Request": "true", "HX-Target": target, "HX-Current-URL": self.base + path,
                "X-CSRFToken": self.csrf}

    def record_write(self, kind: str, obj: str, marker: str) -> Write:
        write = Write(kind, obj, marker, self.idx, time.time())
        with self.stats.lock:
            self.stats.writes.append(write)
        return write

    def upload(self, kind: str, name: str, data: bytes, mime: str) -> str | None:
        """An htmx upload through POST /files, as the file component sends it: 201 and the key in HX-Trigger."""
        resp = self.req("POST", "/files", f"POST /files ({kind})",
                        data={"kind": kind, "csrf_token": self.csrf}, files={"file": (name, data, mime)},
                        headers={"HX-Request": "true", "HX-Target": "uploads", "X-CSRFToken": self.csrf})
        if resp is None or resp.status_code >= 500:
            return None
        if resp.status_code != 201:
            self.odd(f"POST /files ({kind})", resp)
            return None
        key = json.loads(resp.headers["HX-Trigger"])["file-uploaded"]["key"]
        with self.stats.lock:
            self.stats.uploads.append(Upload(key, self.idx, kind, time.time()))
        return key

    def run(self) -> None:
        actions = {"learner": self.learner_actions, "mentor": self.mentor_actions,
                   "visitor": self.visitor_actions}[self.role]()
        names, weights = zip(*actions)
        while not self.stop_event.is_set():
            if not self.logged_in:
                self.login()
                continue
            try:
                self.rng.choices(names, weights)[0]()
            except Exception as exc:  # a bug in the soak itself: count it, keep going
                with self.stats.lock:
                    self.stats.unexpected[f"client error {type(exc).__name__}: {exc}"[:120]] += 1
                time.sleep(0.2)

    # -- learners
    def learner_actions(self):
        return [(self.read_capstone, 10), (self.save_capstone, 8), (self.type_capstone, 14),
                (self.api_save_capstone, 5), (self.edit_item, 12), (self.create_item_with_evidence, 7),
                (self.attach_design_document, 4), (self.read_other, 12), (self.reply, 5),
                (self.read_notifications, 6), (self.poll_notifications, 8)]

    def capstone_path(self) -> str:
        return f"/capstones/{self.info['capstone']}"

    def read_capstone(self) -> None:
        resp = self.page(self.capstone_path() + "?phase=design_remediation", "GET /capstones/<id>")
        cid = self.info["capstone"]
        if resp is not None and resp.status_code == 200:
            found = re.search(r'name="version" value="(\d+)"', resp.text)
            self.version[cid] = int(found.group(1)) if found else None

    def save_capstone(self, new_key: str | None = None, doc_title: str = "") -> None:
        cid = self.info["capstone"]
        if self.version.get(cid) is None:
            self.read_capstone()
            if self.version.get(cid) is None:
                return
        marker = self.marker()
        rows = list(self.docs)
        if new_key:
            rows.append({"title": doc_title, "url": f"/files/{new_key}", "description": marker})
        data = {**self.phase_form(marker, rows), "action": "save"}
        if new_key:
            data["file_keys"] = [new_key]
        write = self.record_write("capstone", f"capstone:{cid}", marker)
        path = f"{self.capstone_path()}/phases/design_remediation"
        resp = self.req("POST", path, "POST /capstones/<id>/phases/<phase>", data=data)
        self.version[cid] = None
        if resp is not None and resp.status_code == 303:
            write.acked = True
            self.docs = rows
            self.read_back(self.page(resp.headers["Location"], "GET /capstones/<id>"), marker)  # follow the redirect
        else:
            self.odd("POST /capstones/<id>/phases/<phase>", resp)

    def phase_form(self, marker: str, rows: list[dict]) -> dict:
        """The fields of the design and remediation phase form as the browser sends them (form post or autosave)."""
        cid = self.info["capstone"]
        return {"csrf_token": self.csrf, "version": str(self.version[cid]),
                "remediation_plan": f"Plan {marker}\n\n1. Reset exposed credentials.\n2. Segment the servers.",
                "design_documents-title": [r["title"] for r in rows],
                "design_documents-url": [r["url"] for r in rows],
                "design_documents-description": [r["description"] for r in rows]}

    def autosave_capstone(self) -> bool:
        """What the phase form's autosave sends a moment after typing (htmx, the whole form): the status answers
        with the capstone's new version out of band, which the next save carries."""
        cid = self.info["capstone"]
        marker = self.marker()
        write = self.record_write("capstone_autosave", f"capstone:{cid}", marker)
        path = f"{self.capstone_path()}/phases/design_remediation"
        label = "POST /capstones/<id>/phases/<phase>/draft"
        resp = self.req("POST", path + "/draft", label, data=self.phase_form(marker, self.docs),
                        headers=self.htmx("phase-save-status", self.capstone_path() + "?phase=design_remediation"))
        self.version[cid] = None
        if resp is not None and resp.status_code == 200:
            found = re.search(r'id="phase-version" name="version" value="(\d+)"', resp.text)
            if found and 'data-saved="true"' in resp.text:
                write.acked = True
                self.version[cid] = int(found.group(1))
                return True
            self.odd(label + " (no new version)", resp)
        else:
            self.odd(label, resp)
        return False

    def type_capstone(self) -> None:
        """A learner typing in the phase form: a few autosaves, then the form's own Save with the version the
        last autosave left."""
        cid = self.info["capstone"]
        if self.version.get(cid) is None:
            self.read_capstone()
            if self.version.get(cid) is None:
                return
        for _ in range(self.rng.randint(2, 4)):
            if not self.autosave_capstone():
                return
        self.save_capstone()

    def api_save_capstone(self) -> None:
        """A save through the API without `version` (last writer wins), as a script or another device does."""
        cid = self.info["capstone"]
        marker = self.marker()
        write = self.record_write("capstone_api", f"capstone:{cid}", marker)
        label = "PATCH /api/v1/capstones/<id>"
        resp = self.req("PATCH", f"/api/v1/capstones/{cid}", label,
                        json={"remediation_plan": f"Plan {marker} (from the API)\n\n1. Rotate the keys."},
                        headers={"Authorization": f"Bearer {self.info['token']}", "Accept": "application/json"})
        self.version[cid] = None          # the phase form in the browser is older now: it is read again first
        if resp is not None and resp.status_code == 200:
            write.acked = True
            self.read_back(resp, marker)
        else:
            self.odd(label, resp)

    def attach_design_document(self) -> None:
        if len(self.docs) >= 40:            # the phase keeps at most 100 rows
            self.docs = self.docs[10:]
        marker = self.marker()
        name = f"design-{marker}.pdf"
        key = self.upload("document", name, self.samples["pdf"] + f"% {marker}\n".encode(), "application/pdf")
        if key:
            self.save_capstone(new_key=key, doc_title=name)

    def item_form(self, title: str, summary: str) -> dict:
        return {"csrf_token": self.csrf, "title": title, "item_type": "writeup", "summary": summary,
                "skill_tags": "Incident triage, Soak testing", "mission_id": "", "capstone_id": ""}

    def edit_item(self) -> None:
        item = self.info["item"]
        marker = self.marker()
        write = self.record_write("item_edit", f"item:{item}", marker)
        resp = self.req("POST", f"/portfolio/items/{item}", "POST /portfolio/items/<id>",
                        data=self.item_form(f"Soak item {self.idx}", f"Summary {marker}: what I did and why."))
        if resp is not None and resp.status_code == 303:
            write.acked = True
            self.read_back(self.page(resp.headers["Location"], "GET /portfolio/items/<id>"), marker)
        else:
            self.odd("POST /portfolio/items/<id>", resp)

    def create_item_with_evidence(self) -> None:
        marker = self.marker()
        notes = f"# Lab notes {marker}\n\nContained the host, collected the process tree, wrote a detection.\n"
        key = self.upload("evidence", f"notes-{marker}.md", notes.encode(), "text/markdown")
        if key is None:
            return
        write = self.record_write("item_create", marker, marker)
        data = {**self.item_form(f"Evidence {marker}", "Notes from the lab."), "visibility": "private",
                "file_keys": [key]}
        resp = self.req("POST", "/portfolio/items", "POST /portfolio/items", data=data)
        if resp is not None and resp.status_code == 303:
            write.acked = True
            self.read_back(self.page(resp.headers["Location"], "GET /portfolio/items/<id>"), marker)
        else:
            self.odd("POST /portfolio/items", resp)

    def read_other(self) -> None:
        path, label = self.rng.choice([("/", "GET /"), ("/missions", "GET /missions"), ("/portfolio", "GET /portfolio"),
                                       ("/capstones", "GET /capstones"),
                                       (f"/missions/{self.slug}", "GET /missions/<slug>"),
                                       (f"/p/{self.info['handle']}", "GET /p/<handle>")])
        self.page(path, label)

    # -- both: the review conversation and notifications
    def reply(self) -> None:
        """A reply under the shared review phase (htmx, as the thread's form sends it): it notifies the other side
        in the same transaction."""
        rid = self.info["thread"] if self.role == "learner" else self.rng.choice(self.info["threads"])
        path = f"/mentorship/reviews/{rid}"
        resp = self.page(path, "GET /mentorship/reviews/<id>")
        if resp is None or resp.status_code != 200:
            return
        marker = self.marker()
        write = self.record_write("reply", marker, marker)
        label = "POST /mentorship/reviews/<id>/replies"
        resp = self.req("POST", f"{path}/replies", label, headers=self.htmx(f"review-{rid}-replies", path),
                        data={"csrf_token": self.csrf, "back": "review",
                              "body": f"Reply {marker}: could you say more about the timeline?"})
        if resp is not None and resp.status_code == 200:
            write.acked = True
            self.read_back(resp, marker)          # the thread swapped in shows the reply
        else:
            self.odd(label, resp)

    def poll_notifications(self) -> None:
        """The navigation's unread-count poll: 204 when the count it shows is still right, else the new count."""
        resp = self.req("GET", "/notifications/count", "GET /notifications/count", params={"shown": self.shown},
                        headers=self.htmx("notification-count", "/"))
        if resp is not None and resp.status_code == 200:
            found = re.search(r'name="shown" value="(\d+)"', resp.text)
            if found:
                self.shown = found.group(1)
            else:
                self.odd("GET /notifications/count (no count)", resp)
        elif resp is not None and resp.status_code != 204:
            self.odd("GET /notifications/count", resp)

    def read_notifications(self) -> None:
        """The notification list; then, often, "Mark read" on one entry (htmx) or "Mark all read" (a form post)."""
        resp = self.page("/notifications", "GET /notifications")
        if resp is None or resp.status_code != 200:
            return
        unread = [int(i) for i in re.findall(r'id="notification-(\d+)" class="notification card notification-unread"',
                                             resp.text)]
        if not unread or self.rng.random() < 0.3:
            return
        if self.rng.random() < 0.3:
            mark = Mark(unread, self.idx, True)
            with self.stats.lock:
                self.stats.marks.append(mark)
            resp = self.req("POST", "/notifications/read-all", "POST /notifications/read-all",
                            data={"csrf_token": self.csrf})
            if resp is not None and resp.status_code == 303:
                mark.acked = True
                self.check_read(self.page(resp.headers["Location"], "GET /notifications"), unread)
            else:
                self.odd("POST /notifications/read-all", resp)
        else:
            nid = self.rng.choice(unread)
            mark = Mark([nid], self.idx, False)
            with self.stats.lock:
                self.stats.marks.append(mark)
            label = "POST /notifications/<id>/read"
            resp = self.req("POST", f"/notifications/{nid}/read", label,
                            data={"csrf_token": self.csrf, "page": "1"},
                            headers=self.htmx(f"notification-{nid}", "/notifications"))
            if resp is not None and resp.status_code == 200:
                mark.acked = True
                self.check_read(resp, [nid])      # the entry swapped in reads "Read"
                self.poll_notifications()         # the notifications-read event refreshes the count
            else:
                self.odd(label, resp)

    def check_read(self, resp, ids: list[int]) -> None:
        """Read-your-writes for marks: the page after an acknowledged mark shows none of them unread."""
        if resp is not None and resp.status_code == 200:
            with self.stats.lock:
                self.stats.read_back += 1
                self.stats.not_read_back.extend(f"notification {i} still unread" for i in ids if re.search(
                    rf'id="notification-{i}" class="notification card notification-unread"', resp.text))

    # -- mentors
    def mentor_actions(self):
        return [(self.read_queue, 8), (self.read_review, 8), (self.save_review, 12), (self.type_review, 15),
                (self.upload_audio, 3), (self.reply, 6), (self.read_notifications, 5), (self.poll_notifications, 6)]

    def read_queue(self) -> None:
        self.page("/mentorship/queue", "GET /mentorship/queue")

    def read_review(self, rid: int | None = None):
        rid = rid or self.rng.choice(self.info["reviews"])
        resp = self.page(f"/mentorship/reviews/{rid}", "GET /mentorship/reviews/<id>")
        if resp is not None and resp.status_code == 200:
            found = re.search(r'name="version_id" value="(\d+)"', resp.text)
            self.version[rid] = int(found.group(1)) if found else None
        return resp

    def review_form(self, rid: int, marker: str) -> dict:
        return {"csrf_token": self.csrf, "version_id": str(self.version[rid]),
                "written_feedback": f"Feedback {marker}: the containment call was right; tighten the timeline.",
                "meeting_notes": "", "meeting_duration_minutes": "", "overall_score": ""}

    def autosave_review(self, rid: int) -> bool:
        """What the review form's autosave sends a moment after a change (htmx, the whole form, to the form's own
        URL): the status answers with the review's new version out of band."""
        marker = self.marker()
        write = self.record_write("review_autosave", f"review:{rid}", marker)
        path = f"/mentorship/reviews/{rid}"
        label = "POST /mentorship/reviews/<id> (autosave)"
        resp = self.req("POST", path, label, data=self.review_form(rid, marker),
                        headers=self.htmx("review-save-status", path))
        self.version[rid] = None
        if resp is not None and resp.status_code == 200:
            found = re.search(r'id="review-version" name="version_id" value="(\d+)"', resp.text)
            if found and "Draft saved at" in resp.text:
                write.acked = True
                self.version[rid] = int(found.group(1))
                return True
            self.odd(label + " (no new version)", resp)
        else:
            self.odd(label, resp)
        return False

    def type_review(self) -> None:
        """A mentor writing feedback: a few autosaves, then the form's own Save with the version they left."""
        rid = self.rng.choice(self.info["reviews"])
        if self.version.get(rid) is None:
            self.read_review(rid)
            if self.version.get(rid) is None:
                return
        for _ in range(self.rng.randint(2, 4)):
            if not self.autosave_review(rid):
                return
        self.save_review(rid)

    def save_review(self, rid: int | None = None) -> None:
        rid = rid or self.rng.choice(self.info["reviews"])
        if self.version.get(rid) is None:
            self.read_review(rid)
            if self.version.get(rid) is None:
                return
        marker = self.marker()
        write = self.record_write("review", f"review:{rid}", marker)
        data = self.review_form(rid, marker)
        resp = self.req("POST", f"/mentorship/reviews/{rid}", "POST /mentorship/reviews/<id>", data=data)
        self.version[rid] = None
        if resp is not None and resp.status_code == 303:
            write.acked = True
            self.read_back(self.read_review(rid), marker)
        else:
            self.odd("POST /mentorship/reviews/<id>", resp)

    def upload_audio(self) -> None:
        rid = self.rng.choice(self.info["reviews"])
        resp = self.req("POST", f"/mentorship/reviews/{rid}/media", "POST /mentorship/reviews/<id>/media",
                        data={"kind": "audio", "csrf_token": self.csrf},
                        files={"file": ("feedback.webm", self.samples["webm-audio"], "audio/webm")},
                        headers={"HX-Request": "true", "X-CSRFToken": self.csrf})
        self.version[rid] = None
        if resp is not None and resp.status_code == 201:
            found = re.search(r"/files/(files/audio/[A-Za-z0-9_/-]+)", resp.text)
            if found:
                with self.stats.lock:
                    self.stats.uploads.append(Upload(found.group(1), self.idx, "audio", time.time(),
                                                     f"review:{rid}"))
            else:
                self.odd("POST /mentorship/reviews/<id>/media (no key)", resp)
        else:
            self.odd("POST /mentorship/reviews/<id>/media", resp)

    # -- visitors
    def visitor_actions(self):
        return [(self.visit, 1)]

    def visit(self) -> None:
        path, label = self.rng.choice([(f"/p/{self.rng.choice(self.handles)}", "GET /p/<handle>")] * 3
                                      + [("/p/learner", "GET /p/<handle>"), ("/auth/login", "GET /auth/login")])
        self.page(path, label)


# ---------------------------------------------------------------- processes

class MotoServer:
    """moto's ThreadedMotoServer in its own process, on 127.0.0.1 and a free port."""

    def __init__(self, env: dict):
        self.port = free_port()
        code = ("import signal; from moto.server import ThreadedMotoServer; "
                f"s = ThreadedMotoServer(ip_address='127.0.0.1', port={self.port}, verbose=False); s.start(); "
                "signal.pause()")
        self.proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}"
        wait_http(self.url + "/")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry))
    return found


def pg_ctl(pg: Postgres, *args: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", str(pg.bin / "pg_ctl"), "-D", str(pg.dir / "data"), *args],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)


def s3_client(endpoint: str):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", region_name=REGION, endpoint_url=endpoint,
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))


def bucket_keys(client) -> set[str]:
    keys = set()
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        keys.update(item["Key"] for item in page.get("Contents", []))
    return keys


# ---------------------------------------------------------------- checks

def lost_overwrites(writes: list[Write], stored: dict[str, str]) -> list[Write]:
    """Acknowledged writes to one field by its only writer that the stored value does not account for: the
    value must be the last acknowledged write's marker or a later (unacknowledged) one's."""
    lost = []
    by_obj: dict[str, list[Write]] = {}
    for w in writes:
        by_obj.setdefault(w.obj, []).append(w)
    for obj, ws in by_obj.items():
        ws.sort(key=lambda w: w.sent)
        found = MARKER_RE.search(stored.get(obj) or "")
        index = next((i for i, w in enumerate(ws) if found and w.marker == found.group(0)), -1)
        lost.extend(w for w in ws[index + 1:] if w.acked)
    return lost


def verify(db_url: str, endpoint: str, stats: Stats) -> dict:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        stored = {f"capstone:{i}": v for i, v in conn.execute(
            text("SELECT id, remediation_plan FROM capstone_projects"))}
        stored.update({f"review:{i}": v for i, v in conn.execute(
            text("SELECT id, written_feedback FROM mentorship_interactions"))})
        stored.update({f"item:{i}": v for i, v in conn.execute(text("SELECT id, summary FROM portfolio_items"))})
        titles = {t for (t,) in conn.execute(
            text("SELECT title FROM portfolio_items WHERE title LIKE 'Evidence soak-%'"))}
        rows = {k: (item, cap, review) for k, item, cap, review in conn.execute(
            text("SELECT key, portfolio_item_id, capstone_id, review_id FROM stored_files"))}
        replies = {m.group(0) for (body,) in conn.execute(text("SELECT body FROM review_replies"))
                   for m in [MARKER_RE.search(body)] if m}
        # Each reply notifies the other side of its thread (the learner and the mentor of a shared review phase;
        # nobody else writes in the soak's threads) in its own transaction: per thread and person, as many
        # review_reply notifications as replies by the other.
        replied = {(r, a): n for r, a, n in conn.execute(
            text("SELECT review_id, author_id, count(*) FROM review_replies GROUP BY review_id, author_id"))}
        sides = {r: (learner, mentor) for r, learner, mentor in conn.execute(text(
            "SELECT id, learner_id, mentor_id FROM mentorship_interactions WHERE id IN "
            "(SELECT review_id FROM review_replies)"))}
        told = {(r, u): n for r, u, n in conn.execute(text(
            "SELECT subject_id, user_id, count(*) FROM notifications WHERE kind = 'review_reply' "
            "AND subject_type = 'review' GROUP BY subject_id, user_id"))}
        unread = {i for (i,) in conn.execute(text("SELECT id FROM notifications WHERE read_at IS NULL"))}
    engine.dispose()
    overwrites = [w for w in stats.writes if w.kind not in ("item_create", "reply")]
    lost = lost_overwrites(overwrites, stored)
    lost += [w for w in stats.writes if w.kind == "item_create" and w.acked and f"Evidence {w.marker}" not in titles]
    lost += [w for w in stats.writes if w.kind == "reply" and w.acked and w.marker not in replies]
    notified = []                     # (thread, user, replies by the other side, notifications of them)
    for rid, (learner, mentor) in sides.items():
        for user, other in ((learner, mentor), (mentor, learner)):
            expected = replied.get((rid, other), 0)
            if told.get((rid, user), 0) != expected:
                notified.append((rid, user, expected, told.get((rid, user), 0)))
    unmarked = sorted({i for m in stats.marks if m.acked for i in m.ids} & unread)
    objects = bucket_keys(s3_client(endpoint))
    # A review keeps one recording of a kind: a newer acknowledged upload on the same review deletes the one before
    # it (once saved), so only the newest of each must still be there (and the older ones must not: orphans).
    newest: dict[str, Upload] = {}
    for upload in sorted(stats.uploads, key=lambda u: u.sent):
        if upload.replaces_on:
            newest[upload.replaces_on] = upload
    replaced = [u for u in stats.uploads if u.replaces_on and newest[u.replaces_on] is not u]
    missing = [u for u in stats.uploads if u not in replaced and (u.key not in objects or u.key not in rows)]
    still_there = [u for u in replaced if u.key in objects or u.key in rows]
    orphans = sorted(objects - set(rows))
    acked_keys = {u.key for u in stats.uploads}
    without_object = sorted(set(rows) - objects)
    return {"lost": lost, "missing": missing, "replaced": replaced, "still_there": still_there, "orphans": orphans, "objects": len(objects), "rows": len(rows),
            "without_object": without_object, "without_object_acked": [k for k in without_object if k in acked_keys],
            "replies": sum(replied.values()), "reply_notifications": sum(
                n for (rid, _), n in told.items() if rid in sides), "threads": len(sides),
            "notified": notified, "unmarked": unmarked}


def summarize_tracebacks(log: str) -> Counter:
    """Each logged traceback as one line: the log message, the app's own frames, the final exception."""
    found: Counter = Counter()
    for record in re.split(r"\n(?=\[\d{4}-\d\d-\d\d )", log):
        if "Traceback (most recent call last)" not in record:
            continue
        lines = record.splitlines()
        frames = [f"{m.group(1)}:{m.group(2)} {m.group(3)}" for m in re.finditer(
            r'File "[^"]*/((?:webapp|templates)/[^"]+)", line (\d+), in (\S+)', record)]
        last = next((line for line in reversed(lines) if re.match(r"\w[\w.]*(Error|Exception|Shutdown)\b", line)), "")
        found[f"{lines[0][:140]} | {' > '.join(frames[-4:])} | {last[:160]}"] += 1
    return found


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def machine_line() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    debian = Path("/etc/debian_version").read_text().strip() if Path("/etc/debian_version").exists() else "?"
    return (f"machine: {os.cpu_count()} cores, {mem:.1f} GiB RAM, Debian {debian}, Python {platform.python_version()}; "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")


# ---------------------------------------------------------------- main

class Interrupted(Exception):
    pass


def _raise(signum, _frame):
    raise Interrupted(signal.Signals(signum).name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60, help="length of the load (default 60)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--internal-setup", nargs=3, metavar=("LEARNERS", "MENTORS", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.internal_setup:
        learners, mentors, out = args.internal_setup
        internal_setup(int(learners), int(mentors), out)
        return 0
    if args.connections < 4 or args.seconds < 10:
        raise SystemExit("use at least --seconds 10 and --connections 4")
    if os.geteuid() != 0:
        raise SystemExit("run as root: the throwaway PostgreSQL cluster runs as the postgres user (runuser)")

    n_mentors = max(1, args.connections // 8)
    n_visitors = max(1, args.connections // 16)
    n_learners = args.connections - n_mentors - n_visitors
    run_id = secrets.token_hex(3)
    work = Path(tempfile.mkdtemp(prefix="mastery-soak-"))
    pg = Postgres(work)
    moto: MotoServer | None = None
    server: Gunicorn | None = None
    stop = threading.Event()
    clients: list[Client] = []
    # Bounded in time whatever happens: setup, load, checks and clean-up together.
    signal.signal(signal.SIGALRM, _raise)
    signal.signal(signal.SIGTERM, _raise)
    signal.alarm(args.seconds + 900)
    try:
        bench.SRC = snapshot(work)
        print(machine_line(), flush=True)
        db_url = pg.start()
        aws = {"AWS_ACCESS_KEY_ID": "soak", "AWS_SECRET_ACCESS_KEY": "soak", "AWS_DEFAULT_REGION": REGION,
               "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
        base_env = {k: v for k, v in os.environ.items()
                    if not k.startswith("AWS_") and k not in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")}
        moto = MotoServer({**base_env, **aws})
        os.environ.update(aws)
        s3 = s3_client(moto.url)
        s3.create_bucket(Bucket=BUCKET)
        env = {**base_env, **aws, "DATABASE_URL": db_url, "SECRET_KEY": secrets.token_hex(32),
               "MASTERY_ENV": "production", "FORCE_HTTPS": "false", "TRUSTED_PROXY_COUNT": "1",
               "MASTERY_INSTANCE_PATH": str(work / "instance"), "STORAGE_BACKEND": "s3", "S3_BUCKET": BUCKET,
               "S3_ENDPOINT_URL": moto.url, "S3_REGION": REGION,
               "GUNICORN_CMD_ARGS": f"--error-logfile {work / 'gunicorn.log'} --capture-output"}
        t0 = time.time()
        flask_cmd(env, "db", "upgrade")
        flask_cmd(env, "seed", "--demo")
        out = work / "setup.json"
        subprocess.run([sys.executable, str(bench.SRC / "bench" / "soak.py"), "--internal-setup", str(n_learners),
                        str(n_mentors), str(out)], cwd=bench.SRC, env=env, check=True, timeout=600)
        setup = json.loads(out.read_text())
        print(f"setup: db upgrade, seed --demo, {n_learners} learners and {n_mentors} mentors with capstones, "
              f"reviews and items in {time.time() - t0:.1f} s", flush=True)

        sys.path.insert(0, str(ROOT))
        from tests.media_samples import sample

        samples = {"pdf": sample("pdf"), "webm-audio": sample("webm-audio")}
        server = Gunicorn("wsgi:app", env, "sync", bench.SRC)
        server.__enter__()
        master = server.proc.pid
        workers = children_of(master)
        print(f"gunicorn: master {master}, {WORKERS} sync workers {sorted(workers)} on {server.base}; "
              f"moto S3 on {moto.url}; PostgreSQL on 127.0.0.1:{pg.port}", flush=True)

        stats = Stats()
        handles = [info["handle"] for info in setup["learners"]]
        roles = ([("learner", info) for info in setup["learners"]] + [("mentor", info) for info in setup["mentors"]]
                 + [("visitor", {})] * n_visitors)
        clients = [Client(i, role, info, server.base, stats, stop, run_id, samples, handles, setup["slug"])
                   for i, (role, info) in enumerate(roles)]
        start = time.time()
        for c in clients:
            c.start()
        print(f"load: {len(clients)} clients ({n_learners} learners, {n_mentors} mentors, {n_visitors} visitors) "
              f"for {args.seconds} s", flush=True)

        def at(fraction: float) -> None:
            time.sleep(max(0.0, start + fraction * args.seconds - time.time()))

        # Fault 1: SIGKILL one worker; the master starts a new one.
        at(KILL_AT)
        before = children_of(master)
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        kill_t = time.time()
        respawned, respawn_s = None, None
        while time.time() < kill_t + 30:
            now = children_of(master)
            new = now - before
            if new and victim not in now:
                respawned, respawn_s = min(new), time.time() - kill_t
                break
            time.sleep(0.05)
        print(f"  {kill_t - start:5.1f} s: SIGKILL worker {victim}; "
              + (f"master started worker {respawned} after {respawn_s:.2f} s" if respawned else "NOT replaced in 30 s"),
              flush=True)

        # Fault 2: PostgreSQL goes away for a few seconds and comes back.
        at(OUTAGE_AT)
        outage = max(3.0, 0.05 * args.seconds)
        down_t = time.time()
        pg_ctl(pg, "-m", "fast", "-w", "stop")
        stopped_t = time.time()
        time.sleep(outage)
        # `restart` on a stopped cluster starts it with the options of its last start (postmaster.opts).
        pg_ctl(pg, "-w", "-l", str(pg.dir / "log"), "restart")
        up_t = time.time()
        print(f"  {down_t - start:5.1f} s: PostgreSQL stopping (stopped after {stopped_t - down_t:.1f} s), down "
              f"{outage:.0f} s, accepting connections again at {up_t - start:.1f} s", flush=True)

        at(1.0)
        stop.set()
        for c in clients:
            c.join(timeout=REQUEST_TIMEOUT + 10)
        elapsed = time.time() - start
        still = [c.name for c in clients if c.is_alive()]

        # After the load: a fresh browser logs in and reads its capstone, as a last check that the app recovered.
        probe = Client(99, "learner", setup["learners"][0], server.base, Stats(), threading.Event(), run_id,
                       samples, handles, setup["slug"])
        probe.login()
        final = probe.page(probe.capstone_path(), "probe")
        final_ok = probe.logged_in and final is not None and final.status_code == 200
        server.stop()

        # ---- the figures
        reqs = stats.requests
        window = (down_t, up_t + WINDOW_GRACE)

        def in_window(r: Request) -> bool:
            return r.start <= window[1] and r.end >= window[0]

        def near_kill(r: Request) -> bool:
            return kill_t - 1 <= r.end <= kill_t + 5

        codes = Counter(r.status for r in reqs if r.status is not None)
        five_in = [r for r in reqs if r.status and r.status >= 500 and in_window(r)]
        five_out = [r for r in reqs if r.status and r.status >= 500 and not in_window(r)]
        in_503 = [r for r in five_in if r.status == 503]
        bad_bodies = [r for r in five_in + five_out if not r.good_body]
        conn = [r for r in reqs if r.status is None]
        conn_kill = [r for r in conn if near_kill(r)]
        conn_other = [r for r in conn if not near_kill(r)]
        after = [r for r in reqs if r.start >= up_t and r.status is not None and r.status < 400]
        recovered_s = min((r.end for r in after), default=None)
        recovered = recovered_s is not None and final_ok and not [r for r in five_out if r.start >= up_t]
        acked = [w for w in stats.writes if w.acked]
        checks = verify(db_url, moto.url, stats)
        log = (work / "gunicorn.log").read_text(errors="replace") if (work / "gunicorn.log").exists() else ""
        tracebacks = log.count("Traceback (most recent call last)")
        ok_lat = [r.end - r.start for r in reqs if r.status is not None and r.status < 400]

        kinds = Counter(w.kind for w in acked)
        print()
        print(f"Load and fault test: {elapsed:.0f} s, {len(clients)} connections, gunicorn {WORKERS} sync workers, "
              f"PostgreSQL, S3 (moto)")
        print(f"requests                          {len(reqs):>7}  ({len(reqs) / elapsed:.1f} req/s; successful: "
              f"p50 {percentile(ok_lat, 50) * 1000:.0f} ms, p99 {percentile(ok_lat, 99) * 1000:.0f} ms)")
        print("  by status                       " + ", ".join(f"{k}: {v}" for k, v in sorted(codes.items())))
        by_label: dict[str, list[float]] = {}
        for r in reqs:
            if r.status is not None and r.status < 400:
                by_label.setdefault(r.label, []).append(r.end - r.start)
        slowest = sorted(by_label.items(), key=lambda kv: -percentile(kv[1], 50))[:5]
        print("  slowest p50 (successful)        " + ", ".join(
            f"{label} {percentile(times, 50) * 1000:.0f} ms ({len(times)})" for label, times in slowest))
        print(f"5xx during the PostgreSQL restart {len(five_in):>7}  (503: {len(in_503)}, other: "
              f"{len(five_in) - len(in_503)}; window {window[0] - start:.1f}-{window[1] - start:.1f} s)")
        print(f"503 during the restart            {len(in_503):>7}  (with the message, Retry-After and no traceback: "
              f"{sum(r.good_body for r in in_503)})")
        print(f"5xx outside it                    {len(five_out):>7}" + (
            "  (" + ", ".join(f"{k}: {v}" for k, v in Counter(f"{r.label} {r.status}" for r in five_out).items()) + ")"
            if five_out else ""))
        print(f"5xx bodies with a traceback or without the message {len(bad_bodies)}")
        print(f"connection errors (killed worker) {len(conn_kill):>7}")
        print(f"connection errors (other)         {len(conn_other):>7}" + (
            "  (" + ", ".join(f"{r.label} {r.error} at {r.end - start:.1f} s" for r in conn_other[:5]) + ")"
            if conn_other else ""))
        print(f"acknowledged writes               {len(acked):>7}  (capstone drafts {kinds['capstone']} saved, "
              f"{kinds['capstone_autosave']} autosaved, {kinds['capstone_api']} through the API; review drafts "
              f"{kinds['review']} saved, {kinds['review_autosave']} autosaved; item edits {kinds['item_edit']}, "
              f"items created {kinds['item_create']}, replies {kinds['reply']}; "
              f"{len(stats.writes) - len(acked)} sent without an acknowledgement)")
        print(f"lost writes                       {len(checks['lost']):>7}" + (
            "  (" + ", ".join(w.marker for w in checks["lost"][:5]) + ")" if checks["lost"] else ""))
        print(f"not shown on the next page        {len(stats.not_read_back):>7}  (of {stats.read_back} acknowledged "
              "writes read back on the page the browser goes to next)")
        marks = [m for m in stats.marks if m.acked]
        print(f"reply notifications               {checks['reply_notifications']:>7}  (for {checks['replies']} replies "
              f"in {checks['threads']} threads; threads where a side's count differs from the other's replies: "
              f"{len(checks['notified'])})")
        print(f"notifications marked read         {sum(len(m.ids) for m in marks):>7}  "
              f"({sum(not m.everything for m in marks)} 'Mark read', {sum(m.everything for m in marks)} "
              f"'Mark all read' acknowledged; still unread in the database: {len(checks['unmarked'])})")
        print(f"acknowledged uploads              {len(stats.uploads):>7}  ("
              + ", ".join(f"{k} {v}" for k, v in sorted(Counter(u.kind for u in stats.uploads).items())) + ")")
        print(f"missing uploads                   {len(checks['missing']):>7}  (recordings replaced by a newer one on "
              f"the same review: {len(checks['replaced'])}, of which still stored: {len(checks['still_there'])})")
        for upload in checks["missing"][:10]:
            print(f"  missing: {upload.kind} {upload.key} (client {upload.client}, acknowledged at {upload.sent - start:.1f} s)")
        print(f"orphan objects                    {len(checks['orphans']):>7}  (bucket {checks['objects']} objects, "
              f"stored_files {checks['rows']} rows; rows without an object: {len(checks['without_object'])}, "
              f"acknowledged: {len(checks['without_object_acked'])})")
        print(f"worker killed                     pid {victim}" + (
            f", replaced by {respawned} in {respawn_s:.2f} s" if respawned else ", NOT replaced"))
        print("recovered                         " + (
            f"yes, first success {recovered_s - up_t:.2f} s after PostgreSQL was back; no 5xx after; "
            f"final login and page: {final.status_code if final is not None else 'no answer'}" if recovered else
            f"NO (first success after restart: {'none' if recovered_s is None else f'{recovered_s - up_t:.2f} s'}, "
            f"final page: {final.status_code if final is not None else 'no answer'})"))
        if stats.unexpected:
            print("unexpected answers                "
                  + "; ".join(f"{k}: {v}" for k, v in stats.unexpected.most_common(8)))
        print(f"server log                        {tracebacks} tracebacks, "
              f"{log.count('Database unavailable')} 'Database unavailable' warnings")
        for text, n in summarize_tracebacks(log).most_common(4):
            print(f"  {n} x {text}")
        if still:
            print(f"clients still running at the end: {', '.join(still)}")
        problems = []
        if checks["lost"]:
            problems.append("lost writes")
        if checks["notified"]:
            problems.append("replies without their notification (or notifications without their reply)")
        if checks["unmarked"]:
            problems.append("notifications acknowledged as read still unread")
        if stats.not_read_back:
            problems.append("acknowledged writes not shown on the next page")
        if checks["missing"]:
            problems.append("missing uploads")
        if checks["still_there"]:
            problems.append("replaced recordings still stored")
        if checks["orphans"]:
            problems.append("orphan objects")
        if checks["without_object_acked"]:
            problems.append("acknowledged uploads without an object")
        if five_out or len(five_in) != len(in_503):
            problems.append("5xx other than 503 during the outage")
        if bad_bodies:
            problems.append("5xx bodies without the message or with a traceback")
        if not in_503:
            problems.append("no 503 seen during the outage")
        if conn_other:
            problems.append("connection errors not caused by the killed worker")
        if not recovered:
            problems.append("did not recover")
        if respawned is None:
            problems.append("worker not replaced")
        if stats.unexpected:
            problems.append("unexpected answers")
        if still:
            problems.append("clients did not stop")
        print("RESULT: " + ("PASS" if not problems else "FAIL (" + "; ".join(problems) + ")"))
        return 1 if problems else 0
    except (Interrupted, KeyboardInterrupt) as exc:
        print(f"\ninterrupted ({str(exc) or 'Ctrl-C'}): cleaning up", file=sys.stderr, flush=True)
        return 130
    finally:
        signal.alarm(0)
        stop.set()
        if server is not None:
            server.stop()
            try:
                os.killpg(server.proc.pid, signal.SIGKILL)  # any worker left behind (its own session)
            except ProcessLookupError:
                pass
        if moto is not None:
            moto.stop()
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
