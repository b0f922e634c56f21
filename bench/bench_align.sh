#!/usr/bin/env bash
# bench/bench_align.sh: kmersearch_align against vsearch on real rRNA pairs:
# how often the two agree, and what an alignment costs, in one run.
#
#   usage: bash bench/bench_align.sh [--data DIR]
#
#   --data DIR   a directory already prepared by ../shared/bench/prepare-data.sh
#                (default: prepare one in bench/work/data)
#
# The pairs are vsearch's own: each of the 200 full-length 16S queries
# (queries_16s.fa) and of their 250-base pieces (queries_16s_250.fa, every
# second one reverse complemented, so that half are on the minus strand),
# with the first reference of ssu_ref_20k.fa that vsearch accepts at 70 %
# (--usearch_global --id 0.7 --strand both --maxaccepts 1 --threads 1).
# For each pair, vsearch's strand, matches, mismatches, gap columns, gap
# openings, alignment length and identity are compared with
# kmersearch_align's (kmersearch.strand = both); then every pair is aligned
# again with kmersearch_identity, timed (wall and backend CPU, one core).
#
# Everything it writes goes to bench/work/ (git-ignored) and to a temporary
# directory in /tmp (the cluster, removed on exit).  It needs vsearch (which
# it installs as root).
set -euo pipefail

data_dir=""
while [ $# -gt 0 ]; do
	case $1 in
		--data) data_dir=${2:?--data needs a directory}; shift 2 ;;
		--data=*) data_dir=${1#--data=}; shift ;;
		-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
		*) echo "bench_align.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done

BENCH=align
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_data ssu_ref_20k.fa queries_16s.fa queries_16s_250.fa
ks_need_packages vsearch
bench_setup

# ---------------------------------------------------------------- vsearch's pairs
# queries as "set:n" names; the 250-base set with every second one reverse complemented
awk 'NR % 2 == 1 {n++; next} {print ">16s:" n; print}' "$data_dir/queries_16s.fa" > "$rundir/q.fa"
awk 'NR % 2 == 1 {n++; next}
     {s = $0; if (n % 2 == 0) { r = ""; for (i = length(s); i > 0; i--) r = r c[substr(s, i, 1)]; s = r }
      print ">250:" n; print s}
     BEGIN {split("A C G T R Y K M B V D H S W N", f, " "); split("T G C A Y R M K V B H D S W N", t, " ");
            for (i in f) c[f[i]] = t[i]}' "$data_dir/queries_16s_250.fa" >> "$rundir/q.fa"
awk 'NR % 2 == 1 {n++; print ">r" n; next} {print}' "$data_dir/ssu_ref_20k.fa" > "$rundir/ref.fa"
log "vsearch: $(grep -c '^>' "$rundir/q.fa") queries against $(grep -c '^>' "$rundir/ref.fa") references"
t0=$(date +%s.%N)
vsearch --usearch_global "$rundir/q.fa" --db "$rundir/ref.fa" --id 0.7 --strand both --maxaccepts 1 \
	--threads 1 --quiet --userout "$rundir/vs.tsv" \
	--userfields query+target+qstrand+ids+mism+gaps+opens+alnlen+qilo+qihi+tilo+tihi+id 2>"$work/align-vsearch.log" \
	|| die "vsearch failed, see $work/align-vsearch.log"
t1=$(date +%s.%N)
# the pairs: name, query, target, and vsearch's fields
awk -F'\t' 'FNR == NR {if (FNR % 2 == 1) name = substr($0, 2); else q[name] = $0; next}
            FILENAME == ARGV[2] {if (FNR % 2 == 1) name = substr($0, 2); else r[name] = $0; next}
            {print $1 "\t" q[$1] "\t" r[$2] "\t" $3 "\t" $4 "\t" $5 "\t" $6 "\t" $7 "\t" $8 "\t" $9 "\t" $10 "\t" $11 "\t" $12 "\t" $13}' \
	"$rundir/q.fa" "$rundir/ref.fa" "$rundir/vs.tsv" > "$rundir/pairs.tsv"

# ---------------------------------------------------------------- ours
log "initdb and start a scratch PostgreSQL cluster in $rundir"
chmod 644 "$rundir/pairs.tsv"
ks_start_bench_cluster "$rundir"
sql() { ks_psql -q -A -t -F '|' -d bench "$@"; }
sql <<EOF
CREATE TABLE pairs (name text, query text, seq dna4, strand text, ids int, mism int, gaps int, opens int,
                    alnlen int, qilo int, qihi int, tilo int, tihi int, id float8);
COPY pairs FROM '$rundir/pairs.tsv';
SET kmersearch.strand = 'both';
CREATE TABLE ours AS SELECT name, a.* FROM pairs, kmersearch_align(seq, query) a;
EOF

printf '\npg_kmersearch %s, parasail, against %s; %s\n' "$commit" "$(vsearch --version 2>&1 | sed -n 1p | cut -d, -f1)" "$(date -u +%Y-%m-%d)"
printf 'vsearch found and aligned %s pairs in %.1f s (search included, one thread)\n\n' \
	"$(wc -l < "$rundir/pairs.tsv")" "$(echo "$t1 - $t0" | bc)"
sql -P footer=off -A -F ' | ' <<'EOF'
\pset tuples_only off
SELECT split_part(p.name, ':', 1) AS set, count(*) AS pairs,
       count(*) FILTER (WHERE o.strand = p.strand) AS same_strand,
       count(*) FILTER (WHERE (o.matches, o.mismatches, o.gaps, o.gap_opens, o.alignment_length)
                              = (p.ids, p.mism, p.gaps, p.opens, p.alnlen)) AS same_counts,
       count(*) FILTER (WHERE (o.query_start, o.query_end, o.target_start, o.target_end)
                              = (p.qilo, p.qihi, p.tilo, p.tihi)) AS same_places,
       count(*) FILTER (WHERE abs(100 * o.identity - 100.0 * p.ids / p.alnlen) < 0.05) AS same_identity,
       round(max(abs(100 * o.identity - 100.0 * p.ids / p.alnlen))::numeric, 3) AS max_diff_points,
       round(avg(100 * o.identity)::numeric, 2) AS mean_identity
  FROM pairs p JOIN ours o USING (name) GROUP BY 1 ORDER BY 1;
EOF

printf '\ntime per alignment (kmersearch_identity, both strands, one core)\n'
for s in 16s 250; do
	n=$(sql -c "SELECT count(*) FROM pairs WHERE name LIKE '$s:%'")
	out=$(ks_psql -q -A -t -d bench -f - <<EOF
SET kmersearch.strand = 'both';
SELECT split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::bigint AS c0 \gset
\timing on
SELECT count(kmersearch_identity(seq, query)) FROM pairs WHERE name LIKE '$s:%';
\timing off
SELECT split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::bigint - :c0 AS cpu \gset
\echo CPU :cpu
EOF
)
	awk -v s="$s" -v n="$n" '/^Time: /{t = $2} /^CPU /{c = $2}
		END {printf "  %-4s %4d pairs: %.3f ms wall, %.3f ms CPU a pair\n", s, n, t / n, c / 1e6 / n}' <<<"$out"
done
