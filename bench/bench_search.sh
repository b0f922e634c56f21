#!/usr/bin/env bash
# bench/bench_search.sh: k-mer search on real rRNA data, through the GIN index
# and by sequential scan, in one run.
#
#   usage: bash bench/bench_search.sh [--data DIR] [--full] [--seq-queries N]
#                                     [--queries N] [--maintenance-work-mem SIZE]
#                                     [--unlogged]
#
#   --data DIR     a directory already prepared by ../shared/bench/prepare-data.sh
#                  (default: prepare one in bench/work/data)
#   --full         search ssu_ref.fa (204,065 sequences, about 300 Mbp) instead of
#                  ssu_ref_20k.fa (20,407 sequences, about 30 Mbp); a long run
#   --seq-queries N  queries per set timed by sequential scan, an evenly spaced
#                  subset (default 10; a sequential scan takes seconds)
#   --queries N    queries per set timed through the index, evenly spaced
#                  (default 200: all of them)
#   --maintenance-work-mem SIZE   for CREATE INDEX (default 64MB, PostgreSQL's default)
#   --unlogged     an UNLOGGED table (default: an ordinary, WAL-logged one)
#
# Measured, in one run, on one throwaway PostgreSQL cluster, with
# kmersearch.kmer_size = 16 and kmersearch.occur_bitlen = 8:
#   load    COPY ref(acc, seq) FROM '<file>' into ref(id bigserial, acc text, seq dna4)
#   build   CREATE INDEX ref_seq_gin ON ref USING gin (seq)
#   size    pg_table_size(ref) (heap and TOAST) and pg_relation_size(ref_seq_gin)
#   search  SELECT id, kmersearch_rawscore(seq, q) AS score FROM ref
#             WHERE seq =% q ORDER BY score DESC LIMIT 10
#           for each query q of queries_16s_250.fa and queries_16s.fa, at
#           kmersearch.min_shared_ngram_key_rate 0.9 and 0.5, through the index
#           (default planner settings) and by sequential scan; each query timed
#           alone (median and p95 over the queries).
#
# Everything it writes goes to bench/work/ (git-ignored) and to a temporary
# directory in /tmp (the cluster, removed on exit).  It prints PASS/FAIL against
# the targets but exits 0 whatever the numbers; it exits non-zero only on errors
# (including the index and the sequential scan disagreeing on a result).
set -euo pipefail

# ---------------------------------------------------------------- arguments
data_dir=""
full=no
seq_queries=10
idx_queries=200
mwm=64MB
unlogged=""
while [ $# -gt 0 ]; do
	case $1 in
		--data) data_dir=${2:?--data needs a directory}; shift 2 ;;
		--data=*) data_dir=${1#--data=}; shift ;;
		--full) full=yes; shift ;;
		--seq-queries) seq_queries=${2:?--seq-queries needs a number}; shift 2 ;;
		--queries) idx_queries=${2:?--queries needs a number}; shift 2 ;;
		--maintenance-work-mem) mwm=${2:?--maintenance-work-mem needs a size}; shift 2 ;;
		--unlogged) unlogged=UNLOGGED; shift ;;
		-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
		*) echo "bench_search.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done
case $seq_queries in ''|*[!0-9]*) echo "bench_search.sh: --seq-queries must be a number" >&2; exit 2 ;; esac
case $idx_queries in ''|*[!0-9]*|0) echo "bench_search.sh: --queries must be a positive integer" >&2; exit 2 ;; esac
case $mwm in *[!0-9A-Za-z]*|'') echo "bench_search.sh: --maintenance-work-mem takes a size such as 1GB or 512MB" >&2; exit 2 ;; esac

# ---------------------------------------------------------------- paths
. "$(dirname "${BASH_SOURCE[0]}")/../tools/lib.sh"
repo=$KS_TOP
work=$repo/bench/work
mkdir -p "$work"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { echo "bench_search.sh: $*" >&2; exit 1; }

