"""`flask worker` (SPEC §10): the background loop. Each tick runs every job of `JOBS` once; a job returns how much
it did, and the loop ticks again at once while any job finds work, else waits WORKER_INTERVAL seconds.

Jobs are plain functions `job(worker_id) -> int` that call services (which commit): the time-based notifications
(services.notifications.fire_due), the e-mail of notifications and the daily digests
(services.notification_mail), and the outbox's delivery (services.mail). Several worker processes may
run the same jobs: each job claims its work safely (see services/mail.py). A job that fails is logged and rolled
back; the loop goes on. SIGTERM and SIGINT end the loop after the current tick.
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable

from flask import Flask

from .extensions import db
from .services import mail, notification_mail, notifications

log = logging.getLogger("webapp.worker")

Job = Callable[[str], int]


class Every:
    """A job run at most once per `seconds` in this process (the others' ticks skip it). The work itself is safe
    to run from several processes at once; this only keeps a busy loop from scanning for it every few seconds.
    `--once` makes every such job due for its first tick (Every.make_all_due)."""

    _all: list[Every] = []

    def __init__(self, seconds: float, fn: Callable[[], int]):
        self.seconds, self.fn, self.last = seconds, fn, None
        Every._all.append(self)

    def __call__(self, worker: str) -> int:
        now = time.monotonic()
        if self.last is not None and now - self.last < self.seconds:
            return 0
        self.last = now
        return self.fn()

    @classmethod
    def make_all_due(cls) -> None:
        for job in cls._all:
            job.last = None


# (name, job), run in this order each tick: the reminders due, the e-mail each new notification gets (or the digest
# it waits for), the day's digests, then the outbox's delivery, so one tick carries an event to the mail server.
JOBS: list[tuple[str, Job]] = [
    ("reminders", Every(60, lambda: sum(notifications.fire_due().values()))),
    ("notification e-mail", lambda worker: notification_mail.mail_new()),
    ("digests", Every(60, notification_mail.send_digests)),
    ("mail", lambda worker: mail.deliver_due(worker)),
]

ONCE_LIMIT = 10_000   # `--once` stops after this many ticks that found work, whatever is still arriving


def tick(app: Flask, worker: str, jobs: list[tuple[str, Job]] | None = None) -> int:
    """Run each job once, each in an app context of its own: how much they did in all."""
    done = 0
    for name, job in jobs if jobs is not None else JOBS:
        with app.app_context():
            try:
                done += job(worker) or 0
            except Exception:      # one job's failure must not stop the others, nor the loop
                log.exception("Worker job %r failed; it runs again at the next tick.", name)
                db.session.rollback()
    return done


def run(app: Flask, *, once: bool = False, interval: float | None = None, jobs: list[tuple[str, Job]] | None = None,
        stop: threading.Event | None = None, worker: str | None = None) -> None:
    """Tick until stopped; with `once`, until no job finds anything more to do."""
    worker = worker or mail.worker_id()
    interval = app.config.get("WORKER_INTERVAL", 5) if interval is None else interval
    stop = stop or threading.Event()
    if once:
        Every.make_all_due()
        for _ in range(ONCE_LIMIT):
            if not tick(app, worker, jobs):
                return
        return
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    log.info("Worker %s started (%s).", worker, ", ".join(name for name, _ in (jobs or JOBS)))
    while not stop.is_set():
        if not tick(app, worker, jobs):
            stop.wait(interval)
    log.info("Worker %s stopped.", worker)
