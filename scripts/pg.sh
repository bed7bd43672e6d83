#!/usr/bin/env bash
# Starts a private PostgreSQL cluster for the tests on 127.0.0.1:${FACEPRINT_PG_PORT:-55432}
# (data under /var/tmp, where the postgres user can reach it; trust auth on loopback only) and prints its URL.
# Usage: scripts/pg.sh start|stop|url
. "$(dirname "$0")/lib.sh"

port=${FACEPRINT_PG_PORT:-55432}
pgdir=${FACEPRINT_PG_DIR:-/var/tmp/faceprint-pg-$port}
data="$pgdir/data"
url="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

as_pg() {
	if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

case ${1:-start} in
start)
	[ -n "$bin" ] || fp_die "PostgreSQL is not installed (scripts/install-debs.sh test)"
	mkdir -p "$pgdir"
	if [ "$(id -u)" = 0 ]; then chown postgres "$pgdir"; fi
	if [ ! -f "$data/PG_VERSION" ]; then
		as_pg "$bin/initdb -D '$data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
	fi
	if ! as_pg "$bin/pg_ctl -D '$data' status" >/dev/null 2>&1; then
		as_pg "$bin/pg_ctl -D '$data' -l '$pgdir/log' -w -o \"-h 127.0.0.1 -p $port -k /tmp -c fsync=off -c max_connections=200\" start" >/dev/null ||
			fp_die "PostgreSQL did not start; see $pgdir/log"
	fi
	echo "$url"
	;;
stop)
	[ -f "$data/PG_VERSION" ] && as_pg "$bin/pg_ctl -D '$data' -m fast stop" >/dev/null 2>&1 || true
	;;
url) echo "$url" ;;
*) fp_die "usage: scripts/pg.sh start|stop|url" ;;
esac
