#!/bin/sh
# The module exports what PostgreSQL looks up by name, and nothing else:
# each C function the install script names and its pg_finfo_ record, the
# magic block, _PG_init and the entries of the parallel analysis's and the
# parallel kmer index build's workers.  Any other
# exported symbol could bind to, or be bound by, another library loaded into
# the same server.  Run by make check (Makefile.am gives the paths).
set -eu

module=${KMERSEARCH_MODULE:?the built module}
sql=${KMERSEARCH_SQL:?the install script}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pg_kmersearch-exports.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

[ -f "$module" ] || { echo "exports.sh: no module at $module" >&2; exit 1; }
command -v nm >/dev/null || { echo "exports.sh: nm (binutils) is needed" >&2; exit 1; }

# what the script names: AS 'MODULE_PATHNAME', 'symbol' (configure has put
# the library's path in)
sed -n "s/.*AS '[^']*', '\([A-Za-z0-9_]*\)'.*/\1/p" "$sql" | sort -u > "$tmp/named"
[ -s "$tmp/named" ] || { echo "exports.sh: no C function found in $sql" >&2; exit 1; }
# and 1.0's event trigger functions, which a 1.0 database calls until it is
# updated (src/index_meta.c)
printf '%s\n' kmersearch_ddl_command_start kmersearch_ddl_command_end kmersearch_sql_drop >> "$tmp/named"
sort -u -o "$tmp/named" "$tmp/named"
{
  cat "$tmp/named"
  sed 's/^/pg_finfo_/' "$tmp/named"
  printf '%s\n' Pg_magic_func _PG_init kmersearch_analysis_worker kmersearch_kmi_build_worker
} | sort -u > "$tmp/expected"

# every defined dynamic symbol, whatever its kind (functions, data, indirect)
nm -D --defined-only "$module" | awk '{ print $NF }' | sort -u > "$tmp/exported"

status=0
if ! comm -13 "$tmp/expected" "$tmp/exported" > "$tmp/extra" || [ -s "$tmp/extra" ]; then
  echo "exported but not looked up by PostgreSQL (mark them static, or leave them hidden):"
  sed 's/^/  /' "$tmp/extra"
  status=1
fi
if ! comm -23 "$tmp/expected" "$tmp/exported" > "$tmp/missing" || [ -s "$tmp/missing" ]; then
  echo "looked up by PostgreSQL but not exported (PGDLLEXPORT, PG_FUNCTION_INFO_V1):"
  sed 's/^/  /' "$tmp/missing"
  status=1
fi
[ $status = 0 ] && echo "exports: $(wc -l < "$tmp/exported") symbols, each one PostgreSQL looks up by name"
exit $status
