#!/usr/bin/env bash
# bench/bench_vsearch.sh: search by identity against vsearch, side by side,
# on the full SILVA SSU set.
#
#   usage: bash bench/bench_vsearch.sh [--data DIR] [--queries N] [--id T] [--refs FILE]
#
#   --data DIR     a directory already prepared by ../shared/bench/prepare-data.sh
#                  (default: prepare one in bench/work/data)
#   --queries N    queries of each kind (default 200: all of them)
#   --id T         the minimum identity (default 0.97)
#   --refs FILE    the references, a file of DIR (default ssu_ref.fa: 204,065
#                  sequences; ssu_ref_20k.fa for a quick run)
#
# Queries: the full-length 16S sequences of queries_16s.fa and the 250-base
# reads of queries_16s_250.fa, every second one reverse complemented.
#   vsearch  --makeudb_usearch (timed apart), then
#            --usearch_global q.fa --db ref.udb --id T --strand both --threads 1
#            (its defaults otherwise: the best hit, after at most 32 rejects),
#            once for all queries; a query's time is the total over the count,
#            and beyond the first (the search of the first query alone is
#            timed too: most of it is reading the UDB, as every run does)
#   ours     COPY into ref(id, acc, seq dna4), CREATE INDEX ... USING gin (seq)
#            (timed), then for each query, alone, on one core:
#            SET kmersearch.strand = 'both'; SET kmersearch.min_identity = T;
#            SELECT id FROM ref WHERE seq =% q   (every row at or above T)
#            timed (median and p95), after one untimed query of each kind.
#   recall   of vsearch's hits (query, reference) in ours; and how many of
#            ours vsearch has (its default reports one hit a query, so ours
#            are a superset where the search is right).
#
# Everything it writes goes to bench/work/ (git-ignored) and to a temporary
# directory in /tmp (the cluster, removed on exit).  It needs vsearch (which
# it installs as root).
set -euo pipefail

data_dir=""
nq=200
min_id=0.97
refs=ssu_ref.fa
while [ $# -gt 0 ]; do
	case $1 in
		--data) data_dir=${2:?--data needs a directory}; shift 2 ;;
		--data=*) data_dir=${1#--data=}; shift ;;
		--queries) nq=${2:?--queries needs a number}; shift 2 ;;
		--id) min_id=${2:?--id needs a value}; shift 2 ;;
		--refs) refs=${2:?--refs needs a file name}; shift 2 ;;
		-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
		*) echo "bench_vsearch.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done
case $nq in ''|*[!0-9]*|0) echo "bench_vsearch.sh: --queries takes a positive number" >&2; exit 2 ;; esac

BENCH=vsearch
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_data "$refs" queries_16s.fa queries_16s_250.fa
bench_setup

# ---------------------------------------------------------------- inputs
# references named r1, r2, ... (FASTA and one "name<TAB>sequence" a line);
# queries "16s:n" and "250:n", every second 250-base read reverse complemented
awk 'NR % 2 == 1 {n++; next} {print "r" n "\t" $0}' "$data_dir/$refs" > "$rundir/ref.tsv"
awk -v n="$nq" 'NR % 2 == 0 {k++; print ">16s:" k; print; if (k == n) exit}' "$data_dir/queries_16s.fa" > "$rundir/q.fa"
awk -v n="$nq" 'BEGIN {split("A C G T R Y K M B V D H S W N", f, " "); split("T G C A Y R M K V B H D S W N", t, " ");
                       for (i in f) c[f[i]] = t[i]}
     NR % 2 == 0 {k++; s = $0
                  if (k % 2 == 0) { r = ""; for (i = length(s); i > 0; i--) r = r c[substr(s, i, 1)]; s = r }
                  print ">250:" k; print s; if (k == n) exit}' "$data_dir/queries_16s_250.fa" >> "$rundir/q.fa"
awk 'NR % 2 == 1 {name = substr($0, 2); next} {print name "\t" $0}' "$rundir/q.fa" > "$rundir/q.tsv"
nref=$(wc -l < "$rundir/ref.tsv")
nquery=$(wc -l < "$rundir/q.tsv")

# ---------------------------------------------------------------- vsearch
bench_vsearch_udb
log "vsearch: $nquery queries"
bench_vsearch_search "$rundir/q.fa" "$rundir/vs.tsv" --id "$min_id" --strand both
one_s=$vs_one_s

