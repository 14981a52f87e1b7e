"""The HTTP half of scripts/container-check.sh: checks a running instance as a visitor and a learner would.

  python3 scripts/container_smoke.py wait URL STATUS SECONDS   wait until GET URL answers STATUS; print the seconds
  python3 scripts/container_smoke.py journey BASE              log in as the demo learner, open /missions, fetch the
                                                               stylesheet gzipped; exit 1 with the reason otherwise
Standard library only: it runs with the machine's python3.
"""
from __future__ import annotations

import gzip
import http.cookiejar
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def _status(opener, url: str) -> int | None:
    try:
        with opener.open(url, timeout=5) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def wait(url: str, status: int, seconds: float) -> int:
    opener = urllib.request.build_opener()
    start = time.monotonic()
    last = None
    while time.monotonic() - start < seconds:
        last = _status(opener, url)
        if last == status:
            print(f"{time.monotonic() - start:.1f}")
            return 0
        time.sleep(0.2)
    print(f"{url} did not answer {status} within {seconds:.0f} s (last: {last})", file=sys.stderr)
    return 1


def _fail(message: str) -> int:
    print(f"journey: {message}", file=sys.stderr)
    return 1


def journey(base: str) -> int:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/auth/login", timeout=10) as resp:
        page = resp.read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    if not token:
        return _fail("the login page has no CSRF token")
    form = urllib.parse.urlencode({"csrf_token": token.group(1), "email": "learner@example.com",
                                   "password": "mastery-demo"}).encode()
    with opener.open(urllib.request.Request(f"{base}/auth/login", data=form, method="POST"), timeout=10) as resp:
        if resp.url.rstrip("/").endswith("/auth/login"):
            return _fail("the demo learner's login was refused")
    with opener.open(f"{base}/missions", timeout=10) as resp:
        missions = resp.read().decode()
    if resp.status != 200 or "Log out" not in missions or 'href="/missions/' not in missions:
        return _fail("/missions is not the logged-in catalogue")
    titles = len(re.findall(r'href="/missions/[a-z0-9-]+"', missions))
    request = urllib.request.Request(f"{base}/static/css/app.css", headers={"Accept-Encoding": "gzip"})
    with opener.open(request, timeout=10) as resp:
        encoding = resp.headers.get("Content-Encoding")
        css = resp.read()
    if encoding != "gzip" or b"{" not in gzip.decompress(css):
        return _fail(f"the stylesheet came without its gzip twin (Content-Encoding: {encoding})")
    print(f"logged in as learner@example.com; /missions lists {titles} mission links; app.css sent gzipped "
          f"({len(css)} bytes)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "wait":
        sys.exit(wait(sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
    if len(sys.argv) == 3 and sys.argv[1] == "journey":
        sys.exit(journey(sys.argv[2].rstrip("/")))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
