"""The cohort-day workload's users, for Locust: a class in session against one or two app servers.

    COHORT_ACCOUNTS=accounts.json COHORT_HOSTS=http://127.0.0.1:8001,http://127.0.0.1:8002 \\
    COHORT_WRITES=writes.jsonl COHORT_STATS=stats.json \\
    locust -f bench/cohort_users.py --headless -u 12 -r 6 -t 40s --csv out

Runs in Locust's own venv: nothing here imports the app (stdlib, locust and requests only). The accounts come
from `bench/cohort_setup.py setup`; afterwards `cohort_setup.py verify --writes writes.jsonl` checks every
acknowledged write against the database. Requests go to the hosts of COHORT_HOSTS only.

Environment:
  COHORT_ACCOUNTS  the setup's JSON (required)
  COHORT_HOSTS     comma-separated base URLs; each user sends its successive requests to them in turn (round robin
                   per request, absolute URLs), so the read after a write goes to the other server
  COHORT_WRITES    where to append one JSON line per acknowledged write: kind, object, marker, t
  COHORT_STATS     where to write, at the end, per request name {"hit", "miss", "none"} from the Server-Timing
                   header (`cache;desc="hit"` / `"miss"`; no header: none), and the stale reads
  COHORT_THINK     think time in seconds: wait_time = between(0, THINK) (default 0: as fast as possible)

User classes (their `weight` is a class attribute; the learner and mentor classes take accounts of the setup in
turn, so use at least as many learners as AttemptLearner + CapstoneLearner + ApiLearner users and as many mentors as Mentor
users, else two users share an account and their writes collide):
  AttemptLearner  logs in, plays its mastery attempt: reads /attempts/<id>, autosaves a subtask's draft now and
                  then (the page read next shows it in the response box), submits each subtask as the page's
                  htmx form does (a decision per group, an answer per check, a response carrying a marker; the
                  page read next must have moved past that subtask, and show the marker once complete), reads
                  the mission and the catalogue, polls the notification count; starts a new attempt when it ends.
  CapstoneLearner reads /capstones/<id>, autosaves the current phase's draft several times a read (htmx, the
                  version the last save answered), now and then completes the phase (the form's Complete button);
                  when the capstone is submitted it starts a fresh one at a spare mission (the last phase is
                  completed only while a spare is left, so there is always a draft to autosave); polls
                  notifications.
  Mentor          reads the queue, opens a draft review's workspace, autosaves the written feedback (htmx) a few
                  times, now and then submits the review (approve, a score) and moves to its next draft.
  ApiLearner      a learner's own tool on the API (bearer token from the setup): reads /api/v1/missions, a mission
                  and the capstone, and saves a draft of the remediation plan with PATCH without `version` (last
                  writer wins), then reads the capstone back.
  Visitor         anonymous: /p/<handle> of random public handles, /missions and /missions/<slug>.

Every write carries a unique marker; the user's next request reads the page that shows it (on the other host,
by the round robin) and a page without the marker is recorded as a failed request named `STALE <page>`. Any
answer a browser would not expect (including a 409 and a 429) is a failure.
"""
from __future__ import annotations

import html
import itertools
import json
import os
import random
import re
import secrets
import time
from collections import Counter, defaultdict

from locust import HttpUser, between, events, task

ACCOUNTS = json.loads(open(os.environ["COHORT_ACCOUNTS"], encoding="utf-8").read())
HOSTS = [h.strip().rstrip("/") for h in os.environ.get("COHORT_HOSTS", "http://127.0.0.1:5611").split(",")
         if h.strip()]
THINK = float(os.environ.get("COHORT_THINK") or 0)
WRITES_PATH = os.environ.get("COHORT_WRITES", "")
STATS_PATH = os.environ.get("COHORT_STATS", "")
RUN = secrets.token_hex(3)
TIMEOUT = 60

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CACHE_RE = re.compile(r'cache;\s*desc="?(hit|miss)"?')

# ---------------------------------------------------------------- shared bookkeeping

_user_ids = itertools.count()
_learner_turn = itertools.count()
_mentor_turn = itertools.count()
CACHE: dict[str, Counter] = defaultdict(Counter)
STALE: Counter = Counter()
_writes_file = open(WRITES_PATH, "a", encoding="utf-8") if WRITES_PATH else None


def log_write(kind: str, obj: str, marker: str) -> None:
    if _writes_file is not None:
        _writes_file.write(json.dumps({"kind": kind, "object": obj, "marker": marker, "t": time.time()}) + "\n")
        _writes_file.flush()