KMER_SIZE=16
OCCUR_BITLEN=8
RATES="0.9 0.5"
SETS="16s_250 16s"     # queries_16s_250.fa (250 bases) and queries_16s.fa (full length)

# ---------------------------------------------------------------- data
if [ -z "$data_dir" ]; then
	data_dir=$work/data
	need_prep=no
	for f in ssu_ref.fa ssu_ref_20k.fa queries_16s.fa queries_16s_250.fa; do
		[ -s "$data_dir/$f" ] || need_prep=yes
	done
	if [ $need_prep = yes ]; then
		log "preparing data in $data_dir (../shared/bench/prepare-data.sh)"
		bash "$repo/../shared/bench/prepare-data.sh" "$data_dir" >&2
	fi
fi
[ -d "$data_dir" ] || die "no data directory $data_dir"
data_dir=$(cd "$data_dir" && pwd)
if [ $full = yes ]; then ref_fa=$data_dir/ssu_ref.fa; else ref_fa=$data_dir/ssu_ref_20k.fa; fi
for f in "$ref_fa" "$data_dir/queries_16s_250.fa" "$data_dir/queries_16s.fa"; do
	[ -s "$f" ] || die "missing $f (run ../shared/bench/prepare-data.sh DIR, then --data DIR)"
done

# ---------------------------------------------------------------- build and install
# A VPATH build of the current source tree (its own directory, so that it does
# not race with bench_types.sh), installed under DESTDIR, which the cluster
# reads through extension_destdir.
# the source state that is built (taken now: the tree may change during a long run)
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$repo" diff --quiet HEAD -- src 2>/dev/null || commit="$commit+dirty(src)"
ks_need_build_deps
ks_build "$work/build-search" >"$work/build-search.log" 2>&1 \
	|| { cat "$work/build-search.log" >&2; die "build failed"; }

# ---------------------------------------------------------------- scratch cluster
rundir=$(mktemp -d "${TMPDIR:-/tmp}/pg_kmersearch_bench_search.XXXXXX")
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	ks_stop_cluster
	if [ -f "$rundir/server.log" ]; then cp "$rundir/server.log" "$work/search-server.log" 2>/dev/null || true; fi
	rm -rf "$rundir"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

make -C "$work/build-search" install DESTDIR="$rundir/install" >"$work/search-install.log" 2>&1 \
	|| die "make install failed, see $work/search-install.log"

# The reference as "acc<TAB>seq" (acc: the first word of the FASTA header), the
# queries as "set<TAB>qid<TAB>acc<TAB>seq" (qid: 1.. in file order).
log "extracting sequences from $(basename "$ref_fa")"
awk 'NR % 2 == 1 {split(substr($0, 2), w, /[ \t]/); acc = w[1]; next} {print acc "\t" $0}' "$ref_fa" > "$rundir/ref.tsv"
: > "$rundir/queries.tsv"
for s in $SETS; do
	awk -v s="$s" 'NR % 2 == 1 {split(substr($0, 2), w, /[ \t]/); acc = w[1]; next}
	               {n++; print s "\t" n "\t" acc "\t" $0}' "$data_dir/queries_$s.fa" >> "$rundir/queries.tsv"
done
ref_nseq=$(wc -l < "$rundir/ref.tsv")
ref_bases=$(awk -F'\t' '{s += length($2)} END {printf "%d", s}' "$rundir/ref.tsv")
[ "$ref_nseq" -gt 0 ] || die "no sequences in $ref_fa"
log "initdb and start a scratch PostgreSQL cluster in $rundir"
ks_start_bench_cluster "$rundir"

psql_db() {
	local db=$1; shift
	ks_psql -q -A -t -d "$db" "$@"
}
psql_db postgres -c "ALTER DATABASE bench SET kmersearch.kmer_size = $KMER_SIZE" \
	-c "ALTER DATABASE bench SET kmersearch.occur_bitlen = $OCCUR_BITLEN"
sql() { psql_db bench "$@"; }
prewarm=yes
sql -c 'CREATE EXTENSION pg_prewarm' >/dev/null 2>&1 || prewarm=no

