#!/usr/bin/env bash
# Install the project with its test extra and run the whole suite. Extra arguments go to pytest.
# TEST_DATABASE_URL=postgresql://… runs it against PostgreSQL instead of SQLite.
# Browser tests drive Debian's chromium (/usr/bin/chromium, or CHROMIUM_PATH); without it they are
# skipped with a note, except in CI (CI=true), where a missing browser fails the run.
# The suite runs on pytest-xdist workers, one per core (TEST_WORKERS=N to choose, TEST_WORKERS=0 for one
# process); on PostgreSQL each worker gets a database of its own beside TEST_DATABASE_URL's (<name>_gw0, …).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${SKIP_INSTALL:-}" != "1" ]; then
  . scripts/_venv.sh ".[test]"
fi
exec .venv/bin/python -m pytest -n "${TEST_WORKERS:-auto}" --dist worksteal "$@"