@events.test_stop.add_listener
def _write_stats(**_kwargs) -> None:
    if _writes_file is not None:
        _writes_file.flush()
    if STATS_PATH:
        with open(STATS_PATH, "w", encoding="utf-8") as f:
            json.dump({"by_name": {name: {k: c[k] for k in ("hit", "miss", "none")} for name, c in
                                   sorted(CACHE.items())},
                       "stale": sum(STALE.values()), "stale_by_page": dict(STALE), "run": RUN}, f, indent=1)


class CohortUser(HttpUser):
    """Plumbing shared by the user classes: round robin over the hosts, named requests checked as a browser
    would, the CSRF token of the last page, markers, read-your-writes checks."""

    abstract = True
    host = HOSTS[0]                  # required by Locust; every request is sent to an absolute URL
    wait_time = between(0, THINK)

    def on_start(self) -> None:
        self.uid = next(_user_ids)
        self.turn = self.uid % len(HOSTS)
        self.seq = 0
        self.csrf = ""
        self.rng = random.Random(self.uid)
        self.client.headers.update({"User-Agent": "mastery-cohort"})

    # -- plumbing
    def marker(self) -> str:
        self.seq += 1
        return f"cohort-{RUN}-u{self.uid:03d}-{self.seq:05d}"

    def url(self, path: str) -> str:
        base = HOSTS[self.turn % len(HOSTS)]
        self.turn += 1
        return base + path

    def call(self, method: str, path: str, name: str, expect: tuple[int, ...] = (200,), *, htmx: str | None = None,
             **kwargs):
        """One request; the response when its status is one of `expect`, else None (recorded as a failure)."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if htmx is not None:
            headers.update({"HX-Request": "true", "HX-Current-URL": HOSTS[0] + path})
            if htmx:
                headers["HX-Target"] = htmx
            if self.csrf:
                headers["X-CSRFToken"] = self.csrf
        with self.client.request(method, self.url(path), name=name, catch_response=True, allow_redirects=False,
                                 timeout=TIMEOUT, headers=headers, **kwargs) as resp:
            timing = resp.headers.get("Server-Timing", "") if resp.headers is not None else ""
            found = CACHE_RE.search(timing)
            CACHE[name][found.group(1) if found else "none"] += 1
            if resp.status_code in expect:
                resp.success()
                if resp.status_code == 200:
                    token = CSRF_RE.search(resp.text or "")
                    if token:
                        self.csrf = html.unescape(token.group(1))
                return resp
            where = resp.headers.get("Location", "") if resp.headers is not None else ""
            body = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.text or ""))[:160]
            resp.failure(f"{resp.status_code}{' -> ' + where if where else ''}: {body}")
            if "/auth/login" in where:
                self.logged_in = False
            return None

    def stale(self, page: str, marker: str) -> None:
        """The page read after an acknowledged write does not show it."""
        STALE[page] += 1
        events.request.fire(request_type="STALE", name=f"STALE {page}", response_time=0, response_length=0,
                            exception=AssertionError(f"{marker} not on the page read after its write"),
                            context={}, response=None, url=page)

    def read_back(self, resp, page: str, marker: str) -> None:
        if resp is not None and marker not in resp.text:
            self.stale(page, marker)

    def login(self, email: str) -> bool:
        self.logged_in = False
        if self.call("GET", "/auth/login", "GET /auth/login") is None or not self.csrf:
            return False
        resp = self.call("POST", "/auth/login", "POST /auth/login", (303,),
                         data={"email": email, "password": ACCOUNTS["password"], "csrf_token": self.csrf})
        if resp is None:
            return False
        self.logged_in = True
        self.call("GET", "/", "GET /")                          # where the login goes: a fresh CSRF token
        return True

    def ensure_login(self) -> bool:
        if not self.logged_in:
            self.login(self.account["email"])
            if not self.logged_in:
                time.sleep(1)
        return self.logged_in

    def poll_count(self) -> None:
        """The navigation's htmx poll: 204 when the count shown is still right, else the new count."""
        shown = getattr(self, "shown", "")
        resp = self.call("GET", f"/notifications/count?shown={shown}", "GET /notifications/count", (200, 204),
                         htmx="notification-count")
        if resp is not None and resp.status_code == 200:
            found = re.search(r"\d+", re.sub(r"<[^>]+>", " ", resp.text))
            self.shown = found.group(0) if found else "0"


def _first_values(form_html: str, kind: str, pattern: str) -> dict[str, str]:
    """name -> value of the first input of each group of that type whose name matches `pattern`."""
    out: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", form_html):
        if f'type="{kind}"' not in tag:
            continue
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and value and re.fullmatch(pattern, name.group(1)) and name.group(1) not in out:
            out[name.group(1)] = html.unescape(value.group(1))
    return out


