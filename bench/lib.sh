# bench/lib.sh: what the benchmark scripts share.  Sourced by bench/bench_NAME.sh
# after it sets BENCH=NAME; brings in tools/lib.sh (the throwaway cluster and
# the build) and sets repo (the checkout) and work (bench/work, git-ignored).
# shellcheck shell=bash

. "$(dirname "${BASH_SOURCE[0]}")/../tools/lib.sh"
repo=$KS_TOP
work=$repo/bench/work
mkdir -p "$work"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { echo "bench_$BENCH.sh: $*" >&2; exit 1; }

# bench_data FILE...: data_dir (from --data, or bench/work/data, prepared by
# ../shared/bench/prepare-data.sh when a file is missing there) made
# absolute, once every FILE is in it.
bench_data() {
	local f
	if [ -z "${data_dir:-}" ]; then
		data_dir=$work/data
		for f in "$@"; do
			if [ ! -s "$data_dir/$f" ]; then
				log "preparing data in $data_dir (../shared/bench/prepare-data.sh)"
				bash "$repo/../shared/bench/prepare-data.sh" "$data_dir" >&2
				break
			fi
		done
	fi
	data_dir=$(cd "$data_dir" && pwd)
	for f in "$@"; do
		[ -s "$data_dir/$f" ] || die "missing $data_dir/$f (run ../shared/bench/prepare-data.sh DIR, then --data DIR)"
	done
}

# bench_setup: commit (the checkout's, +dirty(src) with changes to src), a
# build of the working tree in bench/work/build-$BENCH, and rundir, the
# directory of the run with the build installed in rundir/install and the
# cluster started there.  rundir is a temporary directory removed on exit,
# or bench_keep_dir when the script set it (its --cluster DIR): made on the
# first run and kept, so that a later run reuses the loaded, indexed cluster
# (refused while a server runs there).
bench_setup() {
	commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
	git -C "$repo" diff --quiet HEAD -- src 2>/dev/null || commit="$commit+dirty(src)"
	ks_need_build_deps
	ks_build "$work/build-$BENCH" >"$work/build-$BENCH.log" 2>&1 \
		|| { cat "$work/build-$BENCH.log" >&2; die "build failed"; }
	if [ -n "${bench_keep_dir:-}" ]; then
		mkdir -p "$bench_keep_dir" || die "cannot make $bench_keep_dir"
		rundir=$(cd "$bench_keep_dir" && pwd)
		if [ -f "$rundir/data/postmaster.pid" ] &&
			ks_as_server_user "$KS_PG_BINDIR/pg_ctl" -D "$rundir/data" status >/dev/null 2>&1; then
			die "a server runs in $rundir: stop it first"
		fi
	else
		rundir=$(mktemp -d "${TMPDIR:-/tmp}/pg_kmersearch_bench_$BENCH.XXXXXX")
	fi
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
	make -C "$work/build-$BENCH" install DESTDIR="$rundir/install" >"$work/$BENCH-install.log" 2>&1 \
		|| die "make install failed, see $work/$BENCH-install.log"
}

bench_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	ks_stop_cluster
	[ -n "${bench_keep_dir:-}" ] || rm -rf "$rundir"
	exit $rc
}

# bench_ref_table: the table ref (id, acc, seq dna4) of the running cluster,
# loaded from data_dir/refs when it is missing (kept in a --cluster
# directory); nref, its rows, checked against the file's sequences.
bench_ref_table() {
	if [ -z "$(sql -c "SELECT 1 FROM pg_class WHERE relname = 'ref' AND relkind = 'r'")" ]; then
		log "load $refs"
		awk 'NR % 2 == 1 {n++; next} {print "r" n "\t" $0}' "$data_dir/$refs" > "$rundir/ref.tsv"
		chmod 644 "$rundir/ref.tsv"
		sql -c "CREATE TABLE ref (id serial PRIMARY KEY, acc text, seq dna4)" \
			-c "COPY ref (acc, seq) FROM '$rundir/ref.tsv'" -c "VACUUM ANALYZE ref"
		rm -f "$rundir/ref.tsv"
	fi
	nref=$(sql -c "SELECT count(*) FROM ref")
	[ "$nref" -eq "$(awk 'NR % 2 == 0' "$data_dir/$refs" | wc -l)" ] \
		|| die "the table ref of $rundir has $nref rows, not the sequences of $refs"
}

