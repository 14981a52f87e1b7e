from __future__ import annotations

import threading

from flask import current_app

from webapp import worker


def run_worker_once(worker_id: str = "test-worker") -> None:
    """`flask worker --once` in-process: do everything due now."""
    worker.run(current_app._get_current_object(), once=True, worker=worker_id)


def run_two_workers_at_once(app) -> None:
    """Two `flask worker --once` in threads of this process, started together (each with its own session)."""
    start = threading.Barrier(2)
    errors = []

    def work(name):
        try:
            start.wait()
            worker.run(app, once=True, worker=name)
        except Exception as exc:      # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