def next_learner() -> dict:
    """The next learner account of the setup, in turn."""
    return ACCOUNTS["learners"][next(_learner_turn) % len(ACCOUNTS["learners"])]


class LearnerUser(CohortUser):
    """A learner in the browser: logged in with the form, polling the navigation's notification count."""

    abstract = True

    def on_start(self) -> None:
        super().on_start()
        self.account = next_learner()
        self.logged_in = False
        self.ensure_login()

    @task(3)
    def notifications(self) -> None:
        if self.ensure_login():
            self.poll_count()


# ---------------------------------------------------------------- attempts

class AttemptLearner(LearnerUser):
    weight = 5
    draft_every = 2             # one subtask in this many is autosaved (and the page reloaded) before it is sent

    def on_start(self) -> None:
        super().on_start()
        self.attempt = self.account["attempt"]
        self.slug = self.account["attempt_mission"]

    def attempt_page(self):
        return self.call("GET", f"/attempts/{self.attempt}", "GET /attempts/<id>")

    @task(8)
    def play(self) -> None:
        if not self.ensure_login():
            return
        page = self.attempt_page()
        if page is None:
            return
        text = page.text
        scope = re.search(r'action="(/attempts/\d+/scope)"', text)
        form = re.search(r'<form[^>]*class="subtask-form"[^>]*>.*?</form>', text, re.S)
        if scope:
            self.call("POST", scope.group(1), "POST /attempts/<id>/scope", htmx="attempt-subtask",
                      data={"csrf_token": self.csrf, "acknowledge_scope": "y"})
        elif form:
            self.submit_subtask(form.group(0))
        else:                              # complete (or abandoned): start again from the mission
            self.start_attempt()

    def submit_subtask(self, form: str) -> None:
        action = re.search(r'action="(/attempts/(\d+)/subtasks/(\d+))"', form)
        if not action:
            return
        obj = f"attempt:{action.group(2)}:{action.group(3)}"
        data: dict[str, object] = {"csrf_token": self.csrf}
        data.update(_first_values(form, "radio", r"(decision|check)-.+"))
        data.update(_first_values(form, "checkbox", r"check-.+"))
        for name in _first_values(form, "text", r"check-.+"):
            data[name] = "192.0.2.10"
        if self.rng.randrange(self.draft_every) == 0:
            # The form's autosave while the learner types; a reload shows the draft in the response box.
            marker = self.marker()
            data["response"] = f"{marker}: first thoughts, still typing"
            resp = self.call("POST", action.group(1) + "/draft", "POST /attempts/<id>/subtasks/<sid>/draft",
                             htmx="draft-status", data=data)
            if resp is None:
                return
            log_write("subtask_draft", obj, marker)
            page = self.attempt_page()
            if page is not None and marker not in page.text:
                self.stale("GET /attempts/<id>", marker)
            data["csrf_token"] = self.csrf
        marker = self.marker()
        data["response"] = (f"{marker}: I contain the host first, then collect the evidence and tell the incident "
                            "lead what I found and why.")
        resp = self.call("POST", action.group(1), "POST /attempts/<id>/subtasks/<sid>", htmx="attempt-subtask",
                         data=data)
        if resp is None:
            return
        log_write("subtask", obj, marker)
        # The learner's page shows the responses only in the summary of a completed attempt; while it runs, the
        # submission shows as the next subtask (or the summary) in place of the form just submitted.
        page = self.attempt_page()
        if page is not None and (f'action="{action.group(1)}"' in page.text
                                 or ("response-text" in page.text and marker not in page.text)):
            self.stale("GET /attempts/<id>", marker)

    def start_attempt(self) -> None:
        resp = self.call("POST", "/attempts", "POST /attempts", (303,),
                         data={"csrf_token": self.csrf, "mission": self.slug, "acknowledge_scope": "y"})
        found = re.search(r"/attempts/(\d+)", resp.headers.get("Location", "")) if resp is not None else None
        if found:
            self.attempt = int(found.group(1))
            log_write("attempt_start", f"attempt:{self.attempt}", self.marker())

    @task(2)
    def mission(self) -> None:
        if self.ensure_login():
            self.call("GET", f"/missions/{self.slug}", "GET /missions/<slug>")

    @task(1)
    def catalogue(self) -> None:
        if self.ensure_login():
            self.call("GET", "/missions", "GET /missions")



# ---------------------------------------------------------------- capstones