# bench_kq N: the table kq (name, query) of the running cluster: the first N
# reads of queries_16s_250.fa (250:1 ...) and full-length sequences of
# queries_16s.fa (16s:1 ...).
bench_kq() {
	awk -v n="$1" 'NR % 2 == 0 {k++; print "250:" k "\t" $0; if (k == n) exit}' "$data_dir/queries_16s_250.fa" > "$rundir/kq.tsv"
	awk -v n="$1" 'NR % 2 == 0 {k++; print "16s:" k "\t" $0; if (k == n) exit}' "$data_dir/queries_16s.fa" >> "$rundir/kq.tsv"
	chmod 644 "$rundir/kq.tsv"
	sql -c "DROP TABLE IF EXISTS kq" -c "CREATE TABLE kq (name text PRIMARY KEY, query text)" \
		-c "COPY kq FROM '$rundir/kq.tsv'"
}

# bench_runs_setup TABLE: the table runs (label, kind, mode, name, ms, found),
# new, and ktime(label, kind, mode, rate, strand, record), which times
# SELECT count(*) FROM TABLE WHERE seq =% q for each query of kq of a kind,
# alone, under the mode's settings (no sequential scan), into runs.
bench_runs_setup() {
	sql <<EOF
DROP TABLE IF EXISTS runs;
DROP FUNCTION IF EXISTS ktime(text, text, text, text, text, boolean);
CREATE TABLE runs (label text, kind text, mode text, name text, ms float8, found bigint);
CREATE FUNCTION ktime(label text, kind text, mode text, rate text, strand text, record bool)
RETURNS void LANGUAGE plpgsql AS \$\$
DECLARE r record; t0 timestamptz; c bigint;
BEGIN
    PERFORM set_config('kmersearch.min_shared_ngram_key_rate', rate, true);
    PERFORM set_config('kmersearch.strand', strand, true);
    PERFORM set_config('enable_seqscan', 'off', true);
    FOR r IN SELECT name, query FROM kq WHERE name LIKE kind || ':%' ORDER BY name LOOP
        t0 := clock_timestamp();
        SELECT count(*) INTO c FROM $1 WHERE seq =% r.query;
        IF record THEN
            INSERT INTO runs VALUES (label, kind, mode, r.name,
                                     extract(epoch FROM clock_timestamp() - t0) * 1000, c);
        END IF;
    END LOOP;
END \$\$;
EOF
}

# bench_runs_sql LABEL: the ktime calls of a run: for each kind, an untimed
# round at rate 0.9, then rate 0.9, rate 0.5 and rate 0.5 on both strands.
bench_runs_sql() {
	local kind mode m rate strand
	for kind in 250 16s; do
		echo "SELECT ktime('$1', '$kind', 'rate 0.9', '0.9', 'plus', false);"
		for mode in "rate 0.9|0.9|plus" "rate 0.5|0.5|plus" "rate 0.5, both strands|0.5|both"; do
			IFS='|' read -r m rate strand <<<"$mode"
			echo "SELECT ktime('$1', '$kind', '$m', '$rate', '$strand', true);"
		done
	done
}

