#!/usr/bin/env bash
# bench/bench_kmer.sh: the kmer access method against GIN and vsearch on the
# same references and queries, in one run: index build time and size, the
# time of `SELECT count(*) FROM ref WHERE seq =% q` through each index, the
# search by identity (0.97, both strands, top 10) through the kmer index,
# and vsearch's time a query on its prebuilt index; the ratios.
#
#   usage: bash bench/bench_kmer.sh [--data DIR] [--queries N] [--refs FILE]
#                                   [--cluster DIR] [--mwm SIZE]
#                                   [--shared-buffers SIZE] [--id-queries N]
#                                   [--build-workers N] [--no-vsearch]
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
#   --id-queries N the search by identity with the first N queries of each
#                  kind (default 5: a full-length query takes seconds; 0
#                  leaves it out)
#   --build-workers N  a second kmer build with N parallel workers and the
#                  leader, timed (default: the cores less one; 0 leaves it
#                  out); the other builds and every search use one core
#   --no-vsearch   leave vsearch out
#
# The kmer index is built in every run.  Each search runs on one core with
# the other index dropped inside a transaction that is rolled back, warm
# (every relation read into shared buffers first, and one untimed round);
# medians and p95 over the queries, and GIN's time over kmer's.  The rows
# found must be the same through both indexes, or the script fails.
#
# By identity: SELECT id FROM ref WHERE seq =% q ORDER BY
# kmersearch_identity(seq, q) DESC, id LIMIT 10 under
# kmersearch.min_identity = 0.97 and kmersearch.strand = both, each query
# alone through the kmer index; and whether vsearch's best hit is among them.
#
# vsearch (installed as root when missing): --makeudb_usearch (timed, one
# thread), then for each kind and strand (plus; both)
#   --usearch_global Q.fa --db ref.udb --id 0.97 --strand S --maxaccepts 10
#   --threads 1
# over the --queries queries of the kind (repeated to make 1,000 searches
# of reads and 400 of full-length queries), once for all and twice for the
# first alone: its time a query is the difference from the faster of those
# over the others (what reading the UDB costs every run left out).  The ratios are ours over
# vsearch's (below 1: faster than vsearch); the plus-strand modes are set
# against its plus-strand search, the others against both strands.
set -euo pipefail

data_dir=""
nq=20
refs=ssu_ref.fa
bench_keep_dir=""
mwm=1GB
sb=4GB
nid=5
vsearch=yes
bw=$(( $(nproc) - 1 ))
while [ $# -gt 0 ]; do
	case $1 in
		--data) data_dir=${2:?--data needs a directory}; shift 2 ;;
		--queries) nq=${2:?--queries needs a number}; shift 2 ;;
		--refs) refs=${2:?--refs needs a file name}; shift 2 ;;
		--cluster) bench_keep_dir=${2:?--cluster needs a directory}; shift 2 ;;
		--mwm) mwm=${2:?--mwm needs a size}; shift 2 ;;
		--shared-buffers) sb=${2:?--shared-buffers needs a size}; shift 2 ;;
		--id-queries) nid=${2:?--id-queries needs a number}; shift 2 ;;
		--no-vsearch) vsearch=no; shift ;;
		--build-workers) bw=${2:?--build-workers needs a number}; shift 2 ;;
		-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
		*) echo "bench_kmer.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done
case $nq in ''|*[!0-9]*|0) echo "bench_kmer.sh: --queries takes a positive number" >&2; exit 2 ;; esac
case $nid in ''|*[!0-9]*) echo "bench_kmer.sh: --id-queries takes a number" >&2; exit 2 ;; esac
case $bw in ''|*[!0-9]*) echo "bench_kmer.sh: --build-workers takes a number" >&2; exit 2 ;; esac
[ "$nid" -le "$nq" ] || { echo "bench_kmer.sh: --id-queries is at most --queries ($nq)" >&2; exit 2; }

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
	sql -c "SELECT 'A'::dna4" -c "SET maintenance_work_mem = '$mwm'" -c "SET max_parallel_maintenance_workers = 0" \
		-c "CREATE INDEX ref_seq ON ref USING gin (seq)" >/dev/null
	sql -c "INSERT INTO kbuild VALUES ('gin', $(seconds) - $t0)
	        ON CONFLICT (method) DO UPDATE SET seconds = EXCLUDED.seconds"
	gin=ref_seq
