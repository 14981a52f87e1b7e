"""`flask worker` (SPEC §10): the background loop. Each tick runs every job of `JOBS` once; a job returns how much
it did, and the loop ticks again at once while any job finds work, else waits WORKER_INTERVAL seconds.

Jobs are plain functions `job(worker_id) -> int` that call services (which commit). Several worker processes may
run the same jobs: each job claims its work safely (see services/mail.py). A job that fails is logged and rolled
back; the loop goes on. SIGTERM and SIGINT end the loop after the current tick.
"""
from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable

from flask import Flask

from .extensions import db
from .services import mail

log = logging.getLogger("webapp.worker")

Job = Callable[[str], int]

# (name, job). More jobs (time-based notifications, digests) join this list.
JOBS: list[tuple[str, Job]] = [
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
