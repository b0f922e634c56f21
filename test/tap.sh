#!/bin/sh
# Run the TAP tests (test/t/*.pl) with PostgreSQL's own test modules
# (PostgreSQL::Test::Cluster, from postgresql-server-dev), loading the
# extension from a DESTDIR install.
#   usage: tap.sh ABS_SRCDIR ABS_DESTDIR PG_BINDIR PGXS_DIR
# PostgreSQL refuses to run as root: as root the tests run as an
# unprivileged user (KMERSEARCH_TEST_USER, default postgres).
set -eu
srcdir=$1; destdir=$2; bindir=$3; pgxs=$4
perl_lib=$pgxs/src/test/perl
[ -d "$perl_lib/PostgreSQL/Test" ] || { echo "tap.sh: no PostgreSQL test modules in $perl_lib" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/pg_kmersearch-tap.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
cp -r "$srcdir/test/t" "$work/t"
as_user=
if [ "$(id -u)" = 0 ]; then
  user=${KMERSEARCH_TEST_USER:-postgres}
  chown -R "$user" "$work"
  as_user="runuser -u $user --"
fi
status=0
(cd "$work" && $as_user env PATH="$bindir:$PATH" TESTDIR="$work" PG_REGRESS="$pgxs/src/test/regress/pg_regress" \
  KMERSEARCH_DESTDIR="$destdir" prove -v -I "$perl_lib" -I t t/*.pl) || status=$?
if [ $status -ne 0 ] && [ -d "$work/tmp_check/log" ]; then
  tail -n 50 "$work"/tmp_check/log/*.log >&2 || true
fi
exit $status
