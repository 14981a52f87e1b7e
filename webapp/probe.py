"""`python -m webapp.probe [PATH]`: exit 0 when the app on this host answers 200 on PATH (default /readyz), else 1
with the reason on standard error. For container healthchecks: the image has Python but no curl or wget.

The port is PORT (default 8000), as in gunicorn.conf.py. Only the standard library is used, so the probe starts in
a few milliseconds and never loads the app.
"""
from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else "/readyz"
    if not path.startswith("/"):
        print(f"usage: python -m webapp.probe [/path], got {path!r}", file=sys.stderr)
        return 2
    url = f"http://127.0.0.1:{os.environ.get('PORT') or '8000'}{path}"
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:  # nosec B310: a fixed http URL on this host
            status = resp.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        print(f"{url}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"{url}: HTTP {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