# ---------------------------------------------------------------- ours
log "initdb and start a scratch PostgreSQL cluster in $rundir"
chmod 644 "$rundir/ref.tsv" "$rundir/q.tsv" "$rundir/vs.tsv"
ks_start_bench_cluster "$rundir"
sql() { ks_psql -q -A -t -F '|' -d bench "$@"; }
log "load and index $nref references"
out=$(ks_psql -q -A -t -d bench <<EOF
CREATE TABLE ref (id serial PRIMARY KEY, acc text, seq dna4);
CREATE TABLE q (name text PRIMARY KEY, query text);
COPY q FROM '$rundir/q.tsv';
CREATE TABLE vs (query text, target text, id float8, strand text);
COPY vs FROM '$rundir/vs.tsv';
CREATE TABLE ours (name text, ids integer[], ms float8);
\timing on
COPY ref (acc, seq) FROM '$rundir/ref.tsv';
CREATE INDEX ref_seq ON ref USING gin (seq);
\timing off
VACUUM ANALYZE ref;
EOF
)
load_ms=$(awk '/^Time: /{n++; if (n == 1) print $2}' <<<"$out")
build_ms=$(awk '/^Time: /{n++; if (n == 2) print $2}' <<<"$out")

log "ours: $nquery queries, each alone"
sql <<EOF
SET kmersearch.strand = 'both';
SET kmersearch.min_identity = $min_id;
DO \$\$
DECLARE
    r record;
    t timestamptz;
    got integer[];
BEGIN
    -- warm-up: one query of each kind, untimed (the index into the caches)
    PERFORM count(*) FROM ref, (SELECT DISTINCT ON (split_part(name, ':', 1)) query FROM q ORDER BY split_part(name, ':', 1), name) w
     WHERE seq =% w.query;
    FOR r IN SELECT name, query FROM q ORDER BY name LOOP
        t := clock_timestamp();
        -- planned for this query's text (a generic plan could leave the index out)
        EXECUTE format('SELECT coalesce(array_agg(id ORDER BY id), ''{}'') FROM ref WHERE seq =%% %L', r.query) INTO got;
        INSERT INTO ours VALUES (r.name, got, 1000 * extract(epoch FROM clock_timestamp() - t));
    END LOOP;
END
\$\$;
EOF
plan=$(sql -c "SET kmersearch.strand = 'both'; SET kmersearch.min_identity = $min_id;
EXPLAIN (COSTS OFF) SELECT id FROM ref WHERE seq =% (SELECT query FROM q LIMIT 1)" | grep -c 'Bitmap Index Scan' || true)

printf '\npg_kmersearch %s against %s; %s references (%s), %s queries, identity %s, both strands; %s\n' \
	"$commit" "$(vsearch --version 2>&1 | sed -n 1p | cut -d, -f1)" "$nref" "$refs" "$nquery" "$min_id" "$(date -u +%Y-%m-%d)"
printf 'vsearch: UDB %.1f s; search %.1f s for %s queries, %.1f ms a query (amortised, one thread)\n' \
	"$udb_s" "$vs_s" "$nquery" "$(echo "1000 * $vs_s / $nquery" | bc -l)"
printf '         one query alone %.1f s (most of it reading the UDB): %.1f ms a query beyond that\n' \
	"$one_s" "$vs_ms"
printf 'ours:    COPY %.1f s, CREATE INDEX %.1f s; the search used the GIN index: %s\n\n' \
	"$(echo "$load_ms / 1000" | bc -l)" "$(echo "$build_ms / 1000" | bc -l)" "$([ "$plan" -gt 0 ] && echo yes || echo NO)"
sql -P footer=off -A -F ' | ' <<'EOF'
\pset tuples_only off
WITH vh AS (SELECT v.query, r.id FROM vs v JOIN ref r ON r.acc = v.target),
     per AS (
    SELECT o.name, o.ms, cardinality(o.ids) AS n,
           (SELECT count(*) FROM vh WHERE vh.query = o.name) AS vhits,
           (SELECT count(*) FROM vh WHERE vh.query = o.name AND vh.id = ANY (o.ids)) AS vfound
      FROM ours o)
SELECT split_part(name, ':', 1) AS set, count(*) AS queries,
       sum(vhits) AS vsearch_hits, sum(vfound) AS found_by_us,
       round(100.0 * sum(vfound) / nullif(sum(vhits), 0), 2) AS recall_pct,
       sum(n) AS our_hits, count(*) FILTER (WHERE n > 0) AS queries_with_hits,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1) AS median_ms,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY ms)::numeric, 1) AS p95_ms
  FROM per GROUP BY 1 ORDER BY 1;
EOF
printf '\nvsearch hits we do not return (query, reference, strand, vsearch identity, ours and our coverage on that strand):\n'
# ours on vsearch's strand (the query, or its reverse complement)
sql -c "SET kmersearch.strand = plus;
SELECT v.query, v.target, v.strand, v.id, round((100 * a.identity)::numeric, 2) AS ours,
       round(((a.matches + a.mismatches)::float8 / length(q.query))::numeric, 3) AS coverage
  FROM vs v JOIN ref r ON r.acc = v.target JOIN q ON q.name = v.query JOIN ours o ON o.name = v.query,
       kmersearch_align(r.seq, CASE v.strand WHEN '-' THEN kmersearch_revcomp(q.query) ELSE q.query END) a
 WHERE NOT r.id = ANY (o.ids) ORDER BY 1"
