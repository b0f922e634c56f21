#!/bin/sh
# Build the binary RPM of pg_kmersearch from a "make dist" tarball with
# rpmbuild, for the PostgreSQL whose pg_config is given: pgmajorversion and
# pginstdir come from it (on a PGDG system /usr/pgsql-NN; on Debian, whose
# rpm package provides rpmbuild, /usr/lib/postgresql/NN), so the spec can be
# exercised on any machine.  Build dependencies are not checked (--nodeps):
# they are RPM package names that a Debian machine does not have.
#
#   usage: rpm/build-rpm.sh TARBALL SPEC [PG_CONFIG] [OUTDIR]
#   (make rpm runs it with the tarball and spec of the build tree)
set -eu
tarball=${1:?usage: build-rpm.sh TARBALL SPEC [PG_CONFIG] [OUTDIR]}
spec=${2:?usage: build-rpm.sh TARBALL SPEC [PG_CONFIG] [OUTDIR]}
pg_config=${3:-$(command -v pg_config || true)}
outdir=${4:-.}
[ -f "$tarball" ] || { echo "build-rpm.sh: no tarball $tarball" >&2; exit 1; }
[ -f "$spec" ] || { echo "build-rpm.sh: no spec $spec" >&2; exit 1; }
[ -x "$pg_config" ] || { echo "build-rpm.sh: pg_config not found; give its path" >&2; exit 1; }
command -v rpmbuild >/dev/null || { echo "build-rpm.sh: rpmbuild not found (Debian: apt-get install rpm)" >&2; exit 1; }

major=$("$pg_config" --version | sed 's/^PostgreSQL \([0-9]*\).*/\1/')
instdir=$(dirname "$("$pg_config" --bindir)")
top=$(mktemp -d "${TMPDIR:-/tmp}/pg_kmersearch-rpm.XXXXXX")
trap 'rm -rf "$top"' EXIT INT TERM
mkdir -p "$top/SOURCES" "$top/SPECS"
cp "$tarball" "$top/SOURCES/"
cp "$spec" "$top/SPECS/pg_kmersearch.spec"
rpmbuild -bb --nodeps \
  --define "_topdir $top" \
  --define "debug_package %{nil}" \
  --define "pgmajorversion $major" \
  --define "pginstdir $instdir" \
  "$top/SPECS/pg_kmersearch.spec"
mkdir -p "$outdir"
find "$top/RPMS" -name '*.rpm' -exec cp {} "$outdir/" \; -exec sh -c 'echo "built $(basename "$1")"' _ {} \;
