#!/usr/bin/env bash
# Build pg_kmersearch and run its whole test suite on the PostgreSQL versions
# users run.
#
#   bash tools/test.sh                the matrix below (chroots need root)
#   bash tools/test.sh --here [STAGE...]
#                                     stages on this machine's PostgreSQL only
#                                     (default: every stage but deb)
#
# The matrix (KMERSEARCH_MATRIX picks a part, e.g. "here pg17"):
#   here       this machine (Debian 12, PostgreSQL 15): every stage but deb
#   pg15       a minimal Debian 12 chroot: the .deb (stage deb)
#   pg17       Debian 13 chroot, PostgreSQL 17: build, check, installcheck,
#              tap, fuzzcorpus, deb, rpm
#   pg18       Debian unstable chroot, PostgreSQL 18: the same
#   pg15-i386  Debian 12 i386 chroot (32-bit): build, check, installcheck
# The chroots are made with debootstrap from Debian's package registry by
# tools/chroot.sh and kept in /var/cache/pg_kmersearch/chroots for the next
# run; the checkout is copied into each as /root/pg_kmersearch, where this
# script runs again with --here.  Without root only "here" runs.
#
# Stages (--here):
#   build        a VPATH build with -Werror
#   check        make check: the codec kernel test (every SIMD kernel against
#                the scalar one) and the regression suite on a temporary
#                instance, nothing installed into the system
#   crosscheck   test/codec_cross_check.sh: the kernels under sanitizers, and
#                the arm64 NEON kernels under qemu
#   fuzz         the libFuzzer targets (test/fuzz) on their corpus and briefly
#   fuzzcorpus   the same on their corpus only
#   asan         the suite with the module under ASan + UBSan
#   valgrind     part of the suite with the server under valgrind
#   installcheck make installcheck against a throwaway cluster loading the
#                extension from a DESTDIR install; the SIMD level chosen
#   upgrade      1.0.0 (built from its commit) installed in a throwaway
#                cluster, a database made with it, then this build installed
#                over it and ALTER EXTENSION pg_kmersearch UPDATE: the same
#                search answers, the objects of a new installation, and the
#                indexes 1.0 did not record named for REINDEX (test/upgrade)
#   tap          the TAP tests (test/t/*.pl, PostgreSQL::Test::Cluster)
#   distcheck    make distcheck: the release tarball builds, passes make
#                check, installs and uninstalls cleanly
#   deb          (root) the .deb from the release tarball: its build
#                dependencies (apt-get build-dep), dpkg-buildpackage (which
#                runs the suite against the files it installs), lintian,
#                dpkg -i, debian/tests/installcheck, dpkg -r.  It installs a
#                package, so it runs only in the matrix's chroots.
#   rpm          make rpm and a check of the RPM's file list
#
# As root it installs what is missing from Debian's packages and says what;
# the servers it starts run as an unprivileged user.  It never installs the
# extension into this machine's PostgreSQL.  Every stage runs even when one
# before it failed (but for those that need a build); the closing line
# "tests: N passed, M failed" counts every test of every version, and a
# stage that failed without a failing test counts as one failure.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HERE_STAGES="build check crosscheck fuzz asan valgrind installcheck upgrade tap distcheck rpm"
ALL_STAGES="$HERE_STAGES fuzzcorpus deb"

# chroot_stages NAME: what the matrix runs in chroot NAME
chroot_stages() {
  case $1 in
    pg15) echo "build deb" ;;
    pg17|pg18) echo "build check installcheck tap fuzzcorpus deb rpm" ;;
    pg15-i386) echo "build check installcheck" ;;
  esac
}

builddir=$KS_TOP/build-test
log=$builddir/test.log

# tally FILE: the closing line's counts: pg_regress tests (15's "test x
# ... ok" and 16+'s "ok 1   - x" styles), TAP and automake results, and the
# PASS/FAIL lines of this script and of test/codec_cross_check.sh
tally() {
  awk '/^test .* ok / { p++ } /^test .* FAILED/ { f++ }
       /^ok [0-9]+ +- / { p++ } /^not ok [0-9]+ +- / { f++ }
       /^PASS:? / { p++ } /^(FAIL|ERROR):? / { f++ }
       END { printf "%d passed, %d failed\n", p, f }' "$@"
}
failures_in() { tally "$1" | sed 's/.* passed, \([0-9]*\) failed/\1/'; }