# CPU time of the backend in ns (/proc/self/schedstat), or NULL where there is none.
if sql -c "SELECT pg_read_file('/proc/self/schedstat')" >/dev/null 2>&1; then
	cpu_expr="split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::bigint"
else
	cpu_expr="NULL::bigint"
fi

# timed SETUP STATEMENT: run SETUP, then STATEMENT under \timing, in one
# session.  Prints "wall seconds|backend CPU seconds".
timed() {
	local out
	out=$(printf '%s\nSELECT coalesce(%s, 0) AS cpu0 \\gset\n\\timing on\n%s\n\\timing off\nSELECT coalesce(%s, 0) - :cpu0 AS cpu \\gset\n\\echo CPU :cpu\n' \
		"$1" "$cpu_expr" "$2" "$cpu_expr" | sql -f -) || die "statement failed: $2"
	awk '/^Time: /{t = $2} /^CPU /{c = $2} END {if (t == "") exit 1; printf "%.3f|%.3f\n", t / 1000, c / 1e9}' <<<"$out"
}

# ---------------------------------------------------------------- schema
sql <<EOF
CREATE $unlogged TABLE ref (id bigserial, acc text, seq dna4);
CREATE TABLE q (qset text, qid int, acc text, seq text, PRIMARY KEY (qset, qid));
COPY q FROM '$rundir/queries.tsv';
-- one row per timed query
CREATE TABLE res (qset text, rate float8, path text, qid int, wall_ms float8, cpu_ms float8,
                  uses_index bool, nret int, scores int[]);
-- rows matched (=%, no LIMIT) per query, through the index
CREATE TABLE matched (qset text, rate float8, qid int, n bigint);
CREATE FUNCTION bench_cpu_ns() RETURNS bigint LANGUAGE sql AS \$\$ SELECT $cpu_expr \$\$;

-- The statement of one search, exactly as a user would type it.
CREATE FUNCTION bench_query(query text) RETURNS text LANGUAGE sql IMMUTABLE AS \$\$
  SELECT format('SELECT id, kmersearch_rawscore(seq, %L) AS score FROM ref WHERE seq =%% %L ORDER BY score DESC LIMIT 10',
                query, query)
\$\$;

