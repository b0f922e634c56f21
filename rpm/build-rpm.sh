#!/bin/sh
# Build the binary RPM of pg_kmersearch with rpmbuild, from the release
# tarball, for the PostgreSQL whose pg_config is used: pgmajorversion and
# pginstdir come from it (on a PGDG system /usr/pgsql-NN; on Debian, whose
# rpm package provides rpmbuild, /usr/lib/postgresql/NN), so the spec can be
# exercised on any machine.  Build dependencies are not checked (--nodeps):
# they are RPM package names a Debian machine does not have.
#
#   usage: rpm/build-rpm.sh [--pg-config FILE] [--outdir DIR]
#                           [--tarball FILE --spec FILE]
#
# Without --tarball it makes one: configure (after autoreconf in a git
# checkout) and make dist in a temporary build directory, whose configured
# spec it then uses.  "make rpm" passes the tarball and spec of its own
# build tree.  The RPM is written to --outdir (default: the current
# directory).
set -eu
pg_config=""
outdir=.
tarball=""
spec=""
while [ $# -gt 0 ]; do
  case $1 in
    --pg-config) pg_config=${2:?--pg-config needs a file}; shift 2 ;;
    --outdir) outdir=${2:?--outdir needs a directory}; shift 2 ;;
    --tarball) tarball=${2:?--tarball needs a file}; shift 2 ;;
    --spec) spec=${2:?--spec needs a file}; shift 2 ;;
    -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-rpm.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
[ -n "$pg_config" ] || pg_config=${PG_CONFIG:-$(command -v pg_config || true)}
[ -x "$pg_config" ] || { echo "build-rpm.sh: pg_config not found; give --pg-config FILE" >&2; exit 1; }
case $pg_config in /*) ;; *) pg_config=$(cd "$(dirname "$pg_config")" && pwd)/$(basename "$pg_config") ;; esac
command -v rpmbuild >/dev/null || { echo "build-rpm.sh: rpmbuild not found (Debian: apt-get install rpm)" >&2; exit 1; }
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

top=$(mktemp -d "${TMPDIR:-/tmp}/pg_kmersearch-rpm.XXXXXX")
trap 'rm -rf "$top"' EXIT
trap 'rm -rf "$top"; exit 130' INT TERM

if [ -z "$tarball" ]; then
  src=$(cd "$(dirname "$0")/.." && pwd)
  if [ -f "$src/config.status" ]; then
    # configured in place: its own make dist
    build=$src
  else
    if [ ! -x "$src/configure" ]; then
      (cd "$src" && autoreconf -fi) || { echo "build-rpm.sh: autoreconf failed" >&2; exit 1; }
    fi
    build=$top/build
    mkdir "$build"
    (cd "$build" && "$src/configure" --with-pgconfig="$pg_config" >configure.out 2>&1) \
      || { cat "$build/configure.out"; echo "build-rpm.sh: configure failed" >&2; exit 1; }
  fi
  make -C "$build" dist >"$top/make-dist.out" 2>&1 \
    || { cat "$top/make-dist.out"; echo "build-rpm.sh: make dist failed" >&2; exit 1; }
  tarball=$(ls "$build"/pg_kmersearch-*.tar.gz | head -n 1)
  spec=$build/rpm/pg_kmersearch.spec
fi
[ -f "$tarball" ] || { echo "build-rpm.sh: no tarball $tarball" >&2; exit 1; }
[ -f "$spec" ] || { echo "build-rpm.sh: no spec $spec (give --spec with --tarball)" >&2; exit 1; }

major=$("$pg_config" --version | sed 's/^PostgreSQL \([0-9]*\).*/\1/')
instdir=$(dirname "$("$pg_config" --bindir)")
mkdir -p "$top/SOURCES" "$top/SPECS"
cp "$tarball" "$top/SOURCES/"
cp "$spec" "$top/SPECS/pg_kmersearch.spec"
rpmbuild -bb --nodeps \
  --define "_topdir $top" \
  --define "debug_package %{nil}" \
  --define "pgmajorversion $major" \
  --define "pginstdir $instdir" \
  "$top/SPECS/pg_kmersearch.spec"
find "$top/RPMS" -name '*.rpm' -exec cp {} "$outdir/" \; -exec sh -c 'echo "built $(basename "$1")"' _ {} \;
