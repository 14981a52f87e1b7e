"""gunicorn's settings, read from the environment. gunicorn loads this file by itself when started from the
project's folder (the container's default command is plain `gunicorn`); options given on the command line win.

  GUNICORN_BIND     where to listen (default 0.0.0.0:$PORT, PORT defaulting to 8000)
  GUNICORN_WORKERS  worker processes (default: WEB_CONCURRENCY, else 2 per core, at most 8)
  GUNICORN_TIMEOUT  seconds a request may take before its worker is restarted (default 300: uploads through the app)
  GUNICORN_ACCESS_LOG  where the access log goes (default -, standard output; empty: no access log)

Settings the app cannot start with stop the server here, with one line naming the variable, before any worker
starts (so no worker fails, is restarted and fails again, hiding the reason).

Each worker hands what it loaded at start (modules, models, templates) and what its first requests built (compiled
templates and statements) to `gc.freeze()`, so Python's cycle collector stops scanning them again and again:
about a sixth less CPU per request, and no full-heap pauses in the middle of a request (docs/performance.md).
"""
import gc
import os
import sys

from webapp.config import ConfigError, cannot_start, startup_problem, whole_number

_problem = startup_problem(os.environ)
if _problem:
    print(_problem, file=sys.stderr, flush=True)
    sys.exit(2)

try:
    _default_workers = whole_number(os.environ, "WEB_CONCURRENCY", min(8, 2 * (os.cpu_count() or 1)))
    workers = whole_number(os.environ, "GUNICORN_WORKERS", _default_workers)
    timeout = whole_number(os.environ, "GUNICORN_TIMEOUT", 300)
    _port = whole_number(os.environ, "PORT", 8000)
except ConfigError as exc:
    print(cannot_start(exc), file=sys.stderr, flush=True)
    sys.exit(2)

wsgi_app = "wsgi:app"
bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{_port}"
graceful_timeout = 30
# One line per request on standard output (GUNICORN_ACCESS_LOG="" turns it off; errors go to standard error).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None   # the heartbeat file: memory, not the image's disk
control_socket_disable = True   # no gunicornc here: nothing to control the server through but signals


# After this many requests a worker has compiled the templates and statements it will keep using.
FREEZE_AGAIN_AFTER = 200


def _freeze() -> None:
    """Collect what is garbage now, then move every object left into the collector's permanent generation: it is
    never scanned by a collection again (an object is still freed as soon as nothing refers to it)."""
    gc.collect()
    gc.freeze()


def post_worker_init(worker):
    _freeze()


def post_request(worker, req, environ, resp):
    worker.requests_served = getattr(worker, "requests_served", 0) + 1
    if worker.requests_served == FREEZE_AGAIN_AFTER:
        _freeze()