class CapstoneLearner(LearnerUser):
    weight = 4
    autosaves = (3, 6)          # autosaves per full read of the workspace
    complete_every = 6          # one workspace visit in this many completes the phase

    def on_start(self) -> None:
        super().on_start()
        self.capstone = self.account["capstone"]
        self.mission = self.account["capstone_mission"]
        self.spares = list(self.account["spare_missions"])
        self.version: str | None = None
        self.phase: str | None = None

    def workspace(self):
        """The full read: the phase shown (the current one), its autosave URL and the form's version."""
        resp = self.call("GET", f"/capstones/{self.capstone}", "GET /capstones/<id>")
        self.version, self.phase = None, None
        if resp is not None:
            draft = re.search(r'/capstones/\d+/phases/([a-z_]+)/draft', resp.text)
            version = re.search(r'id="phase-version" name="version" value="(\d+)"', resp.text)
            if draft and version:
                self.phase, self.version = draft.group(1), version.group(1)
        return resp

    def phase_data(self, marker: str, action: str | None = None) -> dict:
        spec = ACCOUNTS["phase_forms"][self.mission][self.phase]
        data = {key: list(values) for key, values in spec["form"].items()}
        key = spec["marker_key"]
        data[key][0] = f"{marker} {data[key][0]}".strip()
        data.update({"csrf_token": self.csrf, "version": self.version})
        if action:
            data["action"] = action
        return data

    def fresh_capstone(self) -> bool:
        """The capstone is submitted: start one at a spare mission (its attempt was played in the setup)."""
        if not self.spares:
            return False
        mission = self.spares.pop(0)
        resp = self.call("POST", "/capstones", "POST /capstones", (303,),
                         data={"csrf_token": self.csrf, "mission": mission})
        found = re.search(r"/capstones/(\d+)", resp.headers.get("Location", "")) if resp is not None else None
        if not found:
            return False
        self.capstone, self.mission = int(found.group(1)), mission
        log_write("capstone_start", f"capstone:{self.capstone}", self.marker())
        return True

    @task(10)
    def work(self) -> None:
        if not self.ensure_login():
            return
        if self.workspace() is None:
            return
        if self.phase is None:
            if self.fresh_capstone():
                self.workspace()
            if self.phase is None:
                return              # nothing left to edit: reading is all there is
        field = ACCOUNTS["phase_forms"][self.mission][self.phase]["field"]
        obj = f"capstone:{self.capstone}:{field}"
        marker = None
        for _ in range(self.rng.randint(*self.autosaves)):
            marker = self.marker()
            resp = self.call("POST", f"/capstones/{self.capstone}/phases/{self.phase}/draft",
                             "POST /capstones/<id>/phases/<phase>/draft", htmx="phase-save-status",
                             data=self.phase_data(marker))
            if resp is None:
                return
            log_write("capstone_draft", obj, marker)
            version = re.search(r'name="version" value="(\d+)"', resp.text)
            self.version = version.group(1) if version else None
            if self.version is None:
                return
        last = self.phase == ACCOUNTS["phases"][-1]
        if self.rng.randrange(self.complete_every) == 0 and (self.spares or not last):
            # Completing the last phase submits the capstone: only while a spare mission is left for a fresh one,
            # so the learner never runs out of a draft to autosave.
            marker = self.marker()
            resp = self.call("POST", f"/capstones/{self.capstone}/phases/{self.phase}",
                             "POST /capstones/<id>/phases/<phase> (complete)", htmx="capstone-phase-form",
                             data=self.phase_data(marker, "complete"))
            if resp is None:
                return
            log_write("capstone_complete", obj, marker)
            self.read_back(self.call("GET", f"/capstones/{self.capstone}?phase={self.phase}",
                                     "GET /capstones/<id>?phase=<phase>"), "GET /capstones/<id>?phase=<phase>",
                           marker)
        elif marker:
            self.read_back(self.workspace(), "GET /capstones/<id>", marker)

    @task(2)
    def capstones(self) -> None:
        if self.ensure_login():
            self.call("GET", "/capstones", "GET /capstones")



# ---------------------------------------------------------------- a learner's tools on the API

