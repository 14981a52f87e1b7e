#!/usr/bin/env bash
# Quick start: install, create or migrate the SQLite database, load the catalogue and demo data, serve.
# The e-mail worker (`flask worker`) runs beside the server; without SMTP_URL it sends nothing and queued
# messages wait in the outbox.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh "."
export MASTERY_ENV=${MASTERY_ENV:-development}
.venv/bin/flask --app wsgi db upgrade
.venv/bin/flask --app wsgi seed --demo
.venv/bin/flask --app wsgi worker &
worker=$!
trap 'kill "$worker" 2>/dev/null || true' EXIT
echo "Serving on http://${HOST:-127.0.0.1}:${PORT:-5000} — log in as learner@example.com / mastery-demo"
.venv/bin/flask --app wsgi run --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