EOF
sql <<'EOF'
-- EXPLAIN (COSTS OFF) of a statement, one line a row.
CREATE FUNCTION bench_explain(stmt text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE l text;
BEGIN
  FOR l IN EXECUTE 'EXPLAIN (COSTS OFF) ' || stmt LOOP RETURN NEXT l; END LOOP;
END $$;

-- How many of the queries get a plan that uses the GIN index, with the
-- session's settings.
CREATE FUNCTION bench_index_plans(p_set text, p_qids int[]) RETURNS int LANGUAGE plpgsql AS $$
DECLARE r record; plan text; n int := 0;
BEGIN
  FOR r IN SELECT seq FROM q WHERE qset = p_set AND qid = ANY (p_qids) LOOP
    SELECT string_agg(l, E'\n') INTO plan FROM bench_explain(bench_query(r.seq)) AS l;
    IF plan LIKE '%Bitmap Index Scan on ref_seq_gin%' THEN n := n + 1; END IF;
  END LOOP;
  RETURN n;
END $$;

-- Time each query alone: the caches of the extension are emptied first, so
-- every query pays for its own key extraction and scoring; the statement is
-- planned and run by EXECUTE between two clock_timestamp() calls.  The top-10
-- scores are kept to compare the index and the sequential scan.  With
-- p_count, the number of rows =% matches is counted afterwards (untimed,
-- through the index).
CREATE FUNCTION bench_run(p_set text, p_rate float8, p_path text, p_qids int[], p_count bool)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  r record; stmt text; plan text; uses bool;
  t0 timestamptz; t1 timestamptz; c0 bigint; c1 bigint;
  sc int[]; nret int; nmatch bigint; done int := 0; total int;
  seqscan_was text;
BEGIN
  total := cardinality(p_qids);
  FOR r IN SELECT qid, seq FROM q WHERE qset = p_set AND qid = ANY (p_qids) ORDER BY qid LOOP
    stmt := 'SELECT array_agg(score), count(*) FROM (' || bench_query(r.seq) || ') s';
    SELECT string_agg(l, E'\n') INTO plan FROM bench_explain(stmt) AS l;
    uses := plan LIKE '%Bitmap Index Scan on ref_seq_gin%';
    PERFORM kmersearch_rawscore_cache_free(), kmersearch_query_pattern_cache_free(),
            kmersearch_actual_min_score_cache_free();
    c0 := bench_cpu_ns();
    t0 := clock_timestamp();
    EXECUTE stmt INTO sc, nret;
    t1 := clock_timestamp();
    c1 := bench_cpu_ns();
    INSERT INTO res VALUES (p_set, p_rate, p_path, r.qid,
                            1000 * extract(epoch FROM t1 - t0), (c1 - c0) / 1e6, uses, nret, sc);
    IF p_count THEN
      seqscan_was := current_setting('enable_seqscan');
      PERFORM set_config('enable_seqscan', 'off', false);
      EXECUTE format('SELECT count(*) FROM ref WHERE seq =%% %L', r.seq) INTO nmatch;
      PERFORM set_config('enable_seqscan', seqscan_was, false);
      INSERT INTO matched VALUES (p_set, p_rate, r.qid, nmatch);
    END IF;
    done := done + 1;
    IF p_path = 'seq' OR done % 50 = 0 OR done = total THEN
      RAISE NOTICE '% rate % %: % of % queries (qid %: % ms)', p_set, p_rate, p_path, done, total,
        r.qid, round((1000 * extract(epoch FROM t1 - t0))::numeric, 1);
    END IF;
  END LOOP;
END $$;
EOF

# ---------------------------------------------------------------- load
log "loading $ref_nseq sequences ($ref_bases bases) into a dna4 table"
cat "$rundir/ref.tsv" >/dev/null      # warm the OS cache for the file
sql -c 'CHECKPOINT'
sync
IFS='|' read -r load_wall load_cpu <<<"$(timed '' "COPY ref(acc, seq) FROM '$rundir/ref.tsv';")"
log "load: $load_wall s (CPU $load_cpu s)"
got=$(sql -c 'SELECT count(*) FROM ref')
[ "$got" = "$ref_nseq" ] || die "loaded $got rows, expected $ref_nseq"
sql -c 'VACUUM (ANALYZE) ref' -c 'CHECKPOINT'
sync

# ---------------------------------------------------------------- index build
log "building the GIN index (maintenance_work_mem = $mwm)"
# (the module loaded first: else the build that loads it is built again with the session's options)
IFS='|' read -r build_wall build_cpu <<<"$(timed "SELECT 'A'::dna4; SET maintenance_work_mem = '$mwm';" \
	'CREATE INDEX ref_seq_gin ON ref USING gin (seq);')"
log "build: $build_wall s (CPU $build_cpu s)"
indexdef=$(sql -c "SELECT pg_get_indexdef('ref_seq_gin'::regclass)")
sql -c 'ANALYZE ref' -c 'CHECKPOINT'
IFS='|' read -r table_bytes index_bytes <<<"$(sql -c "SELECT pg_table_size('ref'), pg_relation_size('ref_seq_gin')")"
work_mem=$(sql -c 'SHOW work_mem')
mwm_shown=$(sql -c "SET maintenance_work_mem = '$mwm'" -c 'SHOW maintenance_work_mem')

# ---------------------------------------------------------------- queries
nq_total=$(sql -c "SELECT min(n) FROM (SELECT count(*) AS n FROM q GROUP BY qset) s")
[ "$idx_queries" -le "$nq_total" ] || idx_queries=$nq_total
[ "$seq_queries" -le "$idx_queries" ] || seq_queries=$idx_queries
# Evenly spaced qids: N of the list, every floor(len/N)-th from the first.
# The seq-scan queries are taken from the index queries, so that both paths
# run them (for the check and the like-for-like ratio).
spaced() {  # N "1 2 3 ..." -> "1 21 41 ..."
	awk -v n="$1" -v list="$2" 'BEGIN {m = split(list, a, " "); st = int(m / n); s = "";
	     for (i = 0; i < n; i++) s = s (i ? " " : "") a[1 + i * st]; print s}' </dev/null
}
pg_array() { echo "{$(tr ' ' ',' <<<"$1")}"; }
idx_list=$(spaced "$idx_queries" "$(seq -s ' ' 1 "$nq_total")")
seq_list=$([ "$seq_queries" -gt 0 ] && spaced "$seq_queries" "$idx_list" || true)
idx_qids=$(pg_array "$idx_list")
seq_qids=$(pg_array "$seq_list")