class ApiLearner(CohortUser):
    """A learner whose own tool (a script, an editor plugin) works through the API with their bearer token: reads
    the catalogue, a mission and their capstone, and saves a draft of the remediation plan without `version`
    (last writer wins), then reads the capstone back (on the other host)."""

    weight = 2
    field = "remediation_plan"

    def on_start(self) -> None:
        super().on_start()
        self.account = next_learner()
        self.client.headers["Authorization"] = f"Bearer {self.account['token']}"
        self.capstone = self.account["capstone"]
        self.slug = self.account["capstone_mission"]
        self.logged_in = True

    @task(4)
    def save(self) -> None:
        marker = self.marker()
        resp = self.call("PATCH", f"/api/v1/capstones/{self.capstone}", "PATCH /api/v1/capstones/<id>",
                         json={self.field: f"{marker}\n\n1. Rotate the exposed keys.\n2. Segment the servers."})
        if resp is None:
            return
        log_write("capstone_draft", f"capstone:{self.capstone}:{self.field}", marker)
        self.read_back(self.call("GET", f"/api/v1/capstones/{self.capstone}", "GET /api/v1/capstones/<id>"),
                       "GET /api/v1/capstones/<id>", marker)

    @task(2)
    def capstone(self) -> None:
        self.call("GET", f"/api/v1/capstones/{self.capstone}", "GET /api/v1/capstones/<id>")

    @task(2)
    def mission(self) -> None:
        self.call("GET", f"/api/v1/missions/{self.slug}", "GET /api/v1/missions/<slug>")

    @task(1)
    def catalogue(self) -> None:
        self.call("GET", "/api/v1/missions", "GET /api/v1/missions")


# ---------------------------------------------------------------- mentors

class Mentor(CohortUser):
    weight = 1
    autosaves = (2, 4)
    submit_every = 8            # one workspace visit in this many submits the review
    keep = 1                    # drafts never submitted, so the workspace never runs dry

    def on_start(self) -> None:
        super().on_start()
        self.account = ACCOUNTS["mentors"][next(_mentor_turn) % len(ACCOUNTS["mentors"])]
        self.reviews = list(self.account["reviews"])
        self.rng.shuffle(self.reviews)
        self.logged_in = False
        self.ensure_login()

    def open_review(self, rid: int):
        resp = self.call("GET", f"/mentorship/reviews/{rid}", "GET /mentorship/reviews/<id>")
        found = re.search(r'name="version_id" value="(\d+)"', resp.text) if resp is not None else None
        return resp, (found.group(1) if found else None)

    def feedback(self, marker: str) -> str:
        return f"{marker}: the containment call was right; tighten the timeline and say who decided what."

    @task(3)
    def queue(self) -> None:
        if self.ensure_login():
            self.call("GET", "/mentorship/queue", "GET /mentorship/queue")

    @task(8)
    def review(self) -> None:
        if not self.ensure_login() or not self.reviews:
            return
        rid = self.reviews[0]
        resp, version = self.open_review(rid)
        if resp is None:
            return
        if version is None:             # submitted (by another user of this account): on to the next draft
            self.reviews.pop(0)
            return
        marker = None
        for _ in range(self.rng.randint(*self.autosaves)):
            marker = self.marker()
            saved = self.call("POST", f"/mentorship/reviews/{rid}", "POST /mentorship/reviews/<id>",
                              htmx="review-save-status",
                              data={"csrf_token": self.csrf, "version_id": version,
                                    "written_feedback": self.feedback(marker), "meeting_notes": "",
                                    "meeting_duration_minutes": "", "overall_score": ""})
            if saved is None:
                return
            log_write("review_draft", f"review:{rid}", marker)
            found = re.search(r'name="version_id" value="(\d+)"', saved.text)
            version = found.group(1) if found else None
            if version is None:
                return
        if len(self.reviews) > self.keep and self.rng.randrange(self.submit_every) == 0:
            marker = self.marker()
            done = self.call("POST", f"/mentorship/reviews/{rid}/submit", "POST /mentorship/reviews/<id>/submit",
                             htmx="review-save-status",
                             data={"csrf_token": self.csrf, "version_id": version,
                                   "written_feedback": self.feedback(marker), "meeting_notes": "",
                                   "meeting_duration_minutes": "", "overall_score": "82", "decision": "approve"})
            if done is None:
                return
            log_write("review_submit", f"review:{rid}", marker)
            self.reviews.pop(0)
        if marker:
            self.read_back(self.open_review(rid)[0], "GET /mentorship/reviews/<id>", marker)

    @task(2)
    def notifications(self) -> None:
        if self.ensure_login():
            self.poll_count()


# ---------------------------------------------------------------- visitors

class Visitor(CohortUser):
    weight = 2

    @task(6)
    def portfolio(self) -> None:
        handle = self.rng.choice(ACCOUNTS["public_handles"])
        self.call("GET", f"/p/{handle}", "GET /p/<handle>")

    @task(2)
    def catalogue(self) -> None:
        self.call("GET", "/missions", "GET /missions")

    @task(2)
    def mission(self) -> None:
        slug = self.rng.choice(ACCOUNTS["catalogue_slugs"])
        self.call("GET", f"/missions/{slug}", "GET /missions/<slug>")
