#!/usr/bin/env bash
# bench/bench_identity.sh: the search by identity (kmersearch.min_identity)
# against brute force on real rRNA data: recall and precision of =%, and
# what a search costs.
#
#   usage: bash bench/bench_identity.sh [--data DIR] [--refs N] [--queries N] [--id T]
#
#   --data DIR     a directory already prepared by ../shared/bench/prepare-data.sh
#                  (default: prepare one in bench/work/data)
#   --refs N       references: the first N of ssu_ref_20k.fa (default 5000)
#   --queries N    queries of each kind (default 20)
#   --id T         kmersearch.min_identity (default 0.97)
#
# The references are loaded as dna4 (SILVA keeps its IUPAC codes and runs
# of N) with a GIN index.  The queries are the first N full-length 16S
# sequences of queries_16s.fa and the first N 250-base reads of
# queries_16s_250.fa, every second one reverse complemented, searched on
# both strands.  For each query, =% (through the index) is compared with
# brute force: every reference aligned (kmersearch_align), kept when its
# identity reaches T and it covers kmersearch.min_query_coverage (0.5) of
# the query.  Recall is the brute-force hits =% returns; precision, the rows
# =% returns that brute force keeps.  The brute force runs in two sessions
# at once.  The search times are one core's, a search after a first warm-up
# of the same query.
#
# Everything it writes goes to bench/work/ (git-ignored) and to a temporary
# directory in /tmp (the cluster, removed on exit).
set -euo pipefail

data_dir=""
nrefs=5000
nq=20
min_id=0.97
while [ $# -gt 0 ]; do
	case $1 in
		--data) data_dir=${2:?--data needs a directory}; shift 2 ;;
		--data=*) data_dir=${1#--data=}; shift ;;
		--refs) nrefs=${2:?--refs needs a number}; shift 2 ;;
		--queries) nq=${2:?--queries needs a number}; shift 2 ;;
		--id) min_id=${2:?--id needs a value}; shift 2 ;;
		-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
		*) echo "bench_identity.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done
case $nrefs$nq in *[!0-9]*) echo "bench_identity.sh: --refs and --queries take numbers" >&2; exit 2 ;; esac

BENCH=identity
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_data ssu_ref_20k.fa queries_16s.fa queries_16s_250.fa
bench_setup

# one sequence a line: references, then queries as "set:n<TAB>sequence"
awk -v n="$nrefs" 'NR % 2 == 0 {print; if (++k == n) exit}' "$data_dir/ssu_ref_20k.fa" > "$rundir/ref.txt"
awk -v n="$nq" 'NR % 2 == 0 {k++; print "16s:" k "\t" $0; if (k == n) exit}' "$data_dir/queries_16s.fa" > "$rundir/q.tsv"
awk -v n="$nq" 'BEGIN {split("A C G T R Y K M B V D H S W N", f, " "); split("T G C A Y R M K V B H D S W N", t, " ");
                       for (i in f) c[f[i]] = t[i]}
     NR % 2 == 0 {k++; s = $0
                  if (k % 2 == 0) { r = ""; for (i = length(s); i > 0; i--) r = r c[substr(s, i, 1)]; s = r }
                  print "250:" k "\t" s; if (k == n) exit}' "$data_dir/queries_16s_250.fa" >> "$rundir/q.tsv"
chmod 644 "$rundir/ref.txt" "$rundir/q.tsv"

log "initdb and start a scratch PostgreSQL cluster in $rundir"
ks_start_bench_cluster "$rundir"
sql() { ks_psql -q -A -t -F '|' -d bench "$@"; }
log "loading $(wc -l < "$rundir/ref.txt") references and indexing them"
sql <<EOF
CREATE TABLE ref (id serial PRIMARY KEY, seq dna4);
COPY ref (seq) FROM '$rundir/ref.txt';
CREATE INDEX ref_seq ON ref USING gin (seq);
VACUUM ANALYZE ref;
CREATE TABLE q (name text PRIMARY KEY, query text);
COPY q FROM '$rundir/q.tsv';
CREATE TABLE brute (name text, ids integer[]);
CREATE TABLE ours (name text, ids integer[], ms float8, candidates bigint);
EOF

