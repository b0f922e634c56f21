#!/usr/bin/env bash
# bench/bench_kmer.sh: the kmer access method against GIN on the same table,
# queries and settings, in one run: index build time and size, and the time
# of `SELECT count(*) FROM ref WHERE seq =% q` through each index.
#
#   usage: bash bench/bench_kmer.sh [--data DIR] [--queries N] [--refs FILE]
#                                   [--cluster DIR] [--mwm SIZE]
#                                   [--shared-buffers SIZE]
#
#   --data DIR     a directory already prepared by ../shared/bench/prepare-data.sh
#                  (default: prepare one in bench/work/data)
#   --queries N    queries of each kind (default 20): the first N of
#                  queries_16s_250.fa and of queries_16s.fa
#   --refs FILE    the references, a file of DIR (default ssu_ref.fa: 204,065
#                  sequences; ssu_ref_20k.fa for a quick run)
#   --cluster DIR  keep the cluster in DIR (which the server's user must
#                  reach): loaded and GIN-indexed on the first run, reused
#                  after (bench_profile.sh's clusters too); the GIN build time
#                  is the first run's
#   --mwm SIZE     maintenance_work_mem of the builds (default 1GB)
#   --shared-buffers SIZE  (default 4GB: both indexes and the table fit, as
#                  vsearch holds its whole index in memory)
#
# The kmer index is built in every run.  Each search runs on one core with
# the other index dropped inside a transaction that is rolled back, warm
# (every relation read into shared buffers first, and one untimed round);
# medians and p95 over the queries, and GIN's time over kmer's.  The rows
# found must be the same through both indexes, or the script fails.
set -euo pipefail

data_dir=""
nq=20
refs=ssu_ref.fa
bench_keep_dir=""
mwm=1GB
sb=4GB
while [ $# -gt 0 ]; do
	case $1 in
		--data) data_dir=${2:?--data needs a directory}; shift 2 ;;
		--queries) nq=${2:?--queries needs a number}; shift 2 ;;
		--refs) refs=${2:?--refs needs a file name}; shift 2 ;;
		--cluster) bench_keep_dir=${2:?--cluster needs a directory}; shift 2 ;;
		--mwm) mwm=${2:?--mwm needs a size}; shift 2 ;;
		--shared-buffers) sb=${2:?--shared-buffers needs a size}; shift 2 ;;
		-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
		*) echo "bench_kmer.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done
case $nq in ''|*[!0-9]*|0) echo "bench_kmer.sh: --queries takes a positive number" >&2; exit 2 ;; esac

BENCH=kmer
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_data "$refs" queries_16s.fa queries_16s_250.fa
bench_setup

ks_start_bench_cluster "$rundir"
sql() { ks_psql -q -A -t -F '|' -d bench "$@"; }
sql -c "ALTER SYSTEM SET shared_buffers = '$sb'"
ks_stop_cluster
ks_start_bench_cluster "$rundir"
sql -c "ALTER EXTENSION pg_kmersearch UPDATE" -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm"
sql -c "CREATE TABLE IF NOT EXISTS kbuild (method text PRIMARY KEY, seconds float8)"

seconds() { date +%s.%N; }
bench_ref_table
gin=$(sql -c "SELECT indexrelid::regclass FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
               JOIN pg_am a ON a.oid = c.relam WHERE i.indrelid = 'ref'::regclass AND a.amname = 'gin' LIMIT 1")
if [ -z "$gin" ]; then
	log "GIN index (maintenance_work_mem $mwm)"
	t0=$(seconds)
	sql -c "SET maintenance_work_mem = '$mwm'" -c "CREATE INDEX ref_seq ON ref USING gin (seq)"
	sql -c "INSERT INTO kbuild VALUES ('gin', $(seconds) - $t0)
	        ON CONFLICT (method) DO UPDATE SET seconds = EXCLUDED.seconds"
	gin=ref_seq
fi
log "kmer index (maintenance_work_mem $mwm)"
sql -c "DROP INDEX IF EXISTS ref_kmer"
t0=$(seconds)
sql -c "SET maintenance_work_mem = '$mwm'" -c "CREATE INDEX ref_kmer ON ref USING kmer (seq)"
sql -c "INSERT INTO kbuild VALUES ('kmer', $(seconds) - $t0)
        ON CONFLICT (method) DO UPDATE SET seconds = EXCLUDED.seconds"

bench_kq "$nq"
bench_runs_setup ref
sql -c "SELECT pg_prewarm('ref'), pg_prewarm('$gin'), pg_prewarm('ref_kmer')" >/dev/null
for method in gin kmer; do
	other=$([ $method = gin ] && echo ref_kmer || echo "$gin")
	log "searches through the $method index"
	{
		echo "BEGIN; DROP INDEX $other;"
		bench_runs_sql $method
		# the rows leave the rolled-back transaction through a file
		echo "COPY (SELECT * FROM runs WHERE label = '$method') TO '$rundir/kmer-$method.tsv';"
		echo "ROLLBACK;"
	} > "$rundir/kmer-$method.sql"
	chmod 644 "$rundir/kmer-$method.sql"
	sql -f "$rundir/kmer-$method.sql" >/dev/null
	sql -c "COPY runs FROM '$rundir/kmer-$method.tsv'"
done

# ---------------------------------------------------------------- report
printf '\npg_kmersearch %s; %s references (%s), %s + %s queries, one core; %s\n\n' \
	"$commit" "$nref" "$refs" "$nq" "$nq" "$(date -u +%Y-%m-%d)"
sql -P footer=off -F ' | ' <<EOF
\pset tuples_only off
SELECT m.method, round(b.seconds::numeric, 1) AS build_s,
       pg_size_pretty(pg_relation_size(m.idx)) AS size
  FROM (VALUES ('gin', '$gin'::regclass), ('kmer', 'ref_kmer'::regclass)) m(method, idx)
  LEFT JOIN kbuild b USING (method);
EOF
bench_runs_report gin kmer gin_over_kmer "through the kmer index than through GIN"
