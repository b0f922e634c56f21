#!/usr/bin/env bash
# bench/bench_profile.sh: where a search's time goes at full scale: the
# posting lists a query's keys bring, the candidates, the index scan's share
# of the time, and a CPU profile.
#
#   usage: bash bench/bench_profile.sh [--data DIR] [--queries N] [--refs FILE]
#                                      [--cluster DIR] [--perf]
#
#   --data DIR     a directory already prepared by ../shared/bench/prepare-data.sh
#                  (default: prepare one in bench/work/data)
#   --queries N    queries of each kind (default 20), the first N of
#                  queries_16s_250.fa and of queries_16s.fa
#   --refs FILE    the references, a file of DIR (default ssu_ref.fa: 204,065
#                  sequences; ssu_ref_20k.fa for a quick run)
#   --cluster DIR  keep the cluster in DIR (which the server's user must
#                  reach): made, loaded and indexed on the first run (8 minutes
#                  for the full set), reused after, updated to this build
#   --perf         also record a CPU profile of each search mode (perf record
#                  of the session's server process).  Debian's postgres
#                  keeps only its exported symbols: a static function's time
#                  shows under a nearby exported name, so read its lines as
#                  "GIN's code", not as the functions named
#
# With kmer_size 16 and occur_bitlen 8 (the defaults), for each query:
#   keys     its distinct A/C/G/T k-mers and the posting list length of each,
#            df (rows that have the k-mer), through the index, one k-mer a
#            search; its windows, and those with other codes
#   floor    for the queries of A/C/G/T only, at rates 0.9 and 0.5: threshold t
#            of n keys (a k-mer met j times is j keys, whose lists are at most
#            the first's); a row with t keys has one of any n - t + 1 of
#            them, so a filter that misses nothing reads at least the
#            n - t + 1 shortest lists: that sum against the sum of all lists
#            (what a count of every key reads), and what counting them all
#            costs when nothing but the counting is done: bench/count_postings.c
#            counts as many sorted row numbers into a 16-bit counter a row
#            (the counters fit in the cache; best of 5)
#   search   the statement of bench_search.sh (top 10 by score under =%) at
#            rates 0.9 and 0.5, and `SELECT id FROM ref WHERE seq =% q` under
#            kmersearch.min_identity = 0.97 on both strands (the workload of
#            bench_vsearch.sh; run once, after the others warmed the index),
#            with the extension's caches emptied: EXPLAIN (ANALYZE, BUFFERS) gives the
#            bitmap index scan's time, rows (candidates) and buffers, and the
#            whole statement's time; rows matched
# Medians over the queries of each kind are printed; each query's search
# figures are kept in bench/work/profile.tsv.
set -euo pipefail

data_dir=""
nq=20
refs=ssu_ref.fa
bench_keep_dir=""
perf=no
while [ $# -gt 0 ]; do
	case $1 in
		--data) data_dir=${2:?--data needs a directory}; shift 2 ;;
		--data=*) data_dir=${1#--data=}; shift ;;
		--queries) nq=${2:?--queries needs a number}; shift 2 ;;
		--refs) refs=${2:?--refs needs a file name}; shift 2 ;;
		--cluster) bench_keep_dir=${2:?--cluster needs a directory}; shift 2 ;;
		--perf) perf=yes; shift ;;
		-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
		*) echo "bench_profile.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done
case $nq in ''|*[!0-9]*|0) echo "bench_profile.sh: --queries takes a positive number" >&2; exit 2 ;; esac

BENCH=profile
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_data "$refs" queries_16s.fa queries_16s_250.fa
[ $perf = no ] || command -v perf >/dev/null || ks_need_packages linux-perf
bench_setup

ks_start_bench_cluster "$rundir"
sql() { ks_psql -q -A -t -F '|' -d bench "$@"; }
sql -c "ALTER EXTENSION pg_kmersearch UPDATE"

