#!/usr/bin/env bash
# bench/bench_kmer_parallel.sh: the references in a hash-partitioned table,
# a kmer index on each partition, searched by one process and by parallel
# workers (Parallel Append over the partitions): the queries and modes of
# bench_kmer.sh, the medians of each and the speedup.
#
#   usage: bash bench/bench_kmer_parallel.sh [--data DIR] [--queries N] [--refs FILE]
#                                            [--cluster DIR] [--partitions N] [--workers W]
#                                            [--mwm SIZE] [--shared-buffers SIZE]
#
#   --data DIR       a directory already prepared by ../shared/bench/prepare-data.sh
#                    (default: prepare one in bench/work/data)
#   --queries N      queries of each kind (default 20): the first N of
#                    queries_16s_250.fa and of queries_16s.fa
#   --refs FILE      the references, a file of DIR (default ssu_ref.fa)
#   --cluster DIR    keep the cluster in DIR (bench_kmer.sh's too): the table
#                    ref is loaded on the first run and reused
#   --partitions N   hash partitions of the table refp, made from ref
#                    (default 4; remade when the count differs)
#   --workers W      max_parallel_workers_per_gather of the parallel runs
#                    (default: the machine's cores less one, at least 1)
#   --mwm SIZE       maintenance_work_mem of the index build (default 1GB)
#   --shared-buffers SIZE  (default 4GB)
#
# Each query is timed alone (SELECT count(*) FROM refp WHERE seq =% q, warm,
# after one untimed round), first with max_parallel_workers_per_gather = 0,
# then with W workers and the parallel setup and tuple costs at 0 (so that
# the planner takes the parallel plan this compares).  The rows found must
# be the same both ways, or the script fails.
set -euo pipefail

data_dir=""
nq=20
refs=ssu_ref.fa
bench_keep_dir=""
nparts=4
workers=$(( $(nproc) > 1 ? $(nproc) - 1 : 1 ))
mwm=1GB
sb=4GB
while [ $# -gt 0 ]; do
	case $1 in
		--data) data_dir=${2:?--data needs a directory}; shift 2 ;;
		--queries) nq=${2:?--queries needs a number}; shift 2 ;;
		--refs) refs=${2:?--refs needs a file name}; shift 2 ;;
		--cluster) bench_keep_dir=${2:?--cluster needs a directory}; shift 2 ;;
		--partitions) nparts=${2:?--partitions needs a number}; shift 2 ;;
		--workers) workers=${2:?--workers needs a number}; shift 2 ;;
		--mwm) mwm=${2:?--mwm needs a size}; shift 2 ;;
		--shared-buffers) sb=${2:?--shared-buffers needs a size}; shift 2 ;;
		-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
		*) echo "bench_kmer_parallel.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done
for v in "$nq" "$nparts" "$workers"; do
	case $v in ''|*[!0-9]*|0) echo "bench_kmer_parallel.sh: --queries, --partitions and --workers take a positive number" >&2; exit 2 ;; esac
done

BENCH=kmer_parallel
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_data "$refs" queries_16s.fa queries_16s_250.fa
bench_setup

ks_start_bench_cluster "$rundir"
sql() { ks_psql -q -A -t -F '|' -d bench "$@"; }
sql -c "ALTER SYSTEM SET shared_buffers = '$sb'" -c "ALTER SYSTEM SET max_worker_processes = $((workers + 8))"
ks_stop_cluster
ks_start_bench_cluster "$rundir"
sql -c "ALTER EXTENSION pg_kmersearch UPDATE" -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm"
bench_ref_table

have=$(sql -c "SELECT count(*) FROM pg_inherits WHERE inhparent = to_regclass('refp')")
if [ "$have" != "$nparts" ]; then
	log "refp: $nparts hash partitions of ref"
	{
		echo "DROP TABLE IF EXISTS refp;"
		echo "CREATE TABLE refp (id integer, acc text, seq dna4) PARTITION BY HASH (id);"
		for ((i = 0; i < nparts; i++)); do
			echo "CREATE TABLE refp_$i PARTITION OF refp FOR VALUES WITH (MODULUS $nparts, REMAINDER $i);"
		done
		echo "INSERT INTO refp SELECT id, acc, seq FROM ref;"
		echo "VACUUM ANALYZE refp;"
	} | sql
fi
log "kmer index on refp's $nparts partitions (maintenance_work_mem $mwm)"
sql -c "DROP INDEX IF EXISTS refp_kmer"
t0=$(date +%s.%N)
sql -c "SELECT 'A'::dna4" -c "SET maintenance_work_mem = '$mwm'" -c "CREATE INDEX refp_kmer ON refp USING kmer (seq)"
build_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')

bench_kq "$nq"
bench_runs_setup refp
sql -c "SELECT sum(pg_prewarm(c.oid)) FROM pg_class c
        WHERE c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent IN ('refp'::regclass, 'refp_kmer'::regclass))" >/dev/null
for how in serial parallel; do
	if [ $how = serial ]; then
		settings="SET max_parallel_workers_per_gather = 0;"
	else
		settings="SET max_parallel_workers_per_gather = $workers; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;"
	fi
	log "searches, $how"
	plan=$(sql -c "SET enable_seqscan = off; $settings
	               EXPLAIN (COSTS OFF) SELECT count(*) FROM refp WHERE seq =% (SELECT query FROM kq LIMIT 1)")
	echo "$plan" | grep -q "Bitmap Index Scan on refp_" || die "the $how plan does not use the partitions' kmer indexes: $plan"
	if [ $how = parallel ]; then
		echo "$plan" | grep -q "Workers Planned" || die "no parallel plan with $workers workers: $plan"
		parallel_plan=$(echo "$plan" | grep -E "Gather|Workers|Parallel|Append" | sed 's/^ *//; s/ *->  */-> /' | paste -sd ' ')
	fi
	{
		echo "$settings"
		bench_runs_sql $how
	} | sql >/dev/null
done

# ---------------------------------------------------------------- report
printf '\npg_kmersearch %s; %s references (%s) in %s hash partitions, %s + %s queries; %s workers (%s cores); %s\n' \
	"$commit" "$nref" "$refs" "$nparts" "$nq" "$nq" "$workers" "$(nproc)" "$(date -u +%Y-%m-%d)"
printf 'index build %.1f s, %s; parallel plan: %s\n\n' "$build_s" \
	"$(sql -c "SELECT pg_size_pretty(sum(pg_relation_size(inhrelid))) FROM pg_inherits WHERE inhparent = 'refp_kmer'::regclass")" \
	"$parallel_plan"
bench_runs_report serial parallel speedup "with parallel workers than without"
