#!/bin/sh
# Run the TAP tests (test/t/*.pl) with PostgreSQL's own test modules
# (PostgreSQL::Test::Cluster, from postgresql-server-dev), loading the
# extension from a DESTDIR install.
#   usage: tap.sh ABS_SRCDIR ABS_DESTDIR PG_CONFIG
# PostgreSQL refuses to run as root: as root the tests run as an
# unprivileged user (KMERSEARCH_TEST_USER, default postgres), in a
# directory of their own (the checkout may be where that user cannot read).
set -eu
srcdir=$1; destdir=$2; pg_config=$3
bindir=$("$pg_config" --bindir)
pgxs=$("$pg_config" --pgxs | sed "s|/src/makefiles/pgxs.mk$||")
perl_lib=$pgxs/src/test/perl
[ -d "$perl_lib/PostgreSQL/Test" ] || { echo "tap.sh: no PostgreSQL test modules in $perl_lib" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/pg_kmersearch-tap.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
cp -r "$srcdir/test/t" "$work/t"
conf=$(PG_CONFIG=$pg_config sh "$srcdir/test/destdir_settings.sh" "$destdir")
as_user=
if [ "$(id -u)" = 0 ]; then
  user=${KMERSEARCH_TEST_USER:-postgres}
  chown -R "$user" "$work"
  as_user="runuser -u $user --"
fi
status=0
(cd "$work" && $as_user env PATH="$bindir:$PATH" TESTDIR="$work" PG_REGRESS="$pgxs/src/test/regress/pg_regress" \
  KMERSEARCH_DESTDIR_CONF="$conf" prove -v -I "$perl_lib" -I t t/*.pl) || status=$?
# the servers' logs: tmp_check/log on 15, log on 17 and 18
if [ $status -ne 0 ]; then
  for d in "$work/tmp_check/log" "$work/log"; do
    [ -d "$d" ] && tail -n 50 "$d"/*.log >&2 || true
  done
fi
exit $status