settings="SET kmersearch.strand = 'both'; SET kmersearch.min_identity = $min_id;"
# brute force: every reference aligned, the queries split over two sessions
log "brute force: $(wc -l < "$rundir/q.tsv") queries against every reference, two sessions"
t0=$(date +%s)
for part in 0 1; do
	# each strand aligned alone (=% matches on either)
	sql -c "$settings
SET kmersearch.strand = plus;
INSERT INTO brute
SELECT name, (SELECT coalesce(array_agg(DISTINCT id ORDER BY id), '{}')
                FROM ref, unnest(ARRAY[query, kmersearch_revcomp(query)]) s, kmersearch_align(seq, s) a
               WHERE a.identity >= $min_id
                 AND (a.matches + a.mismatches)::float8 / length(query)
                     >= current_setting('kmersearch.min_query_coverage')::float8)
  FROM q WHERE hashtext(name) & 1 = $part" &
done
wait
t1=$(date +%s)

log "=% through the index"
sql <<EOF
$settings
SET enable_seqscan = off;
DO \$\$
DECLARE
    r record;
    t timestamptz;
    got integer[];
    line text;
    cand bigint;
BEGIN
    FOR r IN SELECT name, query FROM q ORDER BY name LOOP
        PERFORM count(*) FROM ref WHERE seq =% r.query;   -- warm-up
        t := clock_timestamp();
        -- planned for this query's text (a generic plan could leave the index out)
        EXECUTE format('SELECT coalesce(array_agg(id ORDER BY id), ''{}'') FROM ref WHERE seq =%% %L', r.query) INTO got;
        cand := NULL;
        FOR line IN EXECUTE format('EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF, SUMMARY OFF) SELECT id FROM ref WHERE seq =%% %L', r.query) LOOP
            IF line ~ 'Seq Scan' THEN
                RAISE EXCEPTION 'the index was not used';
            END IF;
            cand := coalesce(cand, 0) + coalesce(substring(line FROM 'Rows Removed by Index Recheck: (\d+)')::bigint, 0);
        END LOOP;
        INSERT INTO ours VALUES (r.name, got, 1000 * extract(epoch FROM clock_timestamp() - t), cand);
    END LOOP;
END
\$\$;
EOF

printf '\npg_kmersearch %s; %s references (ssu_ref_20k.fa), min_identity %s, both strands, coverage 0.5; %s\n' \
	"$commit" "$nrefs" "$min_id" "$(date -u +%Y-%m-%d)"
printf 'brute force: %s s for all queries (two sessions)\n\n' "$((t1 - t0))"
sql -P footer=off -A -F ' | ' <<'EOF'
\pset tuples_only off
SELECT split_part(b.name, ':', 1) AS set, count(*) AS queries,
       count(*) FILTER (WHERE cardinality(b.ids) > 0) AS with_hits,
       sum(cardinality(b.ids)) AS brute_hits,
       sum(cardinality(o.ids)) AS our_hits,
       sum((SELECT count(*) FROM unnest(b.ids) x WHERE x = ANY (o.ids))) AS found,
       sum((SELECT count(*) FROM unnest(b.ids) x WHERE NOT x = ANY (o.ids))) AS missed,
       sum((SELECT count(*) FROM unnest(o.ids) x WHERE NOT x = ANY (b.ids))) AS extra,
       round(avg(o.candidates + cardinality(o.ids))) AS mean_aligned,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY o.ms)::numeric, 1) AS median_ms,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY o.ms)::numeric, 1) AS p95_ms
  FROM brute b JOIN ours o USING (name) GROUP BY 1 ORDER BY 1;
EOF
missed=$(sql -c "SELECT count(*) FROM brute b JOIN ours o USING (name) WHERE b.ids IS DISTINCT FROM o.ids")
if [ "$missed" != 0 ]; then
	echo "bench_identity.sh: $missed queries differ from brute force" >&2
	exit 1
fi
