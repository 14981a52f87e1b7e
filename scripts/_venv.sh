# Shared by serve.sh and test.sh: make .venv with Python 3.11+ and install the project into it.
# Usage: . scripts/_venv.sh ".[test]"
set -euo pipefail
PYTHON_BIN=${PYTHON:-}
if [ -z "$PYTHON_BIN" ]; then
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      PYTHON_BIN=$candidate; break
    fi
  done
fi
if [ -z "$PYTHON_BIN" ]; then
  echo "Mastery Tracks needs Python 3.11 or newer; none was found on PATH (set PYTHON=/path/to/python3.11)." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $PYTHON_BIN"
  "$PYTHON_BIN" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip setuptools   # the venv's bundled setuptools is old and has advisories
.venv/bin/python -m pip install --quiet -e "${1:-.}"
