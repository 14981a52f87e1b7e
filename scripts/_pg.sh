# Shared by .ci/run and scripts/container-check.sh: a throwaway PostgreSQL cluster, trusted on loopback only.
# Usage: . scripts/_pg.sh; pg_init DIR PORT; pg_up DIR PORT; pg_down DIR; pg_destroy DIR
# PG_BIN is the newest installed server's bin folder (empty when no server is installed).
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)

pg_up() {    # DIR PORT: start the cluster in DIR (made by pg_init) on 127.0.0.1:PORT
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$1/data" -l "$1/log" -w -o "-p $2 -k $1 -c listen_addresses=127.0.0.1 \
-c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
}

pg_init() {  # DIR PORT: a new cluster in DIR (an empty folder), started
  chown postgres: "$1"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$1/data" -U postgres --auth=trust -E UTF8 >/dev/null
  pg_up "$1" "$2"
}

pg_down() {  # DIR: stop at once (a throwaway cluster needs no clean shutdown)
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$1/data" -m immediate stop >/dev/null 2>&1 || true
}

pg_destroy() {  # DIR: stop and remove
  pg_down "$1"
  rm -rf "$1"
}