# run_step NAME CMD...: CMD with its output on the terminal and in the log.
# A step that fails without a failing test of its own is one failure.
failed_steps=()
run_step() {
  local name=$1 seg status start=$SECONDS
  shift
  seg=$(mktemp "${TMPDIR:-/tmp}/pg_kmersearch-step.XXXXXX")
  ks_say "$name"
  "$@" 2>&1 | tee "$seg"
  status=${PIPESTATUS[0]}
  cat "$seg" >> "$log"
  if [ "$status" -ne 0 ]; then
    failed_steps+=("$name")
    if [ "$(failures_in "$seg")" = 0 ]; then
      echo "FAIL: $name (exit $status)" | tee -a "$log"
    fi
  fi
  rm -f "$seg"
  printf '(%s: %d s)\n' "$name" $((SECONDS - start))
  return "$status"
}

show_diffs() {
  local f
  for f in $(find "$builddir" -name regression.diffs 2>/dev/null); do
    printf '\n==== %s\n' "$f"
    cat "$f"
  done
}

# ---- the stages on this machine's PostgreSQL ----

# install_deps STAGE...: the build dependencies and what those stages need
install_deps() {
  local s
  ks_need_build_deps
  for s in "$@"; do stage_deps "$s"; done
}

stage_deps() {
  case $1 in
    crosscheck) [ "$(uname -m)" = aarch64 ] || ks_need_packages gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user ;;
    fuzz|fuzzcorpus) ks_need_packages clang libclang-rt-dev ;;
    valgrind) ks_need_packages valgrind ;;
    tap) ks_need_packages libipc-run-perl vsearch ;;
    deb)
      ks_need_packages dpkg-dev lintian
      # what debian/control asks for (build-essential included)
      ks_say "build dependencies of the package (apt-get build-dep)"
      DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -qq -o DPkg::Lock::Timeout=600 "$KS_TOP" >/dev/null \
        || ks_die "apt-get build-dep failed" ;;
    rpm) ks_need_packages rpm ;;
  esac
}

# (warnings are errors: the build must be clean on every version)
do_build() { ks_build "$builddir" --enable-werror; }

do_check() { make -C "$builddir" check; }
do_crosscheck() { sh "$KS_TOP/test/codec_cross_check.sh" -q; }

# Fuzzing: the committed corpus (every input found so far, crashers
# included), then a short run of each target; test/README.md has the full run.
# fuzzcorpus alone: the targets built against this PostgreSQL's headers, on
# their committed corpus (the other versions of the matrix)
do_fuzzcorpus() {
  PG_CONFIG=$KS_PG_CONFIG sh "$KS_TOP/test/fuzz/build.sh" "$builddir/fuzz" \
    && sh "$KS_TOP/test/fuzz/run.sh" "$builddir/fuzz" 0
}

do_fuzz() {
  echo "the committed corpus, then ${KMERSEARCH_FUZZ_RUNS:=200000} executions each"
  do_fuzzcorpus && sh "$KS_TOP/test/fuzz/run.sh" "$builddir/fuzz" "$KMERSEARCH_FUZZ_RUNS"
}

do_asan() { PG_CONFIG=$KS_PG_CONFIG sh "$KS_TOP/test/sanitize.sh" asan "$builddir/asan"; }

# (reduced to what fits CI's time; test/README.md has the full run)
do_valgrind() {
  PG_CONFIG=$KS_PG_CONFIG sh "$KS_TOP/test/sanitize.sh" valgrind "$builddir/valgrind" \
    setup dna_input dna_functions dna_binary dna_large kmer_search align index_options security
}