# ---------------------------------------------------------------- references
if [ -z "$(sql -c "SELECT 1 FROM pg_class WHERE relname = 'ref' AND relkind = 'r'")" ]; then
	log "load and index $refs"
	awk 'NR % 2 == 1 {n++; next} {print "r" n "\t" $0}' "$data_dir/$refs" > "$rundir/ref.tsv"
	chmod 644 "$rundir/ref.tsv"
	sql -1 <<-EOF
	CREATE TABLE ref (id serial PRIMARY KEY, acc text, seq dna4);
	COPY ref (acc, seq) FROM '$rundir/ref.tsv';
	CREATE INDEX ref_seq ON ref USING gin (seq);
	EOF
	sql -c "VACUUM ANALYZE ref"
	rm -f "$rundir/ref.tsv"
else
	log "reusing the indexed table ref of $rundir"
fi
nref=$(sql -c "SELECT count(*) FROM ref")
[ "$nref" -eq "$(awk 'NR % 2 == 0' "$data_dir/$refs" | wc -l)" ] \
	|| die "the table ref of $rundir has $nref rows, not the sequences of $refs"
[ -n "$(sql -c "SELECT 1 FROM pg_indexes WHERE tablename = 'ref' AND indexdef LIKE '%USING gin%unkeyed_windows%'")" ] \
	|| die "the table ref of $rundir has no GIN index made by this version (drop the table, or the directory)"

# ---------------------------------------------------------------- queries
awk -v n="$nq" 'NR % 2 == 0 {k++; print "250:" k "\t" $0; if (k == n) exit}' "$data_dir/queries_16s_250.fa" > "$rundir/pq.tsv"
awk -v n="$nq" 'NR % 2 == 0 {k++; print "16s:" k "\t" $0; if (k == n) exit}' "$data_dir/queries_16s.fa" >> "$rundir/pq.tsv"
chmod 644 "$rundir/pq.tsv"
sql <<EOF
DROP TABLE IF EXISTS pq, pdf, prun, pmem;
CREATE TABLE pq (name text PRIMARY KEY, query text);
COPY pq FROM '$rundir/pq.tsv';
-- distinct A/C/G/T k-mers of each query, how often each occurs in it, its posting list length
CREATE TABLE pdf (name text, kmer text, n int, df bigint, PRIMARY KEY (name, kmer));
-- one row a (query, mode): EXPLAIN ANALYZE's figures
CREATE TABLE prun (name text, mode text, ms float8, idx_ms float8, candidates bigint,
                   hit_blocks bigint, read_blocks bigint, matched bigint);
EOF

log "posting list lengths of the queries' k-mers (one k-mer a search)"
sql <<'EOF'
SET enable_seqscan = off;
SET kmersearch.min_shared_ngram_key_rate = 1;
SET kmersearch.min_score = 1;
INSERT INTO pdf (name, kmer, n)
SELECT name, w, count(*)
  FROM pq, generate_series(1, length(query) - 15) i, LATERAL substr(upper(query), i, 16) w
 WHERE w ~ '^[ACGT]{16}$'
 GROUP BY 1, 2;
CREATE TEMP TABLE kdf (kmer text PRIMARY KEY, df bigint);
DO $$
DECLARE r record; c bigint;
BEGIN
    -- each k-mer once, whatever queries have it
    FOR r IN SELECT DISTINCT kmer FROM pdf LOOP
        EXECUTE format('SELECT count(*) FROM ref WHERE seq =%% %L', r.kmer) INTO c;
        INSERT INTO kdf VALUES (r.kmer, c);
    END LOOP;
END $$;
UPDATE pdf SET df = kdf.df FROM kdf WHERE kdf.kmer = pdf.kmer;
EOF

# memory speed: counting each query's postings as lists of row numbers
log "counting the same number of postings at memory speed (bench/count_postings.c)"
cc -O2 -o "$work/count_postings" "$repo/bench/count_postings.c" || die "cannot compile bench/count_postings.c"
sql -c "COPY (SELECT name || ' ' || string_agg(df::text, ' ') FROM pdf GROUP BY name) TO STDOUT" \
	| "$work/count_postings" "$nref" > "$rundir/pmem.tsv"