fi
# each build's session loads the module first ('A'::dna4), so that CREATE
# INDEX writes the options into the index (unkeyed_windows='true' among
# them: an index without it does not serve searches by identity)
sql -c "ALTER TABLE kbuild ADD COLUMN IF NOT EXISTS bytes bigint" -c "DELETE FROM kbuild WHERE method LIKE 'kmer%'"
sql -c "DROP INDEX IF EXISTS ref_kmer, ref_kmer_parallel"
if [ "$bw" -gt 0 ]; then
	log "kmer index with $bw parallel workers (maintenance_work_mem $mwm)"
	t0=$(seconds)
	sql -c "SELECT 'A'::dna4" -c "SET maintenance_work_mem = '$mwm'" -c "SET max_parallel_maintenance_workers = $bw" \
		-c "ALTER TABLE ref SET (parallel_workers = $bw)" \
		-c "CREATE INDEX ref_kmer_parallel ON ref USING kmer (seq)" -c "ALTER TABLE ref RESET (parallel_workers)" >/dev/null
	sql -c "INSERT INTO kbuild VALUES ('kmer, $bw parallel worker$([ "$bw" = 1 ] || echo s)', $(seconds) - $t0,
	                                  pg_relation_size('ref_kmer_parallel'))"
	sql -c "DROP INDEX ref_kmer_parallel"
fi
log "kmer index (maintenance_work_mem $mwm)"
t0=$(seconds)
sql -c "SELECT 'A'::dna4" -c "SET maintenance_work_mem = '$mwm'" -c "SET max_parallel_maintenance_workers = 0" \
	-c "CREATE INDEX ref_kmer ON ref USING kmer (seq)" >/dev/null
sql -c "INSERT INTO kbuild VALUES ('kmer', $(seconds) - $t0, pg_relation_size('ref_kmer'))"

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

if [ "$nid" -gt 0 ]; then
	log "searches by identity through the kmer index"
	# the module loaded (SELECT 'A'::dna4 above), CREATE INDEX wrote unkeyed_windows='true',
	# without which the planner keeps the index out of searches by identity
	plan=$(sql -c "BEGIN" -c "DROP INDEX $gin" -c "SET kmersearch.strand = 'both'" -c "SET kmersearch.min_identity = 0.97" -c "SET enable_seqscan = off" \
		-c "EXPLAIN (COSTS OFF) SELECT id FROM ref WHERE seq =% (SELECT query FROM kq LIMIT 1)" -c "ROLLBACK")
	grep -q 'ref_kmer' <<<"$plan" || die "the search by identity does not use the kmer index: $plan"
	sql <<EOF >/dev/null
DROP TABLE IF EXISTS itop;
CREATE TABLE itop (name text, ids integer[], ms float8);
BEGIN;
DROP INDEX $gin;
SET LOCAL kmersearch.strand = 'both';
SET LOCAL kmersearch.min_identity = 0.97;
SET LOCAL enable_seqscan = off;
DO \$\$
DECLARE r record; t0 timestamptz; got integer[];
BEGIN
    FOR r IN SELECT name, query, row_number() OVER (PARTITION BY split_part(name, ':', 1) ORDER BY name) AS k
               FROM kq WHERE split_part(name, ':', 2)::int <= $nid ORDER BY k, name LOOP
        -- the first of each kind once untimed (the caches), then timed;
        -- planned for the query's text, as an application would send it
        FOR i IN (CASE WHEN r.k = 1 THEN 1 ELSE 2 END) .. 2 LOOP
            PERFORM kmersearch_rawscore_cache_free();
            t0 := clock_timestamp();
            EXECUTE format('SELECT coalesce(array_agg(id), ''{}'') FROM (SELECT id FROM ref WHERE seq =%% %L
                             ORDER BY kmersearch_identity(seq, %L) DESC, id LIMIT 10) t', r.query, r.query) INTO got;
        END LOOP;
        INSERT INTO itop VALUES (r.name, got, extract(epoch FROM clock_timestamp() - t0) * 1000);
    END LOOP;
END \$\$;
COPY itop TO '$rundir/itop.tsv';
ROLLBACK;
EOF
	sql -c "COPY itop FROM '$rundir/itop.tsv'"
	sql -c "INSERT INTO runs SELECT 'kmer', split_part(name, ':', 1), 'identity 0.97, both strands, top 10', name, ms,
	                                cardinality(ids) FROM itop"
fi

sql -c "DROP TABLE IF EXISTS vtime" -c "CREATE TABLE vtime (kind text, strand text, ms float8, one_s float8)" \
	-c "DROP TABLE IF EXISTS vhit" -c "CREATE TABLE vhit (query text, target text, id float8, strand text, kstrand text)"