do_installcheck() {
  local cluster want got flags status=0
  cluster=$(ks_cluster_dir "$builddir/installcheck" fresh)
  make -C "$builddir" install DESTDIR="$cluster/install" >/dev/null || return 1
  # (this runs in a subshell: the --here run stops what it finds recorded)
  echo "$cluster" > "$builddir/running-cluster"
  ks_start_cluster "$cluster" "$cluster/install" || return 1
  make -C "$builddir" installcheck PGHOST="$KS_PGHOST" PGPORT="$KS_PGPORT" PGUSER=postgres || status=1
  # The SIMD level the module chose must be the best this CPU offers (the
  # regression tests only show that every level gives the same results).
  # On x86 the compiler's own CPU check says what that is; it runs where
  # the module runs (under qemu too, whose emulated CPU is then the one).
  case $(uname -m) in
    aarch64) want=NEON ;;
    x86_64|i?86)
      printf '%s\n' '#include <stdio.h>' 'int main(void) {' \
        '  __builtin_cpu_init();' \
        '  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx2"))' \
        '    puts("AVX512BW");' \
        '  else puts(__builtin_cpu_supports("avx2") ? "AVX2" : "None");' \
        '  return 0;' '}' > "$builddir/cpu_level.c"
      gcc -o "$builddir/cpu_level" "$builddir/cpu_level.c" && want=$("$builddir/cpu_level") || want=unknown ;;
    *) want=None ;;
  esac
  got=$(ks_psql -d contrib_regression -Atc 'SELECT kmersearch_simd_capability()')
  if [ "$got" = "$want" ]; then
    echo "PASS  SIMD dispatch: $got"
  else
    echo "FAIL  SIMD dispatch: the module uses $got, the CPU offers $want"
    status=1
  fi
  ks_stop_cluster
  rm -f "$builddir/running-cluster"
  return $status
}

do_tap() {
  local destdir
  destdir=$(ks_cluster_dir "$builddir/tap-install" fresh)
  make -C "$builddir" install DESTDIR="$destdir" >/dev/null || return 1
  sh "$KS_TOP/test/tap.sh" "$KS_TOP" "$destdir" "$KS_PG_CONFIG"
}

do_distcheck() { make -C "$builddir" distcheck; }

# the release tarball: distcheck's, or make dist's
tarball() {
  ls "$builddir"/pg_kmersearch-*.tar.gz 2>/dev/null | head -n 1 | grep . && return 0
  make -C "$builddir" dist >/dev/null && ls "$builddir"/pg_kmersearch-*.tar.gz | head -n 1
}