chmod 644 "$rundir/pmem.tsv"
sql -c "CREATE TABLE pmem (name text PRIMARY KEY, postings bigint, ns float8)" \
	-c "COPY pmem FROM '$rundir/pmem.tsv'"

# explain_into MODE SETTINGS STATEMENT [COUNT]: for each query (%1$L in the
# statements), COUNT (the rows matched; a warm run), then EXPLAIN (ANALYZE,
# BUFFERS) of STATEMENT with the extension's caches emptied, into prun.
# Without COUNT, the rows matched are those of STATEMENT's plan.
explain_into() {
	local count="m := NULL;"
	[ -z "${4:-}" ] || count="EXECUTE format(\$f\$$4\$f\$, r.query) INTO m;"
	sql <<-EOF
	SET application_name = 'bench_profile';
	DO \$\$ BEGIN IF '$perf' = 'yes' THEN PERFORM pg_sleep(2); END IF; END \$\$;  -- for perf to attach
	$2
	DO \$\$
	DECLARE r record; p jsonb; i jsonb; m bigint;
	BEGIN
	    FOR r IN SELECT name, query FROM pq ORDER BY name LOOP
	        $count
	        PERFORM kmersearch_rawscore_cache_free(), kmersearch_query_pattern_cache_free(),
	                kmersearch_actual_min_score_cache_free();
	        EXECUTE format(\$f\$EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) $3\$f\$, r.query) INTO p;
	        i := jsonb_path_query_first(p, 'strict \$.**?(@."Node Type" == "Bitmap Index Scan")');
	        INSERT INTO prun VALUES (r.name, '$1', (p->0->>'Execution Time')::float8,
	                                 (i->>'Actual Total Time')::float8, (i->>'Actual Rows')::bigint,
	                                 (i->>'Shared Hit Blocks')::bigint, (i->>'Shared Read Blocks')::bigint,
	                                 coalesce(m, (p->0->'Plan'->>'Actual Rows')::bigint));
	    END LOOP;
	END \$\$;
	EOF
}

top10='SELECT id, kmersearch_rawscore(seq, %1$L) AS score FROM ref WHERE seq =%% %1$L ORDER BY score DESC LIMIT 10'
matches='SELECT id FROM ref WHERE seq =%% %1$L'
count='SELECT count(*) FROM ref WHERE seq =%% %1$L'
# prof NAME COMMAND...: COMMAND, and with --perf a CPU profile of the server
# process of its session (the one named bench_profile) into profile-NAME.txt
prof() {
	local name=$1 pid="" i perf_pid
	shift
	if [ $perf = no ]; then "$@"; return; fi
	"$@" &
	local cmd=$!
	for i in $(seq 50); do
		pid=$(sql -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'bench_profile'")
		[ -z "$pid" ] || break
		sleep 0.1
	done
	[ -n "$pid" ] || die "no session to profile"
	perf record -g -F 499 -p "$pid" -o "$work/profile-$name.data" >"$work/profile-$name.log" 2>&1 &
	perf_pid=$!
	wait "$cmd" || die "the $name searches failed"
	kill -INT "$perf_pid" 2>/dev/null || true
	wait "$perf_pid" || true
	{
		perf report -i "$work/profile-$name.data" --stdio --no-children -g none --sort dso 2>/dev/null
		perf report -i "$work/profile-$name.data" --stdio --no-children -g none --sort dso,sym \
			--percent-limit 1 2>/dev/null
	} | grep -E '^ +[0-9]' > "$work/profile-$name.txt" || true
}
for rate in 0.9 0.5; do
	log "top 10 at rate $rate"
	prof "rate$rate" explain_into "rate $rate" "SET kmersearch.min_shared_ngram_key_rate = $rate;" "$top10" "$count"
done
log "by identity, 0.97, both strands"
prof identity explain_into "identity 0.97" "SET kmersearch.strand = 'both'; SET kmersearch.min_identity = 0.97;" \
	"$matches"

# ---------------------------------------------------------------- report
printf '\npg_kmersearch %s; %s references (%s), %s + %s queries; %s\n\n' "$commit" "$nref" "$refs" "$nq" "$nq" "$(date -u +%Y-%m-%d)"
sql -P footer=off -A -F ' | ' <<EOF
\pset tuples_only off
-- the queries' windows
SELECT split_part(p.name, ':', 1) AS set, count(*) AS queries,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY length(p.query) - 15)::int AS windows,
       count(*) FILTER (WHERE w.acgt < length(p.query) - 15) AS queries_with_other_codes,
       sum(length(p.query) - 15 - w.acgt) AS windows_with_other_codes
  FROM pq p, LATERAL (SELECT coalesce(sum(n), 0) AS acgt FROM pdf d WHERE d.name = p.name) w
 GROUP BY 1 ORDER BY 1 DESC;