if [ $prewarm = yes ]; then
	sql -c "SELECT pg_prewarm('ref'), pg_prewarm('ref_seq_gin')" >/dev/null
	sql -c "SELECT pg_prewarm(reltoastrelid) FROM pg_class WHERE oid = 'ref'::regclass AND reltoastrelid <> 0" >/dev/null
fi

seq_settings="SET enable_bitmapscan = off; SET enable_indexscan = off; SET max_parallel_workers_per_gather = 0;"
declare -A forced plans_ok
for s in $SETS; do
	# warm-up, not counted: a few queries through the index
	sql -c "SET kmersearch.min_shared_ngram_key_rate = 0.9" -c "SELECT bench_run('$s', 0.9, 'warmup', '{1,2,3}', false)" >/dev/null
	for rate in $RATES; do
		rs="SET kmersearch.min_shared_ngram_key_rate = $rate;"
		n_ok=$(sql -c "$rs" -c "SELECT bench_index_plans('$s', '$idx_qids')")
		plans_ok[$s,$rate]=$n_ok
		forced[$s,$rate]=no
		if [ "$n_ok" -lt "$idx_queries" ]; then
			forced[$s,$rate]=yes
			log "WARNING: with default settings the planner uses the GIN index for only $n_ok of $idx_queries queries ($s, rate $rate); forcing it with enable_seqscan = off"
		fi
		log "index: $s rate $rate, $idx_queries queries$([ ${forced[$s,$rate]} = yes ] && echo ' (FORCED: enable_seqscan = off)')"
		ix_settings=$rs
		[ ${forced[$s,$rate]} = yes ] && ix_settings="$rs SET enable_seqscan = off;"
		sql -c "$ix_settings" -c "SELECT bench_run('$s', $rate, 'index', '$idx_qids', true)" >/dev/null
		if [ "$seq_queries" -gt 0 ]; then
			log "seq scan: $s rate $rate, $seq_queries queries"
			sql -c "$rs $seq_settings" -c "SELECT bench_run('$s', $rate, 'seq', '$seq_qids', false)" >/dev/null
		fi
	done
done
sql -c "DELETE FROM res WHERE path = 'warmup'" >/dev/null

# The plan of the first query of each set at each rate, with default settings.
plans=""
for s in $SETS; do
	for rate in $RATES; do
		p=$(sql -c "SET kmersearch.min_shared_ngram_key_rate = $rate" \
			-c "SELECT 'EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) ' || bench_query(seq) FROM q WHERE qset = '$s' AND qid = 1" \
			| { read -r stmt; printf '%s\n' "SET kmersearch.min_shared_ngram_key_rate = $rate;" "$stmt;"; } | sql -f -)
		plans+="-- $s (qid 1), rate $rate, default settings"$'\n'
		plans+=$(sed -E "s/'([A-Za-z]{12})[A-Za-z]+'/'\1...'/g; s/^/  /" <<<"$p")$'\n'
	done
done

