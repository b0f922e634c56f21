#!/usr/bin/env bash
# Build pg_kmersearch and run its whole test suite.
#
#   bash tools/test.sh
#
# As root it first installs what is missing from Debian's packages; the
# PostgreSQL servers it starts run as an unprivileged user.  Steps:
#   1. a VPATH build (with -Werror under CI=true);
#   2. make check: the regression suite on a temporary instance, without
#      installing anything into the system;
#   3. make installcheck: the same suite against a running server (a
#      throwaway cluster that loads the extension from a DESTDIR install);
#   4. make distcheck: the release tarball builds, passes make check,
#      installs and uninstalls cleanly.
# On failure the regression differences are printed.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ks_need_build_deps

builddir=$KS_TOP/build-test
rm -rf "$builddir"
configure_args=()
[ "${CI:-}" = true ] && configure_args+=(--enable-werror)

show_diffs() {
  local f
  for f in $(find "$builddir" -name regression.diffs 2>/dev/null); do
    printf '\n==== %s\n' "$f"
    cat "$f"
  done
}
finish() {
  local status=$?
  ks_stop_cluster
  if [ $status -ne 0 ]; then
    show_diffs
    printf '\ntools/test.sh: FAILED (exit %d)\n' "$status"
    printf 'regression tests: %s\n' "$(tally)"
  fi
  exit $status
}
trap finish EXIT

log=$builddir/test.log
mkdir -p "$builddir"
: > "$log"
# counts of pg_regress results over every run, for the closing line
tally() {
  printf '%s passed, %s failed\n' "$(grep -cE '^(test|ok) .* ok ' "$log" || true)" \
    "$(grep -cE '^(test|not ok) .* FAILED' "$log" || true)"
}

ks_build "$builddir" "${configure_args[@]}"

ks_say "make check"
make -C "$builddir" check 2>&1 | tee -a "$log"

ks_say "make installcheck (throwaway cluster, DESTDIR install)"
cluster=$(ks_cluster_dir "$builddir/installcheck")
make -C "$builddir" install DESTDIR="$cluster/install" >/dev/null
ks_start_cluster "$cluster" "$cluster/install"
make -C "$builddir" installcheck PGHOST="$KS_PGHOST" PGPORT="$KS_PGPORT" PGUSER=postgres 2>&1 | tee -a "$log"
ks_stop_cluster

ks_say "make distcheck"
make -C "$builddir" distcheck 2>&1 | tee -a "$log"

ks_say "all tests passed"
printf 'regression tests: %s\n' "$(tally)"