if [ $vsearch = yes ]; then
	bench_vsearch_udb
	for kind in 250 16s; do
		# each query as often as makes 1,000 searches of reads, 400 of
		# full-length queries: vsearch's time a query is a difference of two
		# runs that both read the UDB (6 s for the full set), noisy over few
		want=$([ $kind = 250 ] && echo 1000 || echo 400)
		awk -F '\t' -v k="$kind" -v n=$(( (want + nq - 1) / nq )) \
			'split($1, a, ":") && a[1] == k {q[++m] = ">" $1 "\n" $2}
			 END {for (r = 0; r < n; r++) for (i = 1; i <= m; i++) print q[i]}' "$rundir/kq.tsv" > "$rundir/q-$kind.fa"
		for strand in plus both; do
			log "vsearch: $kind queries, strand $strand"
			bench_vsearch_search "$rundir/q-$kind.fa" "$rundir/vs-$kind-$strand.tsv" \
				--id 0.97 --strand $strand --maxaccepts 10
			chmod 644 "$rundir/vs-$kind-$strand.tsv"
			sql -c "INSERT INTO vtime VALUES ('$kind', '$strand', $vs_ms, $vs_one_s)" \
				-c "CREATE TEMP TABLE v (query text, target text, id float8, strand text)" \
				-c "COPY v FROM '$rundir/vs-$kind-$strand.tsv'" \
				-c "INSERT INTO vhit SELECT *, '$strand' FROM v"
		done
	done
	rm -f "$rundir/ref.fa" "$rundir/ref.udb"
fi

# ---------------------------------------------------------------- report
printf '\npg_kmersearch %s; %s references (%s), %s + %s queries, one core; %s\n' \
	"$commit" "$nref" "$refs" "$nq" "$nq" "$(date -u +%Y-%m-%d)"
[ $vsearch = no ] || printf '%s: --id 0.97 --maxaccepts 10 --threads 1, its time a query beyond the first\n' \
	"$(vsearch --version 2>&1 | sed -n 1p | cut -d, -f1)"
echo
sql -P footer=off -F ' | ' <<EOF
\pset tuples_only off
SELECT m.method, round(m.seconds::numeric, 1) AS build_s, pg_size_pretty(m.bytes) AS size,
       round((m.seconds / v.seconds)::numeric, 2) AS time_over_vsearch,
       round(m.bytes::numeric / v.bytes, 2) AS size_over_vsearch
  FROM (SELECT 'gin', b.seconds, pg_relation_size('$gin') FROM kbuild b WHERE b.method = 'gin'
        UNION ALL SELECT b.method, b.seconds, b.bytes FROM kbuild b WHERE b.method LIKE 'kmer%'
        UNION ALL SELECT 'vsearch', ${udb_s:-NULL}, ${udb_bytes:-NULL}) m(method, seconds, bytes)
  CROSS JOIN (SELECT ${udb_s:-NULL}::float8, ${udb_bytes:-NULL}::bigint) v(seconds, bytes)
 WHERE m.seconds IS NOT NULL;
EOF
echo
bench_runs_report gin kmer gin_over_kmer "through the kmer index than through GIN"
echo
sql -P footer=off -F ' | ' <<EOF
\pset tuples_only off
SELECT r.kind, r.mode, sum(r.found) AS rows_found,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY r.ms)::numeric, 1) AS kmer_ms,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY r.ms)::numeric, 1) AS kmer_p95,
       round(min(v.ms)::numeric, 1) AS vsearch_ms,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY r.ms) / min(v.ms))::numeric, 2) AS kmer_over_vsearch
  FROM runs r LEFT JOIN vtime v
       ON v.kind = r.kind AND v.strand = CASE WHEN r.mode LIKE '%both%' THEN 'both' ELSE 'plus' END
 WHERE r.label = 'kmer'
 GROUP BY 1, 2 ORDER BY 1 DESC, 2 DESC;
EOF
if [ "$nid" -gt 0 ] && [ $vsearch = yes ]; then
	printf '\nBy identity: the queries with a vsearch hit (strand both), its best hit among our top 10, our best identity at least its (within 0.05 points)\n'
	sql -P footer=off -F ' | ' <<'EOF'
\pset tuples_only off
SET kmersearch.strand = 'both';
WITH best AS (SELECT DISTINCT ON (query) query, target, id FROM vhit WHERE kstrand = 'both'
               ORDER BY query, id DESC, target),
     per AS (SELECT i.name, b.id AS vsearch_id, r.id = ANY (i.ids) AS found,
                    (SELECT max(100 * kmersearch_identity(x.seq, q.query)) FROM ref x WHERE x.id = ANY (i.ids)) AS ours
               FROM itop i JOIN kq q USING (name) JOIN best b ON b.query = i.name JOIN ref r ON r.acc = b.target)
SELECT split_part(name, ':', 1) AS kind, count(*) AS with_vsearch_hit, count(*) FILTER (WHERE found) AS best_in_our_top_10,
       count(*) FILTER (WHERE ours >= vsearch_id - 0.05) AS our_best_as_good
  FROM per GROUP BY 1 ORDER BY 1 DESC;
EOF
fi
