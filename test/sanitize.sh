#!/bin/sh
# The regression suite with the module under AddressSanitizer +
# UndefinedBehaviorSanitizer, or with the server under valgrind.
#
#   usage: test/sanitize.sh asan BUILDDIR [TEST...]
#          test/sanitize.sh valgrind BUILDDIR [TEST...]
#   TEST: regression tests to run (default: the whole suite, REGRESS)
#
# asan: configures and builds the module in BUILDDIR with
#   -fsanitize=address,undefined -fno-sanitize-recover=all, and runs
#   make check with the compiler's ASan runtime preloaded into the server.
#   The module's memory accesses are checked against malloc'd blocks; since
#   PostgreSQL is not instrumented, palloc chunks inside an AllocSet block
#   have no redzones of their own, so an overrun of a small palloc chunk
#   into its neighbour (or its padding) is not seen.  Leak detection is
#   off: a backend's memory is freed by exiting.
# valgrind: builds the module normally in BUILDDIR and runs make check
#   with every server process under valgrind's memcheck, with
#   suppressions of PostgreSQL's own known padding writes (test/valgrind.supp;
#   VALGRIND_SUPP=path adds PostgreSQL's src/tools/valgrind.supp from a source tree).
#   Without a --enable-valgrind PostgreSQL, palloc chunks are not tracked
#   one by one: memcheck sees reads of undefined memory, use of freed
#   malloc blocks and accesses outside them.  VALGRIND_TRACK_ORIGINS=yes
#   also says where undefined values came from (about twice as slow).
#   Blocks malloc'd and never freed (definitely lost: no pointer to them
#   is left when the process exits) are errors too, for what the alignment
#   library allocates (src/align.c frees it however a call ends).
#
# A report whose stack has a frame in pg_kmersearch.so fails the run, as
# does any sanitizer report at all; valgrind reports outside the module
# are counted and listed.  Reports are kept in BUILDDIR/sanitize-reports.
# BUILDDIR may be where the server's user cannot read (as root, in /root).
# Needs gcc (libasan, libubsan) or valgrind.
set -eu

mode=${1:?usage: sanitize.sh asan|valgrind BUILDDIR [TEST...]}
builddir=${2:?usage: sanitize.sh asan|valgrind BUILDDIR [TEST...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
PG_CONFIG=${PG_CONFIG:-}
if [ -z "$PG_CONFIG" ]; then
  for p in "/usr/lib/postgresql/${KMERSEARCH_PG_MAJOR:-15}/bin/pg_config" "$(command -v pg_config || true)"; do
    if [ -x "$p" ]; then PG_CONFIG=$p; break; fi
  done
fi
[ -n "$PG_CONFIG" ] || { echo "sanitize.sh: pg_config not found (set PG_CONFIG)" >&2; exit 1; }
CC=${CC:-gcc}

mkdir -p "$builddir"
builddir=$(cd "$builddir" && pwd)
# What the server reads or writes (the preloaded shim, the valgrind wrapper
# and suppressions, the reports) lives in a directory of its own, which the
# server's user can reach even when the build directory is in /root; the
# reports are copied to BUILDDIR/sanitize-reports at the end.
srv=$(mktemp -d "${TMPDIR:-/tmp}/pg_kmersearch-sanitize.XXXXXX")
chmod 755 "$srv"
reports=$srv/reports
mkdir -p "$reports"
trap 'rm -rf "$srv"' EXIT INT TERM
# the server's user writes the reports
if [ "$(id -u)" = 0 ]; then
  chown "${KMERSEARCH_TEST_USER:-postgres}" "$reports" 2>/dev/null || chmod 1777 "$reports"
fi

if [ ! -x "$top/configure" ]; then
  (cd "$top" && autoreconf -fi >/dev/null 2>&1)
fi

case $mode in
  asan)
    san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
    (cd "$builddir" && "$top/configure" --with-pgconfig="$PG_CONFIG" CC="$CC" \
      CFLAGS="-g -O1 $san" LDFLAGS="$san" >configure.out 2>&1) \
      || { cat "$builddir/configure.out"; exit 1; }
    make -C "$builddir" -j"$(nproc)" >"$builddir/build.log" 2>&1 || { tail -n 30 "$builddir/build.log"; exit 1; }
    runtime=$("$CC" -print-file-name=libasan.so)
    [ -f "$runtime" ] || { echo "sanitize.sh: $CC has no libasan.so" >&2; exit 1; }
    # see the shim's comment: without it the preloaded runtime hangs at start
    "$CC" -shared -fPIC -O1 -o "$srv/asan_swift_shim.so" "$here/asan_swift_shim.c"
    KMERSEARCH_SERVER_ENV="LD_PRELOAD=$runtime:$srv/asan_swift_shim.so
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:log_path=$reports/asan:verify_asan_link_order=0
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan"
    ;;
  valgrind)
    command -v valgrind >/dev/null || { echo "sanitize.sh: valgrind is not installed" >&2; exit 1; }
    (cd "$builddir" && "$top/configure" --with-pgconfig="$PG_CONFIG" CFLAGS="-g -O2" >configure.out 2>&1) \
      || { cat "$builddir/configure.out"; exit 1; }
    make -C "$builddir" -j"$(nproc)" >"$builddir/build.log" 2>&1 || { tail -n 30 "$builddir/build.log"; exit 1; }
    wrapper=$srv/postgres-under-valgrind
    cp "$here/valgrind.supp" "$srv/valgrind.supp"
    if [ -n "${VALGRIND_SUPP:-}" ]; then cp "$VALGRIND_SUPP" "$srv/extra.supp"; fi
    cat >"$wrapper" <<EOF
