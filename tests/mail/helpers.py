from __future__ import annotations

from flask import current_app

from webapp import worker


def run_worker_once(worker_id: str = "test-worker") -> None:
    """`flask worker --once` in-process: do everything due now."""
    worker.run(current_app._get_current_object(), once=True, worker=worker_id)
