#!/bin/sh
# Run the pg_regress suite on a temporary instance, for "make check".
#   usage: regress.sh ABS_SRCDIR ABS_BUILDDIR TEST...
# Environment (set by the Makefile): PG_REGRESS, PG_BINDIR, PG_MAJORVERSION,
# PG_PKGLIBDIR, PG_SHAREDIR.  The module and extension files must already be
# installed under ABS_BUILDDIR/tmp_install (make install DESTDIR=...).
#
# As an ordinary user this is pg_regress --temp-instance.  PostgreSQL refuses
# to run as root, so as root the temporary instance is started as an
# unprivileged user (KMERSEARCH_TEST_USER, default postgres, else nobody) in
# a private directory, and pg_regress talks to it over a private socket.
set -eu
srcdir=$1; builddir=$2; shift 2
tmp_install=$builddir/tmp_install

# Settings that make the server find the extension in tmp_install.
server_settings() {
  sh "$srcdir/test/destdir_settings.sh" "$1"
  echo "max_parallel_workers_per_gather = 2"
  echo "lc_messages = 'C'"
}

# Under test/sanitize.sh the server runs with extra environment
# (KMERSEARCH_SERVER_ENV: NAME=VALUE words, e.g. a sanitizer runtime in
# LD_PRELOAD) or under a wrapper that pg_ctl starts instead of postgres
# (KMERSEARCH_SERVER_WRAPPER, e.g. valgrind); pg_regress --temp-instance
# can do neither, so such runs take the explicit path below.
server_env=${KMERSEARCH_SERVER_ENV:-}
server_wrapper=${KMERSEARCH_SERVER_WRAPPER:-}

if [ "$(id -u)" != 0 ] && [ -z "$server_env$server_wrapper" ]; then
  server_settings "$tmp_install" > "$builddir/tmp_check.conf"
  exec "$PG_REGRESS" --temp-instance="$builddir/tmp_check" --temp-config="$builddir/tmp_check.conf" \
    --inputdir="$srcdir" --outputdir="$builddir" --bindir="$PG_BINDIR" \
    --encoding=UTF8 --no-locale --dbname=contrib_regression "$@"
fi

if [ "$(id -u)" = 0 ]; then
  user=${KMERSEARCH_TEST_USER:-}
  if [ -z "$user" ]; then
    if id postgres >/dev/null 2>&1; then user=postgres; else user=nobody; fi
  fi
  as_user() { runuser -u "$user" -- "$@"; }
else
  user=$(id -un)
  as_user() { "$@"; }
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/pg_kmersearch-check.XXXXXX")
chown "$user" "$work"
cleanup() {
  if [ -f "$work/data/postmaster.pid" ]; then
    as_user "$PG_BINDIR/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
cp -a "$tmp_install" "$work/install"
mkdir "$work/sock"
chown -R "$user" "$work/sock"
as_user "$PG_BINDIR/initdb" -D "$work/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$work/initdb.log" 2>&1 \
  || { cat "$work/initdb.log"; exit 1; }
{
  server_settings "$work/install"
  echo "listen_addresses = ''"
  echo "unix_socket_directories = '$work/sock'"
  echo "port = 5432"
  echo "fsync = off"
} >> "$work/data/postgresql.conf"
# shellcheck disable=SC2086
as_user env $server_env PGCTLTIMEOUT=600 "$PG_BINDIR/pg_ctl" -D "$work/data" -l "$work/server.log" \
  ${server_wrapper:+-p "$server_wrapper"} -w start >/dev/null \
  || { cat "$work/server.log"; exit 1; }
status=0
"$PG_REGRESS" --inputdir="$srcdir" --outputdir="$builddir" --bindir="$PG_BINDIR" \
  --host="$work/sock" --port=5432 --user=postgres --encoding=UTF8 --no-locale \
  --dbname=contrib_regression "$@" || status=$?
cp "$work/server.log" "$builddir/log-server.log" 2>/dev/null || true
# parallel work (the high-frequency analysis, parallel scans with =%) must
# leave no dynamic shared memory behind and no broken parallel operation
if grep -E 'dynamic shared memory leak|leaked dynamic shared memory|parallel operation|terminated by signal|temporary file leak' "$work/server.log"; then
  echo "regress.sh: the server log above has warnings of leaked or broken parallel work" >&2
  status=1
fi
exit $status
