#!/usr/bin/env bash
# Build the Containerfile and smoke-test the image on this machine, with no container engine: buildah builds and
# runs commands in the image with chroot isolation (Docker and Podman cannot start containers on this machine kind).
#
#  1. a Debian bookworm base from Debian's packages (debootstrap --variant=minbase, slimmed as the official slim
#     image is), imported as a local image; kept for later runs (CONTAINER_FRESH_BASE=1 makes it again);
#  2. the Containerfile built with that base as BASE_IMAGE; its size printed;
#  3. inside the image: a missing SECRET_KEY or DATABASE_URL stops gunicorn at once with one line; the processes run
#     as the unprivileged user; no compiler, pip or package lists are left;
#  4. against a throwaway PostgreSQL cluster this script starts: gunicorn serving before the schema exists (/readyz
#     503), `flask db upgrade` and `seed --demo` (/readyz 200, no restart), PostgreSQL stopped and started again
#     (503, then 200, no restart), a fresh gunicorn timed to its first /readyz 200, the demo learner logging in and
#     opening /missions, the stylesheet sent gzipped, and `flask worker --once`;
#  5. compose.yaml validated against the Compose specification's JSON schema (check-jsonschema), since compose
#     cannot run here.
# Everything it starts is stopped on exit. In CI (CI=true) a tool that cannot be installed fails the check.
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILDAH_ISOLATION=chroot
IMAGE=${CONTAINER_IMAGE:-localhost/mastery-tracks:check}
BASE=${CONTAINER_BASE:-localhost/mastery-bookworm-minbase:latest}
PORT=${CONTAINER_PORT:-18080}
PG_PORT=${CONTAINER_PG_PORT:-55460}
URL="http://127.0.0.1:$PORT"
started=$(date +%s)
say() { echo "== container check: $*"; }
fail() { echo "container check FAILED: $*" >&2; exit 1; }

need=()
command -v buildah >/dev/null 2>&1 || need+=(buildah)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
. scripts/_pg.sh
[ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }; then
    [ "${CI:-}" = "true" ] && fail "could not install ${need[*]}"
    echo "container check skipped: could not install ${need[*]}" >&2; exit 0
  fi
  . scripts/_pg.sh
fi

