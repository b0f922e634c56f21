#!/usr/bin/env bash
# Build pg_kmersearch and run its whole test suite.
#
#   bash tools/test.sh
#
# As root it first installs what is missing from Debian's packages; the
# PostgreSQL servers it starts run as an unprivileged user.  Steps:
#   1. a VPATH build (with -Werror under CI=true);
#   2. make check: the codec kernel test (every SIMD kernel against the
#      scalar one) and the regression suite on a temporary instance, without
#      installing anything into the system; then test/codec_cross_check.sh
#      (the kernels under sanitizers, and the arm64 NEON kernels under qemu);
#   2b. the libFuzzer targets (test/fuzz) on their corpus and briefly; the
#      suite with the module under ASan + UBSan, and part of it under
#      valgrind (test/sanitize.sh);
#   3. make installcheck: the same suite against a running server (a
#      throwaway cluster that loads the extension from a DESTDIR install),
#      and the TAP tests (test/t/*.pl, PostgreSQL::Test::Cluster) on that
#      install: the analysis's parallel workers and cancels;
#   4. make distcheck: the release tarball builds, passes make check,
#      installs and uninstalls cleanly;
#   5. as root, the packages from that tarball: dpkg-buildpackage (which runs
#      the suite against the files it installs), lintian without errors,
#      dpkg -i and the suite against the installed package (then dpkg -r),
#      and make rpm with a check of the RPM's file list.
# On failure the regression differences are printed.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ks_need_build_deps

builddir=$KS_TOP/build-test
rm -rf "$builddir"
configure_args=()
[ "${CI:-}" = true ] && configure_args+=(--enable-werror)

log=$builddir/test.log
mkdir -p "$builddir"
: > "$log"
# counts over every run, for the closing line: pg_regress tests, automake
# test programs (PASS:/FAIL:) and codec_cross_check.sh runs (PASS/FAIL)
tally() {
  awk '/^(test|ok) .* ok / { p++ } /^(test|not ok) .* FAILED/ { f++ }
       /^ok [0-9]+ - / { p++ } /^not ok [0-9]+ - / { f++ }
       /^PASS:? / { p++ } /^(FAIL|ERROR):? / { f++ }
       END { printf "%d passed, %d failed\n", p, f }' "$log"
}

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
  # never leave the package installed
  if [ -n "${KS_INSTALLED_DEB:-}" ]; then dpkg -r "$KS_INSTALLED_DEB" >/dev/null 2>&1 || true; fi
  if [ -n "${pkgdir:-}" ]; then rm -rf "$pkgdir"; fi
  if [ $status -ne 0 ]; then
    show_diffs
    printf '\ntools/test.sh: FAILED (exit %d)\n' "$status"
    printf 'tests: %s\n' "$(tally)"
  fi
  exit $status
}
trap finish EXIT

ks_build "$builddir" "${configure_args[@]}"

ks_say "make check"
make -C "$builddir" check 2>&1 | tee -a "$log"

ks_say "codec kernels: sanitizers, and NEON under qemu (test/codec_cross_check.sh)"
if ks_is_root && [ "$(uname -m)" != aarch64 ]; then
  ks_need_packages gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
fi
sh "$KS_TOP/test/codec_cross_check.sh" -q 2>&1 | tee -a "$log"

# Fuzzing: the committed corpus (every input found so far, crashers
# included), then a short run of each target; test/README.md has the full run.
ks_say "fuzz targets (test/fuzz): the committed corpus, then ${KMERSEARCH_FUZZ_RUNS:=200000} executions each"
ks_need_packages clang libclang-rt-14-dev
PG_CONFIG=$KS_PG_CONFIG sh "$KS_TOP/test/fuzz/build.sh" "$builddir/fuzz" 2>&1 | tee -a "$log"
sh "$KS_TOP/test/fuzz/run.sh" "$builddir/fuzz" 0 2>&1 | tee -a "$log"
sh "$KS_TOP/test/fuzz/run.sh" "$builddir/fuzz" "$KMERSEARCH_FUZZ_RUNS" 2>&1 | tee -a "$log"

# The regression suite with the module under ASan + UBSan, and (reduced to
# what fits CI's time) with the server under valgrind.
ks_say "regression suite, module under AddressSanitizer + UBSan (test/sanitize.sh asan)"
PG_CONFIG=$KS_PG_CONFIG sh "$KS_TOP/test/sanitize.sh" asan "$builddir/asan" 2>&1 | tee -a "$log"
ks_say "regression suite under valgrind, reduced (test/sanitize.sh valgrind)"
ks_need_packages valgrind
PG_CONFIG=$KS_PG_CONFIG sh "$KS_TOP/test/sanitize.sh" valgrind "$builddir/valgrind" \
  setup dna_input dna_functions dna_binary dna_large kmer_search security 2>&1 | tee -a "$log"