# ---------------------------------------------------------------- checks
# The index and the sequential scan must give the same top-10 scores.
mismatch=$(sql -c "SELECT count(*) FROM res i JOIN res s USING (qset, rate, qid)
                   WHERE i.path = 'index' AND s.path = 'seq'
                     AND (SELECT array_agg(x ORDER BY x DESC) FROM unnest(i.scores) x)
                         IS DISTINCT FROM (SELECT array_agg(x ORDER BY x DESC) FROM unnest(s.scores) x)")
notused=$(sql -c "SELECT count(*) FROM res WHERE path = 'index' AND NOT uses_index")
seqused=$(sql -c "SELECT count(*) FROM res WHERE path = 'seq' AND uses_index")

# ---------------------------------------------------------------- report
declare -A med p95 avg cavg nq mmed nnone hmed idx_sub
while IFS='|' read -r s rate path n m p a c mm nn hm; do
	k="$s,$rate,$path"
	nq[$k]=$n; med[$k]=$m; p95[$k]=$p; avg[$k]=$a; cavg[$k]=$c; mmed[$k]=$mm; nnone[$k]=$nn; hmed[$k]=$hm
done < <(sql -c "SELECT r.qset, r.rate, r.path, count(*),
                        round(percentile_cont(0.5) WITHIN GROUP (ORDER BY wall_ms)::numeric, 3),
                        round(percentile_cont(0.95) WITHIN GROUP (ORDER BY wall_ms)::numeric, 3),
                        round(avg(wall_ms)::numeric, 3), round(avg(cpu_ms)::numeric, 3),
                        percentile_cont(0.5) WITHIN GROUP (ORDER BY m.n),
                        count(*) FILTER (WHERE m.n = 0),
                        round((percentile_cont(0.5) WITHIN GROUP (ORDER BY wall_ms) FILTER (WHERE m.n > 0))::numeric, 3)
                 FROM res r LEFT JOIN matched m USING (qset, rate, qid) GROUP BY 1, 2, 3")
# the index's median on the queries the sequential scan timed, for a like-for-like ratio
while IFS='|' read -r s rate m; do idx_sub[$s,$rate]=$m; done < <(sql -c "
	SELECT qset, rate, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY wall_ms)::numeric, 3)
	FROM res WHERE path = 'index' AND qid = ANY ('$seq_qids') GROUP BY 1, 2")
declare -A qlen
while IFS='|' read -r s l; do qlen[$s]=$l; done < <(sql -c "SELECT qset, round(avg(length(seq))) FROM q GROUP BY 1")

div() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.1f", a / b; else printf "-"}'; }
mb() { awk -v x="$1" 'BEGIN {printf "%.1f", x / 1048576}'; }

cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
simd=$(sql -c 'SELECT kmersearch_simd_capability()')

echo
echo "pg_kmersearch search benchmark  ($(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit)"
echo "  PostgreSQL $("$KS_PG_CONFIG" --version | awk '{print $2}'), ${cpu:-unknown CPU}, $(nproc) cores, SIMD $simd"
printf '  reference: %s, %d sequences, %d bases, in %s dna4 table ref(id, acc, seq)\n' \
	"$(basename "$ref_fa")" "$ref_nseq" "$ref_bases" "$([ -n "$unlogged" ] && echo an UNLOGGED || echo a logged)"
echo "  kmer_size = $KMER_SIZE, occur_bitlen = $OCCUR_BITLEN; index: $indexdef"
echo "  maintenance_work_mem = $mwm_shown, work_mem = $work_mem, shared_buffers = 1GB, 1 core per query (no parallel workers)"
for s in $SETS; do
	printf '  queries %-20s %3d through the index, %2d by sequential scan (qids %s), mean length %s\n' \
		"queries_$s.fa:" "$idx_queries" "$seq_queries" "$seq_qids" "${qlen[$s]}"
done
echo
printf '%-44s %10s %10s %10s\n' "BUILD" wall_s cpu_s "Mbase/s"
echo "------------------------------------------------------------------------------------"
printf '%-44s %10.2f %10.2f %10.1f\n' "load   COPY ref(acc, seq) FROM file" "$load_wall" "$load_cpu" \
	"$(awk -v b="$ref_bases" -v t="$load_wall" 'BEGIN {print (t > 0) ? b / t / 1e6 : 0}')"
printf '%-44s %10.2f %10.2f %10.1f\n' "build  CREATE INDEX ... USING gin (seq)" "$build_wall" "$build_cpu" \
	"$(awk -v b="$ref_bases" -v t="$build_wall" 'BEGIN {print (t > 0) ? b / t / 1e6 : 0}')"
echo
printf '%-44s %10s %10s\n' "SIZE" MB "x table"
echo "------------------------------------------------------------------------------------"
printf '%-44s %10s %10s\n' "table  pg_table_size(ref) (heap + TOAST)" "$(mb "$table_bytes")" "1.0"
printf '%-44s %10s %10s\n' "index  pg_relation_size(ref_seq_gin)" "$(mb "$index_bytes")" "$(div "$index_bytes" "$table_bytes")"
echo
echo "SEARCH  SELECT id, kmersearch_rawscore(seq, q) AS score FROM ref WHERE seq =% q ORDER BY score DESC LIMIT 10"
printf '%-8s %4s %-12s %4s %8s %8s %8s %10s %8s %7s %10s %8s %9s\n' \
	queries rate path n med_ms p95_ms avg_ms cpu_avg_ms matched none med_ms_hit Mbase/s seq/index
echo "------------------------------------------------------------------------------------------------------------------"
for s in $SETS; do
	for rate in $RATES; do
		k="$s,$rate,index"
		[ -n "${nq[$k]:-}" ] || continue
		label=$([ ${forced[$s,$rate]} = yes ] && echo "index FORCED" || echo "index")
		printf '%-8s %4s %-12s %4d %8.2f %8.2f %8.2f %10.2f %8s %7s %10s %8s %9s\n' "$s" "$rate" "$label" "${nq[$k]}" \
			"${med[$k]}" "${p95[$k]}" "${avg[$k]}" "${cavg[$k]}" "${mmed[$k]}" "${nnone[$k]}" \
			"$(awk -v x="${hmed[$k]}" 'BEGIN {if (x == "") print "-"; else printf "%.2f", x}')" "" ""
		k="$s,$rate,seq"
		[ -n "${nq[$k]:-}" ] || continue
		printf '%-8s %4s %-12s %4d %8.2f %8.2f %8.2f %10.2f %8s %7s %10s %8.1f %9s\n' "$s" "$rate" "seq scan" "${nq[$k]}" \
			"${med[$k]}" "${p95[$k]}" "${avg[$k]}" "${cavg[$k]}" "" "" "" \
			"$(awk -v b="$ref_bases" -v t="${med[$k]}" 'BEGIN {print (t > 0) ? b / t / 1e3 : 0}')" \
			"$(div "${med[$k]}" "${med[$s,$rate,index]}")"
	done
done
echo
echo "  med_ms, p95_ms, avg_ms: median, 95th percentile and mean wall time of each query alone (planning"
echo "  included, caches of the extension emptied before each); cpu_avg_ms: mean CPU time of the server"
echo "  process (from /proc/self/schedstat; a mean, because some kernels count it in whole ticks);"
echo "  matched: median rows =% matches (no LIMIT); none: queries that match no row; med_ms_hit: median"
echo "  time of the queries that match at least one row; Mbase/s: table bases / median seq scan time;"
echo "  seq/index: median seq scan time / median index time (the index median over all its queries)."
if [ "$seq_queries" -gt 0 ]; then
	printf '  seq/index on the same %d queries only:' "$seq_queries"
	for s in $SETS; do for rate in $RATES; do
		printf ' %s@%s %sx;' "$s" "$rate" "$(div "${med[$s,$rate,seq]:-0}" "${idx_sub[$s,$rate]:-0}")"
	done; done
	echo
fi
echo "  Plans with default settings: the GIN index for$(for s in $SETS; do for rate in $RATES; do
	printf ' %s@%s %s/%s;' "$s" "$rate" "${plans_ok[$s,$rate]}" "$idx_queries"; done; done)"
