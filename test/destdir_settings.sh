#!/bin/sh
# The server settings that make PostgreSQL load this extension from a
# DESTDIR install (make install DESTDIR=DIR) instead of the system's
# directories: Debian's extension_destdir up to 17, and from 18 on (where
# Debian's PostgreSQL has no extension_destdir) extension_control_path and
# dynamic_library_path.  One place for make check, make installcheck's
# cluster, the TAP tests, the demo and the benchmarks.
#
#   usage: destdir_settings.sh DESTDIR
# Environment: PG_MAJORVERSION, PG_SHAREDIR and PG_PKGLIBDIR (as the
# Makefile passes them), or else PG_CONFIG (default pg_config) to ask.
set -eu
destdir=${1:?usage: destdir_settings.sh DESTDIR}
if [ -z "${PG_MAJORVERSION:-}" ] || [ -z "${PG_SHAREDIR:-}" ] || [ -z "${PG_PKGLIBDIR:-}" ]; then
  pg_config=${PG_CONFIG:-pg_config}
  PG_MAJORVERSION=$("$pg_config" --version | sed 's/^PostgreSQL \([0-9]*\).*/\1/')
  PG_SHAREDIR=$("$pg_config" --sharedir)
  PG_PKGLIBDIR=$("$pg_config" --pkglibdir)
fi
if [ "$PG_MAJORVERSION" -ge 18 ]; then
  # (control files are looked up in the extension/ directory below each
  # element; the module's path has no $libdir from 18 on, see configure.ac)
  echo "extension_control_path = '$destdir$PG_SHAREDIR:\$system'"
  echo "dynamic_library_path = '$destdir$PG_PKGLIBDIR:\$libdir'"
else
  # Debian's PostgreSQL: prepended to extension and $libdir paths
  echo "extension_destdir = '$destdir'"
fi
