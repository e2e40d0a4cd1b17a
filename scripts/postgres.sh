#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests.
#   postgres.sh start DIR   initialise and start a server in DIR; print its SQLAlchemy URL
#   postgres.sh stop DIR
# initdb and pg_ctl refuse to run as root, so as root they run as the postgres user.
set -euo pipefail
action=$1 dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "PostgreSQL server binaries not found" >&2; exit 1; }
if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); owner=postgres; else as=(); owner=$(id -un); fi

case "$action" in
  start)
    chown "$owner" "$dir"
    "${as[@]}" "$bin/initdb" -D "$dir/data" -U evalapp --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$dir/initdb.log" 2>&1
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
      "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null
    echo "postgresql+psycopg://evalapp@127.0.0.1:$port/postgres"
    ;;
  stop)
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null
    ;;
esac