for s in $SETS; do for rate in $RATES; do
	if [ ${forced[$s,$rate]} = yes ]; then
		echo "  !!! WARNING: the planner did NOT choose the GIN index for all $s queries at rate $rate with"
		echo "  !!! default settings; the index times of that row were measured with enable_seqscan = off."
	fi
done; done
[ "$notused" = 0 ] || echo "  !!! WARNING: $notused index-path queries did not use the index even so."
[ "$seqused" = 0 ] || echo "  !!! WARNING: $seqused seq-scan queries used the index."
if [ "$seq_queries" = 0 ]; then
	echo "  Check: none (no query ran by sequential scan)."
elif [ "$mismatch" = 0 ]; then
	echo "  Check: the index and the sequential scan gave the same top-10 scores on every query both ran."
else
	echo "  !!! CHECK FAILED: the index and the sequential scan gave different top-10 scores on $mismatch queries."
fi
echo

verdict() {  # name value op limit [note]
	local ok
	ok=$(awk -v v="$2" -v lim="$4" -v op="$3" 'BEGIN {if (v == "-" || v == "") {print "n/a"; exit}
	     print ((op == "<=") ? (v + 0 <= lim + 0) : (v + 0 >= lim + 0)) ? "PASS" : "FAIL"}')
	printf '  %-46s %9s  (target %s %s)  %s%s\n' "$1" "$2" "$3" "$4" "$ok" "${5:+  $5}"
}
if [ $full = yes ]; then
	echo "Targets (the search targets are set for ssu_ref_20k; shown here for information):"