work=$(mktemp -d /tmp/mastery-container.XXXXXX)
ctr=""
server=""
pg_dir=""
moto=""
cleanup() {
  if [ -n "$ctr" ]; then
    mnt=$(buildah mount "$ctr" 2>/dev/null || true)
    if [ -n "$mnt" ] && [ -s "$mnt/tmp/gunicorn.pid" ]; then kill "$(cat "$mnt/tmp/gunicorn.pid")" 2>/dev/null || true; fi
  fi
  [ -n "$server" ] && { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
  [ -n "$moto" ] && { kill "$moto" 2>/dev/null || true; }
  [ -n "$ctr" ] && { buildah umount "$ctr" >/dev/null 2>&1 || true; buildah rm "$ctr" >/dev/null 2>&1 || true; }
  [ -n "$pg_dir" ] && pg_destroy "$pg_dir"
  rm -rf "$work"
}
trap cleanup EXIT

# ---- 1. the base image --------------------------------------------------------------------------------------
if [ "${CONTAINER_FRESH_BASE:-}" = "1" ] || ! buildah inspect --type image "$BASE" >/dev/null 2>&1; then
  # The Debian archive this machine's apt already uses (its host is not written here).
  mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null | awk '$2 == "bookworm" {print $1; exit}')
  [ -n "$mirror" ] || { apt-get update -qq; mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' | awk '$2 == "bookworm" {print $1; exit}'); }
  [ -n "$mirror" ] || fail "this machine's apt has no bookworm archive to debootstrap from"
  say "making the bookworm base with debootstrap"
  rootfs="$work/rootfs"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" > "$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log"; fail "debootstrap failed"; }
  # As the official slim image: no documentation, manual pages or translations from later installs, and no
  # package lists or caches in the image.
  cat > "$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'SLIM'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
SLIM
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* \
    "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
    "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/*
  base_ctr=$(buildah from scratch)
  base_mnt=$(buildah mount "$base_ctr")
  tar -C "$rootfs" -c . | tar -C "$base_mnt" -x
  buildah umount "$base_ctr" >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd /bin/bash "$base_ctr"
  buildah commit -q --rm "$base_ctr" "$BASE" >/dev/null
  rm -rf "$rootfs"
fi

# ---- 2. the image -------------------------------------------------------------------------------------------
say "building Containerfile on $BASE"
build_start=$(date +%s)
# This machine's CA bundle, for a network that inspects TLS (used by pip during the build, not kept in the image).
ca=()
[ -s /etc/ssl/certs/ca-certificates.crt ] && ca=(--secret id=ca-certificates,src=/etc/ssl/certs/ca-certificates.crt)
buildah bud --layers --pull=never -q "${ca[@]}" --build-arg BASE_IMAGE="$BASE" -f Containerfile -t "$IMAGE" . \
    > "$work/build.log" 2>&1 \
  || { tail -40 "$work/build.log"; fail "the image did not build"; }
size=$(buildah inspect --type image --format '{{.Size}}' "$IMAGE" 2>/dev/null || true)
[ -n "$size" ] && [ "$size" != "0" ] || size=$(buildah images --noheading --format '{{.Size}}' "$IMAGE" | head -n 1)
say "image $IMAGE built in $(( $(date +%s) - build_start )) s; size: $size"

ctr=$(buildah from --pull-never "$IMAGE")
mnt=$(buildah mount "$ctr")
secret=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
database="postgresql://postgres@127.0.0.1:$PG_PORT/mastery"
in_image() { buildah run "$@"; }
env_ok=(--env "SECRET_KEY=$secret" --env "DATABASE_URL=$database" --env "PORT=$PORT" --env "GUNICORN_WORKERS=2"
        --env "BASE_URL=$URL")

# ---- 3. the image's own checks ------------------------------------------------------------------------------
say "a missing SECRET_KEY or DATABASE_URL stops the server with one line"
for missing in SECRET_KEY DATABASE_URL; do
  args=(--env "PORT=$PORT")
  [ "$missing" = SECRET_KEY ] && args+=(--env "DATABASE_URL=$database")
  [ "$missing" = DATABASE_URL ] && args+=(--env "SECRET_KEY=$secret")
  rc=0; in_image "${args[@]}" "$ctr" -- gunicorn > "$work/all" 2>&1 || rc=$?
  # buildah adds its own two lines about the exit status; the rest is what the container printed.
  grep -v -e '^subprocess exited with status' -e '^Error: exit status' "$work/all" > "$work/out" || true
  lines=$(grep -c . "$work/out" || true)
  [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -q "cannot start: $missing is not set" "$work/out" \
    || { cat "$work/out"; fail "without $missing gunicorn exited $rc with $lines lines"; }
  echo "   without $missing: exit $rc, \"$(cat "$work/out")\""
done
user=$(in_image "$ctr" -- id -un)
[ "$user" = "mastery" ] || fail "the image runs as $user, not the unprivileged user"
leftovers=$(in_image "$ctr" -- sh -c 'for t in gcc cc make pip pip3 strip; do command -v $t; done
  ls /var/lib/apt/lists /var/cache/apt/archives 2>/dev/null | grep -v -e "^partial$" -e "^lock$" -e ":$" -e "^$"
  ls -d /root/.cache 2>/dev/null; true')
[ -z "$leftovers" ] || fail "build leftovers in the image: $leftovers"
echo "   runs as $user; no compiler, pip, package lists or caches"
# The extension modules were stripped at build time: each must still load, and PyAV must still read media.
in_image "$ctr" -- python3 -c "
import io, wave
import av, nh3, psycopg, sqlalchemy.util, yaml, markupsafe
assert psycopg.pq.__impl__ == 'binary' and yaml.CSafeLoader and sqlalchemy.util.has_compiled_ext()
buf = io.BytesIO(); w = wave.open(buf, 'wb'); w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
w.writeframes(bytes(16000)); w.close(); buf.seek(0)
assert abs(av.open(buf).duration / 1e6 - 1.0) < 0.01
import os, boto3
os.environ.update(AWS_ACCESS_KEY_ID='k', AWS_SECRET_ACCESS_KEY='s')
from webapp.storage.s3 import S3Storage
url = S3Storage('b', region='eu-west-1').download_url('a/b', filename='x.pdf', content_type='application/pdf',
                                                      as_attachment=True)
assert 'X-Amz-Signature=' in url, url
boto3.client('sts', region_name='eu-west-1')
" || fail "an extension module of the image does not load or work"
echo "   the compiled modules load (PyAV reads a WAV's duration; psycopg binary; LibYAML; SQLAlchemy's extensions;"
echo "   boto3's S3 and STS clients from the models the image keeps)"

# ---- 4. against PostgreSQL ----------------------------------------------------------------------------------
say "starting a throwaway PostgreSQL on port $PG_PORT"
pg_dir=$(mktemp -d /tmp/mastery-container-pg.XXXXXX)
pg_init "$pg_dir" "$PG_PORT"
runuser -u postgres -- "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres mastery

serve() { in_image "${env_ok[@]}" "$ctr" -- gunicorn --pid /tmp/gunicorn.pid >> "$work/gunicorn.log" 2>&1 & server=$!; }
stop_server() {
  [ -s "$mnt/tmp/gunicorn.pid" ] && kill "$(cat "$mnt/tmp/gunicorn.pid")" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  server=""
  rm -f "$mnt/tmp/gunicorn.pid"
}
wait_for() { python3 scripts/container_smoke.py wait "$URL$1" "$2" "$3" || { tail -30 "$work/gunicorn.log"; fail "$1 never answered $2"; }; }

say "gunicorn before the schema exists"
serve
wait_for /healthz 200 60 >/dev/null
wait_for /readyz 503 5 >/dev/null
echo "   /healthz 200, /readyz 503 (no schema)"
in_image "${env_ok[@]}" "$ctr" -- flask db upgrade > "$work/upgrade.log" 2>&1 || { tail -20 "$work/upgrade.log"; fail "db upgrade"; }
in_image "${env_ok[@]}" "$ctr" -- flask seed --demo > "$work/seed.log" 2>&1 || { tail -20 "$work/seed.log"; fail "seed --demo"; }
wait_for /readyz 200 10 >/dev/null
echo "   after db upgrade and seed --demo: /readyz 200 from the same gunicorn"
pg_down "$pg_dir"
wait_for /readyz 503 15 >/dev/null
pg_up "$pg_dir" "$PG_PORT"
back=$(wait_for /readyz 200 30)
echo "   PostgreSQL stopped: /readyz 503; started again: /readyz 200 after ${back} s, no restart"
stop_server

say "a fresh gunicorn on the migrated database"
serve
first=$(wait_for /readyz 200 60)
echo "   time from starting gunicorn to the first /readyz 200: ${first} s"
python3 scripts/container_smoke.py journey "$URL" | sed 's/^/   /' || { tail -30 "$work/gunicorn.log"; fail "the learner's journey"; }
in_image "${env_ok[@]}" "$ctr" -- flask worker --once > "$work/worker.log" 2>&1 || { tail -20 "$work/worker.log"; fail "flask worker --once"; }
echo "   flask worker --once: done"
stop_server

# With S3 (moto's server from the test extra stands in for the store): /readyz asks the bucket through the boto3
# the image carries, and answers 503 once the store is gone.
if [ -x .venv/bin/moto_server ]; then
  say "S3 storage"
  s3_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  .venv/bin/moto_server -p "$s3_port" > "$work/moto.log" 2>&1 &
  moto=$!
  python3 scripts/container_smoke.py wait "http://127.0.0.1:$s3_port/moto-api/" 200 30 >/dev/null || fail "moto did not start"
  AWS_ACCESS_KEY_ID=k AWS_SECRET_ACCESS_KEY=s .venv/bin/python -c "
import boto3; boto3.client('s3', region_name='us-east-1', endpoint_url='http://127.0.0.1:$s3_port').create_bucket(Bucket='mastery-check')"
  env_s3=(--env STORAGE_BACKEND=s3 --env S3_BUCKET=mastery-check --env S3_REGION=us-east-1
          --env "S3_ENDPOINT_URL=http://127.0.0.1:$s3_port" --env S3_PRESIGNED_URLS=false
          --env AWS_ACCESS_KEY_ID=k --env AWS_SECRET_ACCESS_KEY=s)
  in_image "${env_ok[@]}" "${env_s3[@]}" "$ctr" -- gunicorn --pid /tmp/gunicorn.pid >> "$work/gunicorn.log" 2>&1 &
  server=$!
  wait_for /readyz 200 60 >/dev/null
  kill "$moto"; wait "$moto" 2>/dev/null || true; moto=""
  wait_for /readyz 503 30 >/dev/null
  echo "   STORAGE_BACKEND=s3: /readyz 200 with the bucket there, 503 once the store is gone"
  stop_server
elif [ "${CI:-}" = "true" ]; then
  fail "moto's server is not installed (pip install '.[test]')"
fi

# ---- 5. compose.yaml ----------------------------------------------------------------------------------------
say "compose.yaml against the Compose specification"
checker=.venv/bin/check-jsonschema
[ -x "$checker" ] || checker=$(command -v check-jsonschema || true)
[ -n "$checker" ] || fail "check-jsonschema is not installed (pip install '.[test]')"
"$checker" --builtin-schema vendor.compose-spec compose.yaml

say "passed in $(( $(date +%s) - started )) s (image size $size, first /readyz 200 after ${first} s)"
