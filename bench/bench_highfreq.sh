#!/usr/bin/env bash
# bench/bench_highfreq.sh: the high-frequency k-mer analysis and what
# excluding its k-mers does to index size and search latency, in one run.
#
#   usage: bash bench/bench_highfreq.sh [--data DIR] [--queries N] [--skip-full]
#
#   --data DIR     a directory prepared by ../shared/bench/prepare-data.sh
#                  (default: prepare one in bench/work/data)
#   --queries N    queries per set timed through the index (default 100,
#                  evenly spaced over the 200 of each set)
#   --skip-full    leave out part 1 (the full ssu_ref.fa analysis)
#
# Part 1, on the full ssu_ref.fa (204,065 sequences, ~300 Mbp), k = 16,
# maintenance_work_mem = 1GB: kmersearch_perform_highfreq_analysis with
# max_parallel_maintenance_workers 0 and 2 (rate 0.05), its time, and the
# peak private memory (Private_Clean + Private_Dirty of /proc/PID/smaps_rollup,
# summed over the server's processes, sampled every 0.2 s, less what they had
# before).
# Part 2, on ssu_ref_20k.fa, k = 16, occur_bitlen = 8: the GIN index without
# exclusion, then built with kmersearch.preclude_highfreq_kmer after
# analyses at max_appearance_rate 0.05 and 0.5: index size, and the median
# and p95 latency of
#   SELECT id, kmersearch_rawscore(seq, q) AS score FROM ref
#    WHERE seq =% q ORDER BY score DESC LIMIT 10
# for queries_16s_250.fa and queries_16s.fa at min_shared_ngram_key_rate 0.9
# and 0.5, relative to the index without exclusion.
#
# Everything goes to bench/work/ (git-ignored) and a temporary cluster in
# /tmp, removed on exit.  Exits 0 whatever the figures; non-zero on errors.
set -euo pipefail

data_dir=""
nq=100
skip_full=no
while [ $# -gt 0 ]; do
	case $1 in
		--data) data_dir=${2:?--data needs a directory}; shift 2 ;;
		--queries) nq=${2:?--queries needs a number}; shift 2 ;;
		--skip-full) skip_full=yes; shift ;;
		-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
		*) echo "bench_highfreq.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done
case $nq in ''|*[!0-9]*|0) echo "bench_highfreq.sh: --queries must be a positive integer" >&2; exit 2 ;; esac

BENCH=highfreq
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_data ssu_ref.fa ssu_ref_20k.fa queries_16s.fa queries_16s_250.fa
bench_setup

fasta_tsv() {  # FILE -> acc<TAB>seq
	awk 'NR % 2 == 1 {split(substr($0, 2), w, /[ \t]/); acc = w[1]; next} {print acc "\t" $0}' "$1"
}
fasta_tsv "$data_dir/ssu_ref_20k.fa" > "$rundir/ref20k.tsv"
[ $skip_full = yes ] || fasta_tsv "$data_dir/ssu_ref.fa" > "$rundir/ref.tsv"
: > "$rundir/queries.tsv"
for s in 16s_250 16s; do
	awk -v s="$s" 'NR % 2 == 1 {next} {n++; print s "\t" n "\t" $0}' "$data_dir/queries_$s.fa" >> "$rundir/queries.tsv"
done

log "starting a scratch cluster in $rundir"
ks_start_bench_cluster "$rundir"
sql() { ks_psql -q -A -t -d bench "$@"; }
sql -c "ALTER DATABASE bench SET kmersearch.kmer_size = 16" -c "ALTER DATABASE bench SET kmersearch.occur_bitlen = 8"
postmaster=$(head -1 "$rundir/data/postmaster.pid")