# bench_runs_report A B RATIO WHAT: per kind and mode the rows found, the
# medians and p95 of runs A and B and A's median over B's (column RATIO);
# then fails if any search found other rows in A than in B (WHAT says how).
bench_runs_report() {
	local a=$1 b=$2 ratio=$3 what=$4 bad
	sql -P footer=off -F ' | ' <<EOF
\pset tuples_only off
SELECT a.kind, a.mode, sum(a.found) AS rows_found,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY a.ms)::numeric, 1) AS ${a}_ms,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY b.ms)::numeric, 1) AS ${b}_ms,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY a.ms)::numeric, 1) AS ${a}_p95,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY b.ms)::numeric, 1) AS ${b}_p95,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY a.ms)
              / percentile_cont(0.5) WITHIN GROUP (ORDER BY b.ms))::numeric, 2) AS $ratio
  FROM runs a JOIN runs b USING (kind, mode, name)
 WHERE a.label = '$a' AND b.label = '$b'
 GROUP BY 1, 2 ORDER BY 1 DESC, 2 DESC;
EOF
	bad=$(sql -c "SELECT count(*) FROM runs a JOIN runs b USING (kind, mode, name)
	               WHERE a.label = '$a' AND b.label = '$b' AND a.found <> b.found")
	[ "$bad" = 0 ] || die "$bad searches found other rows $what"
}

# bench_vsearch_udb: vsearch's prebuilt index of data_dir/refs: rundir/ref.fa
# (the references named r1, r2 ... as in ref.acc) and rundir/ref.udb
# (--makeudb_usearch, one thread); udb_s, its build time in seconds, and
# udb_bytes, its size.  Installs vsearch (as root) when it is missing.
bench_vsearch_udb() {
	local t0
	ks_need_packages vsearch
	awk 'NR % 2 == 1 {n++; print ">r" n; next} {print}' "$data_dir/$refs" > "$rundir/ref.fa"
	log "vsearch: UDB of $(grep -c '^>' "$rundir/ref.fa") references"
	t0=$(date +%s.%N)
	vsearch --makeudb_usearch "$rundir/ref.fa" --output "$rundir/ref.udb" --threads 1 --quiet 2>"$work/vsearch-udb.log" \
		|| die "vsearch --makeudb_usearch failed, see $work/vsearch-udb.log"
	udb_s=$(echo "$(date +%s.%N) - $t0" | bc)
	udb_bytes=$(stat -c %s "$rundir/ref.udb")
}

# bench_vsearch_search QFA OUT ARG...: vsearch --usearch_global of the
# queries of QFA against rundir/ref.udb on one thread with ARG... (--id,
# --strand ...), its hits in OUT (query, target, identity, strand).  The
# search of the first query alone runs twice first (most of it is reading
# the UDB, as every run does; the first also brings the UDB into the page
# cache), then the search of all.  vs_s: that run's seconds; vs_one_s: the
# faster of the first query's alone; vs_ms: milliseconds a query beyond
# the first (the UDB read left out), the per-query time compared with ours.
bench_vsearch_search() {
	local qfa=$1 out=$2 t0 t1 one n i
	shift 2
	n=$(grep -c '^>' "$qfa")
	head -n 2 "$qfa" > "$rundir/q1.fa"
	vs_one_s=
	for i in 1 2; do
		t0=$(date +%s.%N)
		vsearch --usearch_global "$rundir/q1.fa" --db "$rundir/ref.udb" --threads 1 "$@" \
			--quiet --userout /dev/null 2>"$work/vsearch-search.log" \
			|| die "vsearch --usearch_global failed, see $work/vsearch-search.log"
		one=$(echo "$(date +%s.%N) - $t0" | bc)
		if [ -z "$vs_one_s" ] || [ "$(echo "$one < $vs_one_s" | bc)" = 1 ]; then vs_one_s=$one; fi
	done
	t0=$(date +%s.%N)
	vsearch --usearch_global "$qfa" --db "$rundir/ref.udb" --threads 1 "$@" \
		--quiet --userout "$out" --userfields query+target+id+qstrand 2>>"$work/vsearch-search.log" \
		|| die "vsearch --usearch_global failed, see $work/vsearch-search.log"
	t1=$(date +%s.%N)
	vs_s=$(echo "$t1 - $t0" | bc)
	vs_ms=$(echo "if ($n > 1) 1000 * ($vs_s - $vs_one_s) / ($n - 1) else 1000 * $vs_s" | bc -l)
}