#!/bin/sh
# pg_ctl starts this instead of postgres (test/sanitize.sh)
exec valgrind --quiet --tool=memcheck --trace-children=yes --track-origins=${VALGRIND_TRACK_ORIGINS:-no} \\
  --read-var-info=no --num-callers=30 --error-limit=no \\
  --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \\
  --suppressions="$srv/valgrind.supp" ${VALGRIND_SUPP:+--suppressions="$srv/extra.supp"} \\
  --gen-suppressions=all \\
  --log-file="$reports/valgrind.%p" \\
  "$("$PG_CONFIG" --bindir)/postgres" "\$@"
EOF
    chmod 755 "$wrapper"
    KMERSEARCH_SERVER_WRAPPER=$wrapper
    export KMERSEARCH_SERVER_WRAPPER
    KMERSEARCH_SERVER_ENV=
    ;;
  *)
    echo "usage: sanitize.sh asan|valgrind BUILDDIR [TEST...]" >&2
    exit 2
    ;;
esac
export KMERSEARCH_SERVER_ENV

status=0
if [ $# -gt 0 ]; then
  make -C "$builddir" check REGRESS="$*" || status=$?
else
  make -C "$builddir" check || status=$?
fi

# The reports: any from the sanitizers is a failure; valgrind's are failures
# when a frame is in the module.
nours=0
nother=0
# a frame of the module: its file name, or (with debug information, when
# valgrind names source files instead) one of its source files
ours_re='pg_kmersearch\\.so|libparasail|[( ](align|dna|kmer|score|gin|cpu|cache|highfreq|index_meta|module|planner|settings|codec_[a-z0-9]+|pg_compat)\\.[ch]:[0-9]+\\)'
for f in "$reports"/*; do
  [ -s "$f" ] || continue
  case $f in
    */valgrind.*)
      # one record per error: memcheck ends each with a line "==PID== "
      # (the suppression stub --gen-suppressions prints follows it and
      # starts the next record, which is harmless)
      blocks=$(awk 'BEGIN { RS = "\n==[0-9]+== *\n" } /== *(Invalid|Conditional|Use of|Syscall|Mismatched|Source and destination|Argument)|definitely lost in loss record/ { n++ } END { print n + 0 }' "$f")
      ours=$(awk -v ours="$ours_re" 'BEGIN { RS = "\n==[0-9]+== *\n" } /== *(Invalid|Conditional|Use of|Syscall|Mismatched|Source and destination|Argument)|definitely lost in loss record/ && $0 ~ ours { n++ } END { print n + 0 }' "$f")
      nours=$((nours + ours))
      nother=$((nother + blocks - ours))
      if [ "$ours" -gt 0 ]; then
        echo "sanitize.sh: valgrind errors in pg_kmersearch.so ($f):"
        awk -v ours="$ours_re" 'BEGIN { RS = "\n==[0-9]+== *\n"; ORS = "\n\n" } /== *(Invalid|Conditional|Use of|Syscall|Mismatched|Source and destination|Argument)|definitely lost in loss record/ && $0 ~ ours' "$f" | head -n 80
      fi
      ;;
    *)
      echo "sanitize.sh: sanitizer report $f:"
      head -n 60 "$f"
      nours=$((nours + 1))
      ;;
  esac
done
rm -rf "$builddir/sanitize-reports"
cp -r "$reports" "$builddir/sanitize-reports"
echo "sanitize.sh $mode: $nours report(s) from pg_kmersearch, $nother from PostgreSQL itself; regression exit $status"
[ $nours -eq 0 ] || status=1
exit $status