# The .deb from the release tarball, with what a packager runs.  It installs
# and removes the package, so it runs only in a chroot of tools/chroot.sh
# (marked by /.pg_kmersearch-chroot).
do_deb() {
  local tb pkgdir src debs pkg status=0
  ks_is_root || { echo "the package stage needs root"; return 1; }
  if [ ! -f /.pg_kmersearch-chroot ]; then
    echo "the package stage installs and removes the package: it runs only in the"
    echo "matrix's chroots (bash tools/test.sh as root), never on this machine's PostgreSQL"
    return 1
  fi
  tb=$(tarball) || return 1
  pkgdir=$(mktemp -d "${TMPDIR:-/tmp}/pg_kmersearch-deb.XXXXXX")
  # the build's test cluster runs as an unprivileged user and reads the
  # extension from the package directory inside this one
  chmod 755 "$pkgdir"
  tar -xzf "$tb" -C "$pkgdir"
  src=$(ls -d "$pkgdir"/pg_kmersearch-*/)
  # The build runs the suite against the files it installs, unless this run
  # has run it already (stage check) on the same PostgreSQL: then the suite
  # runs once, by debian/tests against the installed package.
  local opts=${DEB_BUILD_OPTIONS:-}
  case " $run_stages " in
    *" check "*) opts="$opts nocheck"; echo "(the build's own run of the suite is left out: stage check ran it)" ;;
  esac
  (cd "$src" && DEB_BUILD_OPTIONS=$opts dpkg-buildpackage -us -uc -b) || status=1
  if [ $status = 0 ]; then
    lintian --fail-on error --tag-display-limit 0 "$pkgdir"/*.changes 2>&1 \
      | grep -v 'running with root privileges'
    if [ "${PIPESTATUS[0]}" = 0 ]; then echo "PASS  lintian: no errors"; else echo "FAIL  lintian"; status=1; fi
  fi
  debs=$(ls "$pkgdir"/postgresql-*-pg-kmersearch_*.deb 2>/dev/null)
  if [ $status = 0 ] && [ -n "$debs" ]; then
    echo "packages: $(basename -a $debs | tr '\n' ' ')"
    # shellcheck disable=SC2086
    dpkg -i $debs >/dev/null || status=1
    # the package's own installed-package test (what autopkgtest runs)
    (cd "$src" && sh debian/tests/installcheck) || status=1
    for pkg in $debs; do
      dpkg -r "$(dpkg-deb -f "$pkg" Package)" >/dev/null || status=1
    done
  elif [ $status = 0 ]; then
    echo "FAIL  dpkg-buildpackage made no package"; status=1
  fi
  rm -rf "$pkgdir"
  return $status
}

# The last commit of 1.0.0 (tagged v1.0.0): every clone of this repository has it.
KS_V1_0_0=2984a97

# check NAME COMMAND...: a PASS or FAIL line for a test of the upgrade stage
upgrade_check() {
  local name=$1; shift
  if "$@"; then echo "PASS  upgrade: $name"; else echo "FAIL  upgrade: $name"; return 1; fi
}

do_upgrade() {
  local work cluster old status=0 fresh
  work=$(ks_cluster_dir "$builddir/upgrade" fresh)
  old=$work/old-src
  mkdir -p "$old"
  git -C "$KS_TOP" archive "$KS_V1_0_0" | tar -xf - -C "$old" || { echo "FAIL  upgrade: 1.0.0 ($KS_V1_0_0) not in this repository"; return 1; }
  ks_say "build 1.0.0 ($KS_V1_0_0)"
  (cd "$old" && autoreconf -fi >/dev/null 2>&1 && ./configure --with-pgconfig="$KS_PG_CONFIG" >configure.out 2>&1 \
     && make -j"$(nproc)" >make.out 2>&1 && make install DESTDIR="$work/install" >/dev/null) \
    || { tail -n 30 "$old"/configure.out "$old"/make.out 2>/dev/null; echo "FAIL  upgrade: 1.0.0 does not build"; return 1; }
  chmod -R a+rX "$work/install"
  cp "$KS_TOP"/test/upgrade/*.sql "$work/" && chmod a+r "$work"/*.sql
  echo "$work" > "$builddir/running-cluster"
  ks_start_cluster "$work" "$work/install" || return 1
  ks_psql -d postgres -qc 'CREATE DATABASE up' && ks_psql -d up -qAt -f "$work/setup.sql" >/dev/null \
    && ks_psql -d up -qAt -f "$work/answers.sql" > "$work/answers-1.0" || status=1
  ks_stop_cluster

  ks_say "install this build over 1.0.0 and update"
  make -C "$builddir" install DESTDIR="$work/install" >/dev/null || return 1
  chmod -R a+rX "$work/install"
  ks_start_cluster "$work" "$work/install" || return 1
  # answers with the new module before the update, and DDL on the table of
  # the unrecorded index (which must not hide it from the update); then the update
  ks_psql -d up -qAt -f "$work/answers.sql" > "$work/answers-module" || status=1
  ks_psql -d up -qc 'ALTER TABLE s.ref2 ADD COLUMN note text' || status=1
  ks_psql -d up -qAt -c 'ALTER EXTENSION pg_kmersearch UPDATE' > "$work/update.out" 2>&1 || status=1
  cat "$work/update.out"
  ks_psql -d up -qAt -f "$work/answers.sql" > "$work/answers-updated" || status=1
  upgrade_check "the searches ran ($(wc -l < "$work/answers-1.0") checksums)" test "$(wc -l < "$work/answers-1.0")" = 8 || status=1
  upgrade_check "1.0 searches give the same answers with the 1.2 module, before the update" \
    cmp -s "$work/answers-1.0" "$work/answers-module" || status=1
  upgrade_check "and after it" cmp -s "$work/answers-1.0" "$work/answers-updated" || status=1
  upgrade_check "the update gives the 1.0 index without exclusion highfreq_source=''" \
    test "$(ks_psql -d up -qAt -c "SELECT strpos(pg_get_indexdef('s.ref_plain'::regclass), 'highfreq_source=''''') > 0")" = t || status=1
  upgrade_check "the update names the index 1.0 did not record, with the REINDEX that rebuilds it" \
    grep -q 'HINT:  Run REINDEX INDEX s.ref2_unrecorded to rebuild it' "$work/update.out" || status=1
  upgrade_check "and no other" test "$(grep -c '^WARNING' "$work/update.out")" = 1 || status=1
  upgrade_check "that index is not used until it is rebuilt" \
    test "$(ks_psql -d up -qAt -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 's.ref2_unrecorded'::regclass")" = f || status=1
  ks_psql -d up -qAt -c 'REINDEX INDEX s.ref2_unrecorded' || status=1
  fresh=$(ks_psql -d up -qAt -c "SET enable_seqscan = off; DROP INDEX s.ref2_k12;
      SET kmersearch.min_shared_ngram_key_rate = 0.5;
      SELECT indisvalid || ' ' || (SELECT string_agg(id::text, ',' ORDER BY id) FROM s.ref2
                                    WHERE seq =% (SELECT substr(seq::text, 1, 80) FROM s.ref2 WHERE id = 77))
        FROM pg_index WHERE indexrelid = 's.ref2_unrecorded'::regclass" | tail -n 1)
  upgrade_check "after REINDEX it is valid and answers with k = 16 (got: $fresh)" test "$fresh" = "true 77" || status=1
  ks_psql -d up -qAt -f "$work/objects.sql" > "$work/objects-updated" || status=1
  ks_psql -d postgres -qc 'CREATE DATABASE fresh' && ks_psql -d fresh -qc 'CREATE EXTENSION pg_kmersearch' \
    && ks_psql -d fresh -qAt -f "$work/objects.sql" > "$work/objects-new" || status=1
  upgrade_check "the objects listed ($(wc -l < "$work/objects-new"))" test "$(wc -l < "$work/objects-new")" -gt 100 || status=1
  upgrade_check "the updated extension has the objects, definitions and comments of a new 1.2" \
    diff "$work/objects-new" "$work/objects-updated" || status=1
  upgrade_check "at version 1.2" grep -qx 'version 1.2' "$work/objects-updated" || status=1

  # pg_upgrade of that cluster into a new one (the same major: no Debian
  # suite here ships two), then the same answers and indexes
  local indexes='SELECT string_agg(indexrelid::regclass || (CASE WHEN indisvalid THEN '"''"' ELSE '"' invalid'"' END), '"', '"' ORDER BY indexrelid::regclass::text)
                   FROM pg_index WHERE indrelid IN (SELECT oid FROM pg_class WHERE relnamespace = '"'s'"'::regnamespace)'
  ks_psql -d up -qAt -f "$work/answers.sql" > "$work/answers-before-pg_upgrade" || status=1
  ks_psql -d up -qAt -c "$indexes" > "$work/indexes-before" || status=1
  ks_stop_cluster
  ks_say "pg_upgrade"
  ks_as_server_user "$KS_PG_BINDIR/initdb" -D "$work/data.new" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null || return 1
  ks_as_server_user sh -c "cp '$work/data/kmersearch.conf' '$work/data.new/' && echo \"include_if_exists = 'kmersearch.conf'\" >> '$work/data.new/postgresql.conf'"
  (cd "$work" && ks_as_server_user "$KS_PG_BINDIR/pg_upgrade" -b "$KS_PG_BINDIR" -B "$KS_PG_BINDIR" \
     -d "$work/data" -D "$work/data.new" -U postgres -s "$work" >"$work/pg_upgrade.out" 2>&1) \
    || { tail -n 30 "$work/pg_upgrade.out"; echo "FAIL  upgrade: pg_upgrade"; return 1; }
  mv "$work/data" "$work/data.old" && mv "$work/data.new" "$work/data"
  ks_start_cluster "$work" "$work/install" || return 1
  ks_psql -d up -qAt -f "$work/answers.sql" > "$work/answers-after-pg_upgrade" || status=1
  ks_psql -d up -qAt -c "$indexes" > "$work/indexes-after" || status=1
  upgrade_check "pg_upgrade keeps the indexes ($(cat "$work/indexes-after"))" cmp -s "$work/indexes-before" "$work/indexes-after" || status=1
  upgrade_check "and the answers" cmp -s "$work/answers-before-pg_upgrade" "$work/answers-after-pg_upgrade" || status=1
  ks_stop_cluster
  rm -f "$builddir/running-cluster"
  return $status
}

do_rpm() {
  local rpmfile files instdir f status=0
  make -C "$builddir" rpm || return 1
  rpmfile=$(ls "$builddir"/pg_kmersearch_"$KS_PG_MAJOR"-*.rpm | head -n 1)
  files=$(rpm -qlp "$rpmfile" 2>/dev/null)
  instdir=$(dirname "$("$KS_PG_CONFIG" --bindir)")
  for f in "$instdir/lib/pg_kmersearch.so" "$instdir/share/extension/pg_kmersearch.control" \
           "$instdir/share/extension/pg_kmersearch--1.2.sql" "$instdir/share/extension/pg_kmersearch--1.0--1.1.sql" \
           "$instdir/share/extension/pg_kmersearch--1.1--1.2.sql" \
           "$instdir/doc/extension/pg_kmersearch.en.md" \
           LICENSE README.md pg_kmersearch.ja.md; do
    if printf '%s\n' "$files" | grep -q -- "$f\$"; then
      echo "PASS  rpm $(basename "$rpmfile") has $f"
    else
      echo "FAIL  rpm $(basename "$rpmfile") lacks $f"
      status=1
    fi
  done
  return $status
}

# run_here STAGE...: the stages on this machine's PostgreSQL
run_stages=
run_here() {
  local s built=
  for s in "$@"; do
    case " $ALL_STAGES " in *" $s "*) ;; *) ks_die "unknown stage $s (stages: $ALL_STAGES)" ;; esac
  done
  rm -f "$log"   # (a run that stops early must not leave an old one to count)
  install_deps "$@"
  rm -rf "$builddir"
  mkdir -p "$builddir"
  : > "$log"
  run_stages="$*"
  echo "PostgreSQL $("$KS_PG_CONFIG" --version | sed 's/^PostgreSQL //') ($(uname -m)); stages: $*"
  for s in "$@"; do
    if [ "$s" = build ]; then
      run_step "build" do_build && built=yes
    elif [ -z "$built" ]; then
      echo "FAIL: $s (not run: no build)" | tee -a "$log"
      failed_steps+=("$s")
    else
      run_step "$s" "do_$s"
    fi
  done
}

# ---- the matrix ----

# in_chroot NAME ARGS...: tools/test.sh ARGS in chroot NAME, on the copy of
# the checkout there (/root/pg_kmersearch, where a user would clone it)
in_chroot() {
  local name=$1
  shift
  bash "$KS_TOP/tools/chroot.sh" run "$name" \
    env KMERSEARCH_PG_MAJOR="$(bash "$KS_TOP/tools/chroot.sh" major "$name")" \
    bash /root/pg_kmersearch/tools/test.sh "$@"
}

# prepare_chroot NAME: make (or check) the chroot, copy the checkout into it
# and install what its stages need
prepare_chroot() {
  local name=$1 dir
  bash "$KS_TOP/tools/chroot.sh" make "$name" || return 1
  dir=$(bash "$KS_TOP/tools/chroot.sh" dir "$name")
  [ -n "$dir" ] && [ -f "$dir/.pg_kmersearch-chroot" ] || return 1
  rm -rf "$dir/root/pg_kmersearch"
  ks_copy_tree "$dir/root/pg_kmersearch" || return 1
  # a package an interrupted run left installed in this (throwaway) system
  bash "$KS_TOP/tools/chroot.sh" run "$name" sh -c \
    'dpkg-query -W -f "\${db:Status-Status} \${Package}\n" "postgresql-*-pg-kmersearch" 2>/dev/null \
       | awk "\$1 == \"installed\" { print \$2 }" | xargs -r dpkg -r'
  in_chroot "$name" --deps $(chroot_stages "$name")
}

# --deps STAGE...: only install what those stages need (the matrix does
# this in each chroot while this machine's stages run)
if [ "${1:-}" = --deps ]; then
  shift
  install_deps "$@"
  exit 0
fi

# stop_left_cluster: on the way out (an interrupt, say), the throwaway
# cluster a stage left running
stop_left_cluster() {
  if [ -f "$builddir/running-cluster" ]; then
    KS_CLUSTER=$(cat "$builddir/running-cluster")
    ks_stop_cluster
    rm -f "$builddir/running-cluster"
  fi
}

if [ "${1:-}" = --here ]; then
  shift
  [ $# -gt 0 ] || set -- $HERE_STAGES
  trap stop_left_cluster EXIT
  trap 'exit 130' INT TERM
  run_here "$@"
  [ ${#failed_steps[@]} -eq 0 ] || show_diffs
  echo
  if [ ${#failed_steps[@]} -eq 0 ]; then
    echo "PostgreSQL $KS_PG_MAJOR ($(uname -m)): all stages passed"
  else
    echo "PostgreSQL $KS_PG_MAJOR ($(uname -m)): FAILED: ${failed_steps[*]}"
  fi
  printf 'tests: %s\n' "$(tally "$log")"
  [ ${#failed_steps[@]} -eq 0 ]
  exit
fi
[ $# -eq 0 ] || ks_die "usage: bash tools/test.sh [--here [STAGE...]]"

if ks_is_root; then
  matrix=${KMERSEARCH_MATRIX:-here pg15 pg17 pg18 pg15-i386}
else
  matrix=${KMERSEARCH_MATRIX:-here}
  echo "(not root: only this machine's PostgreSQL; the chroots of the matrix need root)"
fi
# Chroots that run in a lane of their own beside the others: the emulated
# i386 one spends its time in one emulated process after another, which
# leaves the second core to the rest.
beside=${KMERSEARCH_MATRIX_BESIDE-pg15-i386}
work=$(mktemp -d "${TMPDIR:-/tmp}/pg_kmersearch-matrix.XXXXXX")
declare -A prep_pid lane_pid
# On an interrupt the background jobs (which ignore SIGINT) are stopped
# too, with what they started: this machine's and the chroots' test runs
# stop their own servers when they get SIGTERM.
interrupted() {
  echo "tools/test.sh: interrupted; stopping the chroots' jobs" >&2
  ks_kill_tree TERM "${prep_pid[@]}" "${lane_pid[@]}"
  wait
  exit 130
}
trap interrupted INT TERM
trap 'rm -rf "$work"' EXIT
start=$SECONDS

chroots=$(printf '%s\n' $matrix | grep -v '^here$' | tr '\n' ' ')
if [ -n "$chroots" ]; then
  ks_is_root || ks_die "the chroots ($chroots) need root"
  # (first, and on its own: apt on this machine is not used side by side)
  bash "$KS_TOP/tools/chroot.sh" host-deps $chroots || ks_die "cannot make chroots here"
fi

# prep NAME: prepare_chroot, its output and exit status kept in $work
prep() {
  local status=0
  prepare_chroot "$1" > "$work/prep-$1.out" 2>&1 || status=$?
  echo $status > "$work/prep-$1.status"
}

# run_platform NAME: one row of the matrix, after its chroot is prepared;
# leaves its tally log, exit status and summary line in $work
run_platform() {
  local p=$1 status=0 pstart=$SECONDS
  : > "$work/$p.log"
  if [ "$p" = here ]; then
    ks_say "==== this machine: $(. /etc/os-release; echo "$PRETTY_NAME") ===="
    bash "$KS_TOP/tools/test.sh" --here || status=$?
    cat "$builddir/test.log" > "$work/$p.log" 2>/dev/null
  else
    ks_say "==== chroot $p: $(bash "$KS_TOP/tools/chroot.sh" spec "$p") ===="
    if [ -n "${prep_pid[$p]:-}" ]; then wait "${prep_pid[$p]}"; fi
    cat "$work/prep-$p.out"
    status=$(cat "$work/prep-$p.status" 2>/dev/null || echo 1)
    if [ "$status" = 0 ]; then
      in_chroot "$p" --here $(chroot_stages "$p") || status=$?
      cat "$(bash "$KS_TOP/tools/chroot.sh" dir "$p")/root/pg_kmersearch/build-test/test.log" > "$work/$p.log" 2>/dev/null
    fi
  fi
  # a platform that failed without a failing test line (a chroot that could
  # not be made, say) is one failure
  if [ "$status" != 0 ] && [ "$(failures_in "$work/$p.log")" = 0 ]; then
    echo "FAIL: $p (exit $status)" | tee -a "$work/$p.log"
  fi
  echo "$status" > "$work/$p.status"
  printf '%-10s %-7s %5d s   %s\n' "$p" "$([ "$status" = 0 ] && echo passed || echo FAILED)" \
    $((SECONDS - pstart)) "$(tally "$work/$p.log")" > "$work/$p.result"
}

# the chroots are made (or checked) and given their packages in the
# background while this machine's stages run: mostly waiting for the
# package registry
for p in $chroots; do
  case " $beside " in
    *" $p "*)
      { prep "$p"; run_platform "$p"; } > "$work/$p.out" 2>&1 &
      lane_pid[$p]=$! ;;
    *)
      prep "$p" &
      prep_pid[$p]=$! ;;
  esac
done
for p in $matrix; do
  [ -z "${lane_pid[$p]:-}" ] || continue
  run_platform "$p"
done
for p in "${!lane_pid[@]}"; do
  ks_say "(waiting for the chroot $p, which ran beside the others)"
  wait "${lane_pid[$p]}"
  cat "$work/$p.out"
done

ks_say "summary: $((SECONDS - start)) s"
nfailed=0
for p in $matrix; do
  cat "$work/$p.result"
  [ "$(cat "$work/$p.status")" = 0 ] || nfailed=$((nfailed + 1))
  cat "$work/$p.log" >> "$work/all"
done
printf 'tests: %s\n' "$(tally "$work/all")"
[ $nfailed -eq 0 ]