# private memory (kB) of the server's processes now
private_kb() {
	local p total=0 v
	for p in $(pgrep -P "$postmaster") "$postmaster"; do
		v=$(awk '/^Private_(Clean|Dirty):/ {s += $2} END {print s + 0}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
		total=$((total + v))
	done
	echo "$total"
}

# timed_analysis WORKERS: prints "seconds|workers used|k-mers|peak MB"
timed_analysis() {
	local workers=$1 base peak=0 now pid out t0 t1
	base=$(private_kb)
	sql -c "SET maintenance_work_mem = '1GB'" -c "SET max_parallel_maintenance_workers = $workers" \
		-c "SET kmersearch.max_appearance_rate = 0.05" \
		-c "SELECT parallel_workers_used || '|' || highfreq_kmers_count FROM kmersearch_perform_highfreq_analysis('ref', 'seq')" \
		> "$rundir/analysis.out" 2>"$rundir/analysis.err" &
	pid=$!
	t0=$(date +%s.%N)
	while kill -0 "$pid" 2>/dev/null; do
		now=$(private_kb)
		[ "$now" -gt "$peak" ] && peak=$now
		sleep 0.2
	done
	wait "$pid" || { cat "$rundir/analysis.err" >&2; die "the analysis failed"; }
	t1=$(date +%s.%N)
	out=$(tail -1 "$rundir/analysis.out")
	awk -v a="$t0" -v b="$t1" -v o="$out" -v p="$peak" -v z="$base" \
		'BEGIN {printf "%.1f|%s|%.0f\n", b - a, o, (p - z) / 1024}'
}

sql <<'EOF'
CREATE TABLE q (qset text, qid int, seq text);
CREATE TABLE res (config text, qset text, rate float8, qid int, ms float8, uses_index bool);
CREATE FUNCTION bench_query(query text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT format('SELECT id, kmersearch_rawscore(seq, %L) AS score FROM ref WHERE seq =%% %L ORDER BY score DESC LIMIT 10',
                query, query)
$$;
CREATE FUNCTION bench_run(p_config text, p_set text, p_rate float8, p_step int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE r record; t0 timestamptz; plan text; l text;
BEGIN
  FOR r IN SELECT qid, seq FROM q WHERE qset = p_set AND (qid - 1) % p_step = 0 ORDER BY qid LOOP
    plan := '';
    FOR l IN EXECUTE 'EXPLAIN (COSTS OFF) ' || bench_query(r.seq) LOOP plan := plan || l; END LOOP;
    PERFORM kmersearch_rawscore_cache_free(), kmersearch_query_pattern_cache_free(),
            kmersearch_actual_min_score_cache_free();
    t0 := clock_timestamp();
    EXECUTE bench_query(r.seq);
    INSERT INTO res VALUES (p_config, p_set, p_rate, r.qid, 1000 * extract(epoch FROM clock_timestamp() - t0),
                            plan LIKE '%Bitmap Index Scan on ref_seq_gin%');
  END LOOP;
END $$;
EOF
sql -c "COPY q FROM '$rundir/queries.tsv'"
step=$(( 200 / nq )); [ "$step" -ge 1 ] || step=1

# ---------------------------------------------------------------- part 1
full_lines=""
if [ $skip_full = no ]; then
	log "part 1: loading ssu_ref.fa"
	sql -c "CREATE TABLE ref (id bigserial, acc text, seq dna4)" -c "COPY ref(acc, seq) FROM '$rundir/ref.tsv'" \
		-c "VACUUM (ANALYZE) ref" -c CHECKPOINT
	nrows=$(sql -c "SELECT count(*) FROM ref")
	log "part 1: analysis with 0 workers ($nrows rows)"
	IFS='|' read -r t0w w0 k0 m0 <<<"$(timed_analysis 0)"
	log "  $t0w s, $k0 k-mers, peak $m0 MB"
	log "part 1: analysis with 2 workers"
	IFS='|' read -r t2w w2 k2 m2 <<<"$(timed_analysis 2)"
	log "  $t2w s ($w2 workers), $k2 k-mers, peak $m2 MB"
	[ "$k0" = "$k2" ] || die "0 and 2 workers found different numbers of k-mers ($k0, $k2)"
	speedup=$(awk -v a="$t0w" -v b="$t2w" 'BEGIN {printf "%.2f", a / b}')
	full_lines=$(printf '%s\n' \
		"| full ssu_ref.fa, $nrows rows, rate 0.05, maintenance_work_mem 1GB | 0 workers | 2 workers |" \
		"|---|---|---|" \
		"| time (s) | $t0w | $t2w (${w2} launched) |" \
		"| high-frequency k-mers | $k0 | $k2 |" \
		"| peak private memory of the server (MB) | $m0 | $m2 |" \
		"" \
		"speed-up with 2 workers: ${speedup}x (target >= 1.6); time with 2 workers $(awk -v t="$t2w" 'BEGIN {print (t < 180 ? "under" : "OVER")}') 3 minutes;" \
		"peak memory $(awk -v a="$m0" -v b="$m2" 'BEGIN {m = a > b ? a : b; print (m <= 1280 ? "within" : "OVER")}') maintenance_work_mem + 25% (1280 MB)")
	sql -c "DROP TABLE ref"   # its analysis goes with it
fi

# ---------------------------------------------------------------- part 2
log "part 2: loading ssu_ref_20k.fa"
sql -c "DROP TABLE IF EXISTS ref" -c "CREATE TABLE ref (id bigserial, acc text, seq dna4)" \
	-c "COPY ref(acc, seq) FROM '$rundir/ref20k.tsv'" -c "VACUUM (ANALYZE) ref" -c CHECKPOINT
table_mb=$(sql -c "SELECT round(pg_table_size('ref') / 1e6, 1)")

run_config() {  # CONFIG PRECLUDE
	local config=$1 preclude=$2 s rate
	for s in 16s_250 16s; do
		for rate in 0.9 0.5; do
			sql -c "SET kmersearch.preclude_highfreq_kmer = $preclude" -c "SET kmersearch.min_shared_ngram_key_rate = $rate" \
				-c "SELECT bench_run('$config', '$s', $rate, $step)" >/dev/null
		done
	done
}

declare -A size hk
log "part 2: index without exclusion"
sql -c "SELECT 'A'::dna4" -c "CREATE INDEX ref_seq_gin ON ref USING gin (seq)" -c "ANALYZE ref"
size[none]=$(sql -c "SELECT round(pg_relation_size('ref_seq_gin') / 1e6, 1)")
hk[none]=0
run_config none off
sql -c "DROP INDEX ref_seq_gin"
for r in 0.05 0.5; do
	log "part 2: analysis at rate $r, index built without its k-mers"
	hk[$r]=$(sql -c "SET kmersearch.max_appearance_rate = $r" \
		-c "SELECT highfreq_kmers_count FROM kmersearch_perform_highfreq_analysis('ref', 'seq')")
	sql -c "SELECT 'A'::dna4" -c "SET kmersearch.max_appearance_rate = $r" -c "SET kmersearch.preclude_highfreq_kmer = on" \
		-c "CREATE INDEX ref_seq_gin ON ref USING gin (seq)" -c "ANALYZE ref"
	size[$r]=$(sql -c "SELECT round(pg_relation_size('ref_seq_gin') / 1e6, 1)")
	sql -c "ALTER DATABASE bench SET kmersearch.max_appearance_rate = $r"
	run_config "rate $r" on
	sql -c "ALTER DATABASE bench RESET kmersearch.max_appearance_rate"
	sql -c "DROP INDEX ref_seq_gin" -c "SELECT 1 FROM kmersearch_undo_highfreq_analysis('ref', 'seq')" >/dev/null
done

not_index=$(sql -c "SELECT count(*) FROM res WHERE NOT uses_index")
summary=$(sql -F ' | ' -c "
WITH m AS (
  SELECT config, qset, rate,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS med,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS p95
    FROM res GROUP BY 1, 2, 3)
SELECT '| ' || m.config, m.qset, m.rate, round(m.med::numeric, 1), round(m.p95::numeric, 1),
       round((b.med / m.med)::numeric, 2) || ' |'
  FROM m JOIN m b ON b.config = 'none' AND b.qset = m.qset AND b.rate = m.rate
 ORDER BY m.config = 'none' DESC, m.config, m.qset DESC, m.rate DESC")

report=$work/highfreq-report.md
{
	echo "# bench_highfreq.sh report"
	echo
	echo "commit $commit, $(date -u +'%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, PostgreSQL $(sql -c 'SHOW server_version')"
	echo
	if [ -n "$full_lines" ]; then echo "$full_lines"; echo; fi
	echo "ssu_ref_20k ($table_mb MB table), k = 16, occur_bitlen = 8; $((200 / step)) queries a set"
	echo
	echo "| exclusion | high-frequency k-mers | index MB | index / no exclusion |"
	echo "|---|---|---|---|"
	for c in none 0.05 0.5; do
		echo "| $c | ${hk[$c]} | ${size[$c]} | $(awk -v a="${size[$c]}" -v b="${size[none]}" 'BEGIN {printf "%.2f", a / b}') |"
	done
	echo
	echo "| exclusion | query set | =% rate | median ms | p95 ms | median speed-up vs none |"
	echo "|---|---|---|---|---|---|"
	echo "$summary"
	echo
	echo "queries whose plan did not use the GIN index: $not_index"
	echo "target: exclusion at rate 0.05 makes median latency at least 3x lower"
} > "$report"
cat "$report"
