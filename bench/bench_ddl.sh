#!/usr/bin/env bash
# bench/bench_ddl.sh: what the extension's event triggers cost DDL that has
# nothing to do with it.
#
#   usage: bash bench/bench_ddl.sh [--rounds N] [--transactions N]
#
#   --rounds N         rounds, each timing both databases (default 5; the
#                      median is reported)
#   --transactions N   pgbench transactions a round and database (default 500)
#
# One pgbench client runs, as transactions, five DDL statements on a table
# of its own (CREATE TABLE, CREATE INDEX, ALTER TABLE ADD COLUMN, ALTER
# TABLE RENAME COLUMN, DROP TABLE) in a database without the extension
# (the baseline) and in one with it, where a table with a kmersearch GIN
# index and a high-frequency k-mer analysis exists too.  The event triggers
# fire on four of the five statements; they look the command's relations up
# in the catalogue and, as none concerns the extension, do not call the
# module.  Reported: transactions per second in each database (median of the
# rounds, alternated, with the catalogues vacuumed before each), their ratio,
# and the time added per statement.
#
# Builds the working tree in bench/work/build-ddl and runs a temporary
# cluster in /tmp, removed on exit.  Exits 0 whatever the figures; non-zero
# on errors.
set -euo pipefail

rounds=5
ntx=500
while [ $# -gt 0 ]; do
	case $1 in
		--rounds) rounds=${2:?--rounds needs a number}; shift 2 ;;
		--transactions) ntx=${2:?--transactions needs a number}; shift 2 ;;
		-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
		*) echo "bench_ddl.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done
for v in "$rounds" "$ntx"; do
	case $v in ''|*[!0-9]*|0) echo "bench_ddl.sh: --rounds and --transactions must be positive integers" >&2; exit 2 ;; esac
done

BENCH=ddl
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_setup
cat > "$rundir/ddl.pgbench" <<'SQL'
CREATE TABLE bench_ddl (a integer, b text);
CREATE INDEX bench_ddl_a ON bench_ddl (a);
ALTER TABLE bench_ddl ADD COLUMN c integer;
ALTER TABLE bench_ddl RENAME COLUMN c TO d;
DROP TABLE bench_ddl;
SQL

log "starting a scratch cluster in $rundir"
ks_start_bench_cluster "$rundir"
ks_psql -q -d postgres -c 'CREATE DATABASE plain'
ks_psql -q -d bench <<'SQL'
CREATE TABLE ref (id integer PRIMARY KEY, seq dna2);
INSERT INTO ref
SELECT i, translate(md5(i::text) || md5((i + 1)::text), '0123456789abcdef', 'ACGTACGTACGTACGT')
  FROM generate_series(1, 2000) AS i;
SET client_min_messages = warning;
SELECT total_rows FROM kmersearch_perform_highfreq_analysis('ref', 'seq');
CREATE INDEX ref_gin ON ref USING gin (seq);
SQL

tps() {  # DB -> transactions per second of one round
	local db=$1
	ks_psql -q -d "$db" -c 'VACUUM FULL pg_class' -c 'VACUUM FULL pg_attribute' -c 'VACUUM FULL pg_type' \
		-c 'VACUUM FULL pg_depend' -c 'VACUUM FULL pg_index' >/dev/null
	ks_as_server_user "$KS_PG_BINDIR/pgbench" -n -h "$KS_PGHOST" -p "$KS_PGPORT" -U postgres \
		-f "$rundir/ddl.pgbench" -t "$ntx" "$db" 2>/dev/null \
		| sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

: > "$rundir/plain.tps"
: > "$rundir/ext.tps"
for r in $(seq 1 "$rounds"); do
	log "round $r of $rounds"
	tps plain >> "$rundir/plain.tps"
	tps bench >> "$rundir/ext.tps"
done
plain=$(median < "$rundir/plain.tps")
ext=$(median < "$rundir/ext.tps")
[ -n "$plain" ] && [ -n "$ext" ] || die "pgbench reported nothing"

echo "# bench_ddl.sh: commit $commit, PostgreSQL $("$KS_PG_CONFIG" --version | sed 's/^PostgreSQL //'), $rounds rounds x $ntx transactions of 5 DDL statements"
awk -v p="$plain" -v e="$ext" 'BEGIN {
	printf "%-34s %10s\n", "database", "tps"
	printf "%-34s %10.1f\n", "without the extension (baseline)", p
	printf "%-34s %10.1f\n", "with it", e
	printf "ratio (with / without)             %10.3f\n", e / p
	printf "time added per statement (ms)      %10.3f\n", (1 / e - 1 / p) * 1000 / 5
}'