else
	echo "Targets (ssu_ref_20k, k=16, occur_bitlen=8, dna4; medians over the query set):"
fi
declare -A min_ratio=([16s_250,0.9]=100 [16s_250,0.5]=30 [16s,0.9]=30 [16s,0.5]=10)
declare -A max_ms=([16s_250,0.9]=5 [16s_250,0.5]=10 [16s,0.9]=20 [16s,0.5]=50)
for s in $SETS; do for rate in $RATES; do
	[ "$seq_queries" -gt 0 ] || continue
	verdict "speed-up $s rate $rate (seq / index)" "$(div "${med[$s,$rate,seq]}" "${med[$s,$rate,index]}")" ">=" "${min_ratio[$s,$rate]}"
done; done
for s in $SETS; do for rate in $RATES; do
	verdict "index latency $s rate $rate, ms" "${med[$s,$rate,index]}" "<=" "${max_ms[$s,$rate]}" \
		"$([ $full = no ] && echo "(reference: $([ $s = 16s_250 ] && echo 43 || echo 310) ms)")"
done; done
for s in $SETS; do for rate in $RATES; do
	[ "$seq_queries" -gt 0 ] || continue
	verdict "seq scan scoring $s rate $rate, Mbase/s" \
		"$(awk -v b="$ref_bases" -v t="${med[$s,$rate,seq]}" 'BEGIN {printf "%.1f", (t > 0) ? b / t / 1e3 : 0}')" ">=" 30 \
		"$([ $full = no ] && echo "(reference: ~3.7, 8 s a scan)")"
done; done
if [ $full = yes ]; then ref_build=690; ref_mb=1474.6; else ref_build=42; ref_mb=303; fi
verdict "index build, s" "$build_wall" "<=" "$(awk -v x=$ref_build 'BEGIN {print x / 2}')" "(reference: $ref_build s; half)"
verdict "index size, MB" "$(mb "$index_bytes")" "<=" "$(awk -v x=$ref_mb 'BEGIN {printf "%.0f", x * 2 / 3}')" \
	"(reference: $ref_mb MB; two thirds; $(div "$index_bytes" "$table_bytes")x the table)"
echo
echo "PLANS  (each in a new session, so with cold backend caches: slower than the timed runs above)"
printf '%s' "$plans"

[ "$mismatch" = 0 ] || exit 1
exit 0