-- per query of A/C/G/T only: its keys, their lists; at each rate the floor
WITH q AS (
    SELECT p.name, count(*) AS kmers, sum(d.df) AS all_df,
           sum(d.n) AS nkeys   -- a k-mer met j times gives keys 1..j
      FROM pq p JOIN pdf d USING (name) GROUP BY p.name, p.query
    HAVING sum(d.n) = length(p.query) - 15),
ranked AS (
    SELECT d.name, d.df, row_number() OVER (PARTITION BY d.name ORDER BY d.df) AS rk FROM pdf d),
th AS (
    SELECT q.*, r.rate, greatest(1, ceil(r.rate * q.nkeys))::bigint AS t
      FROM q, (VALUES (0.9), (0.5)) r(rate)),
fl AS (
    SELECT th.*, (SELECT sum(df) FROM ranked x WHERE x.name = th.name
                     AND x.rk <= least(th.kmers, th.nkeys - th.t + 1)) AS floor_df
      FROM th)
SELECT split_part(name, ':', 1) AS set, rate, count(*) AS acgt_queries,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY kmers)::int AS kmers,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY t)::int AS threshold,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY all_df)::numeric / 1e6, 2) AS all_lists_m,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY all_df::float8 / kmers)::numeric / $nref * 100, 1) AS mean_df_pct,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY floor_df)::numeric / 1e3, 1) AS floor_lists_k,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY m.ns / 1e6)::numeric, 2) AS count_all_ms,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY m.ns / nullif(m.postings, 0))::numeric, 2) AS ns_a_posting
  FROM fl JOIN pmem m USING (name) GROUP BY 1, 2 ORDER BY 1 DESC, 2 DESC;

-- the k-mers' lists: how many are long
SELECT split_part(name, ':', 1) AS set,
       round(100.0 * count(*) FILTER (WHERE df > 0.5 * $nref) / count(*), 1) AS pct_kmers_in_half_the_rows,
       round(100.0 * count(*) FILTER (WHERE df > 0.1 * $nref) / count(*), 1) AS pct_in_a_tenth,
       round(100.0 * count(*) FILTER (WHERE df <= 0.01 * $nref) / count(*), 1) AS pct_in_1pct_or_less,
       round(100.0 * count(*) FILTER (WHERE df = 0) / count(*), 1) AS pct_in_none
  FROM pdf GROUP BY 1 ORDER BY 1 DESC;

SELECT split_part(name, ':', 1) AS set, mode, count(*) AS queries, count(idx_ms) AS used_the_index,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1) AS median_ms,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY idx_ms)::numeric, 1) AS index_scan_ms,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY candidates)::bigint AS candidates,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY matched)::bigint AS matched,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY hit_blocks + read_blocks)::bigint AS index_blocks
  FROM prun GROUP BY 1, 2 ORDER BY 1 DESC, 2 DESC;
EOF
sql -c "COPY (SELECT r.*, (SELECT sum(df) FROM pdf d WHERE d.name = r.name) AS all_df FROM prun r ORDER BY 1, 2) TO STDOUT" > "$work/profile.tsv"
if [ $perf = yes ]; then
	for f in "$work"/profile-*.txt; do
		printf '\n%s (perf report --no-children: by object, then functions at 1 %% and over):\n' "$(basename "$f" .txt)"
		head -30 "$f"
	done
fi