ks_say "make installcheck (throwaway cluster, DESTDIR install)"
cluster=$(ks_cluster_dir "$builddir/installcheck")
make -C "$builddir" install DESTDIR="$cluster/install" >/dev/null
ks_start_cluster "$cluster" "$cluster/install"
make -C "$builddir" installcheck PGHOST="$KS_PGHOST" PGPORT="$KS_PGPORT" PGUSER=postgres 2>&1 | tee -a "$log"

# The SIMD level the module chose must be the best this CPU offers (the
# regression tests only show that every level gives the same results).
case $(uname -m) in
  aarch64) want=NEON ;;
  x86_64)
    flags=$(grep -m1 '^flags' /proc/cpuinfo)
    if [[ " $flags " == *" avx512f "* && " $flags " == *" avx512bw "* && " $flags " == *" avx2 "* ]]; then
      want=AVX512BW
    elif [[ " $flags " == *" avx2 "* ]]; then
      want=AVX2
    else
      want=None
    fi ;;
  *) want=None ;;
esac
got=$(ks_psql -d contrib_regression -Atc 'SELECT kmersearch_simd_capability()')
if [ "$got" = "$want" ]; then
  echo "PASS  SIMD dispatch: $got" | tee -a "$log"
else
  echo "FAIL  SIMD dispatch: the module uses $got, the CPU offers $want" | tee -a "$log"
  exit 1
fi
ks_stop_cluster

ks_say "TAP tests (test/t, PostgreSQL::Test::Cluster)"
ks_need_packages libipc-run-perl
sh "$KS_TOP/test/tap.sh" "$KS_TOP" "$cluster/install" "$KS_PG_BINDIR" "$("$KS_PG_CONFIG" --pgxs | sed 's|/src/makefiles/pgxs.mk$||')" 2>&1 | tee -a "$log"

ks_say "make distcheck"
make -C "$builddir" distcheck 2>&1 | tee -a "$log"

# The packages, from the release tarball distcheck made: the .deb (its build
# runs the suite against the files it installs), lintian, the suite again
# against the installed package, and the RPM's file list.
tarball=$(ls "$builddir"/pg_kmersearch-*.tar.gz | head -n 1)
if ks_is_root; then
  ks_say "Debian package from $(basename "$tarball"): dpkg-buildpackage, lintian, dpkg -i, installcheck"
  ks_need_packages debhelper lintian postgresql-all fakeroot
  pkgdir=$(mktemp -d "${TMPDIR:-/tmp}/pg_kmersearch-deb.XXXXXX")
  # the build's test cluster runs as an unprivileged user and reads the
  # extension from the package directory inside this one
  chmod 755 "$pkgdir"
  tar -xzf "$tarball" -C "$pkgdir"
  (cd "$pkgdir"/pg_kmersearch-*/ && dpkg-buildpackage -us -uc -b) 2>&1 | tee -a "$log"
  lintian --fail-on error --tag-display-limit 0 "$pkgdir"/*.changes 2>&1 \
    | { grep -v 'running with root privileges' || true; } | tee -a "$log"
  echo "PASS  lintian: no errors" | tee -a "$log"
  deb=$(ls "$pkgdir"/postgresql-"$KS_PG_MAJOR"-pg-kmersearch_*.deb)
  KS_INSTALLED_DEB=postgresql-$KS_PG_MAJOR-pg-kmersearch
  dpkg -i "$deb" >/dev/null
  # the package's own installed-package test (what autopkgtest runs)
  (cd "$pkgdir"/pg_kmersearch-*/ && sh debian/tests/installcheck) 2>&1 | tee -a "$log"
  dpkg -r "$KS_INSTALLED_DEB" >/dev/null
  KS_INSTALLED_DEB=
  rm -rf "$pkgdir"
  pkgdir=

  ks_say "RPM (make rpm), and its files"
  ks_need_packages rpm
  make -C "$builddir" rpm 2>&1 | tee -a "$log"
  rpmfile=$(ls "$builddir"/pg_kmersearch_"$KS_PG_MAJOR"-*.rpm | head -n 1)
  files=$(rpm -qlp "$rpmfile" 2>/dev/null)
  instdir=$(dirname "$("$KS_PG_CONFIG" --bindir)")
  for f in "$instdir/lib/pg_kmersearch.so" "$instdir/share/extension/pg_kmersearch.control" \
           "$instdir/share/extension/pg_kmersearch--1.0.sql" "$instdir/doc/extension/pg_kmersearch.en.md" \
           LICENSE README.md pg_kmersearch.ja.md; do
    if printf '%s\n' "$files" | grep -q -- "$f\$"; then
      echo "PASS  rpm $(basename "$rpmfile") has $f" | tee -a "$log"
    else
      echo "FAIL  rpm $(basename "$rpmfile") lacks $f" | tee -a "$log"
      exit 1
    fi
  done
else
  echo "(packages are built and installed only as root)"
fi

ks_say "all tests passed"
printf 'tests: %s\n' "$(tally)"
