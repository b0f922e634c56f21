#!/usr/bin/env bash
# bench/bench_types.sh: loading and decoding cost, and on-disk size, of the
# dna2 and dna4 types against plain text, on real rRNA data.
#
#   usage: bash bench/bench_types.sh [--data DIR] [--quick] [--runs N]
#                                    [--levels "0 -1"] [--logged]
#
#   --data DIR     a directory already prepared by ../shared/bench/prepare-data.sh
#                  (default: prepare one in bench/work/data)
#   --quick        use ssu_ref_20k.fa (about 30 Mbp) instead of ssu_ref.fa (about 300 Mbp)
#   --runs N       repetitions of each measurement; the median is reported (default 5)
#   --levels LIST  values of kmersearch.force_simd_capability to measure
#                  (default "0 -1": scalar and the best level the CPU has)
#   --logged       use ordinary (WAL-logged) tables instead of UNLOGGED ones
#
# Measured, in one run, on one throwaway PostgreSQL cluster:
#   load    COPY t(seq) FROM '<file of sequences>' into a fresh (truncated) table
#           whose only column is text, dna2 or dna4
#   decode  SELECT sum(length(seq::text)) FROM t   (text: sum(length(seq)))
#   cast    SELECT sum(octet_length(seq::text)) FROM t  (the decoding alone)
#   size    pg_total_relation_size after VACUUM, per base
# Two data sets: "acgt" (ssu_ref_acgt.fa, pure ACGT) loads text and dna2;
# "full" (ssu_ref.fa, about 15% of sequences with IUPAC codes) loads text and dna4.
#
# Everything it writes goes to bench/work/ (git-ignored) and to a temporary
# directory in /tmp (the cluster, removed on exit).  It prints PASS/FAIL against
# the targets but exits 0 whatever the numbers; it exits non-zero only on errors.
set -euo pipefail

# ---------------------------------------------------------------- arguments
data_dir=""
quick=no
runs=5
levels="0 -1"
logged=no
while [ $# -gt 0 ]; do
	case $1 in
		--data) data_dir=${2:?--data needs a directory}; shift 2 ;;
		--data=*) data_dir=${1#--data=}; shift ;;
		--quick) quick=yes; shift ;;
		--runs) runs=${2:?--runs needs a number}; shift 2 ;;
		--levels) levels=${2:?--levels needs a list}; shift 2 ;;
		--logged) logged=yes; shift ;;
		-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
		*) echo "bench_types.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done
case $runs in ''|*[!0-9]*|0) echo "bench_types.sh: --runs must be a positive integer" >&2; exit 2 ;; esac
for l in $levels; do
	case $l in -1|0|1|2) ;; *) echo "bench_types.sh: --levels takes values of -1, 0, 1 and 2" >&2; exit 2 ;; esac
done
[ -n "${levels// /}" ] || { echo "bench_types.sh: --levels is empty" >&2; exit 2; }

# ---------------------------------------------------------------- paths
. "$(dirname "${BASH_SOURCE[0]}")/../tools/lib.sh"
repo=$KS_TOP
work=$repo/bench/work
mkdir -p "$work"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { echo "bench_types.sh: $*" >&2; exit 1; }

# ---------------------------------------------------------------- data
if [ -z "$data_dir" ]; then
	data_dir=$work/data
	if [ ! -s "$data_dir/ssu_ref.fa" ] || [ ! -s "$data_dir/ssu_ref_acgt.fa" ] || [ ! -s "$data_dir/ssu_ref_20k.fa" ]; then
		log "preparing data in $data_dir (../shared/bench/prepare-data.sh)"
		bash "$repo/../shared/bench/prepare-data.sh" "$data_dir" >&2
	fi
fi
[ -d "$data_dir" ] || die "no data directory $data_dir"
data_dir=$(cd "$data_dir" && pwd)
if [ $quick = yes ]; then
	full_fa=$data_dir/ssu_ref_20k.fa
	acgt_fa=""          # filtered from full_fa below
else
	full_fa=$data_dir/ssu_ref.fa
	acgt_fa=$data_dir/ssu_ref_acgt.fa
fi
for f in "$full_fa" ${acgt_fa:+"$acgt_fa"}; do
	[ -s "$f" ] || die "missing $f (run ../shared/bench/prepare-data.sh DIR, then --data DIR)"
done

# ---------------------------------------------------------------- build and install
# A VPATH build of the current source tree into bench/work/build, installed
# under DESTDIR, which the cluster reads through extension_destdir.
ks_need_build_deps
ks_build "$work/build" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; die "build failed"; }

# ---------------------------------------------------------------- scratch cluster
# The cluster, its socket, the installed extension and the sequence files
# live in one private directory in /tmp (short socket path; owned by the
# server user so that it works when the repo is not reachable by postgres).
rundir=$(mktemp -d "${TMPDIR:-/tmp}/pg_kmersearch_bench.XXXXXX")
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	ks_stop_cluster
	if [ -f "$rundir/server.log" ]; then cp "$rundir/server.log" "$work/server.log" 2>/dev/null || true; fi
	rm -rf "$rundir"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

make -C "$work/build" install DESTDIR="$rundir/install" >"$work/install.log" 2>&1 \
	|| die "make install failed, see $work/install.log"

# One sequence a line (COPY text format; the FASTA has one sequence line per record).
log "extracting sequences"
awk 'NR % 2 == 0' "$full_fa" > "$rundir/seq_full.txt"
if [ -n "$acgt_fa" ]; then
	awk 'NR % 2 == 0' "$acgt_fa" > "$rundir/seq_acgt.txt"
else
	awk 'NR % 2 == 0 && !/[^ACGT]/' "$full_fa" > "$rundir/seq_acgt.txt"
fi
log "initdb and start a scratch PostgreSQL cluster in $rundir"
ks_start_bench_cluster "$rundir"

psql_db() {
	local db=$1; shift
	ks_psql -q -A -t -d "$db" "$@"
}
sql() { psql_db bench "$@"; }

# CPU time of the backend, in ns, as SQL: /proc/self/schedstat (ns), else
# /proc/self/stat (clock ticks), else nothing.  It is steadier than wall time
# when other processes compete for the cores.
if sql -c "SELECT pg_read_file('/proc/self/schedstat')" >/dev/null 2>&1; then
	cpu_expr="split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::bigint"
elif sql -c "SELECT pg_read_file('/proc/self/stat')" >/dev/null 2>&1; then
	f="string_to_array(split_part(pg_read_file('/proc/self/stat'), ') ', 2), ' ')"
	cpu_expr="(($f)[12]::bigint + ($f)[13]::bigint) * (1000000000 / $(getconf CLK_TCK))"
else
	cpu_expr="0::bigint"
fi

# Run SETUP, then TIMED with \timing on, in one fresh session.  Prints
# "wall seconds|backend CPU seconds|output of TIMED".  Every session loads the
# module (and applies the SIMD setting) in SETUP, outside the timed statement.
time_sql() {
	local out
	out=$(printf '%s\nSELECT %s AS cpu0 \\gset\n\\timing on\n%s\n\\timing off\nSELECT %s - :cpu0 AS cpu \\gset\n\\echo CPU :cpu\n' \
		"$1" "$cpu_expr" "$2" "$cpu_expr" | sql -f -) || die "query failed: $2"
	awk '/^Time: /{t = $2; next} /^CPU /{c = $2; next} {r = r (r == "" ? "" : " ") $0}
	     END {if (t == "") exit 1; printf "%.6f|%.6f|%s\n", t / 1000, c / 1e9, r}' <<<"$out"
}
setup_sql() {  # $1: SIMD level, or - for none
	local s="SELECT kmersearch_simd_capability() AS cap \\gset"
	[ "$1" = - ] || s="SET kmersearch.force_simd_capability = $1;"$'\n'"$s"
	printf '%s' "$s"
}

# ---------------------------------------------------------------- tables
unlogged=UNLOGGED
[ $logged = yes ] && unlogged=""
sql <<EOF
CREATE $unlogged TABLE t_acgt_text (seq text);
CREATE $unlogged TABLE t_acgt_dna2 (seq dna2);
CREATE $unlogged TABLE t_full_text (seq text);
CREATE $unlogged TABLE t_full_dna4 (seq dna4);
EOF

# The SIMD level each setting yields on this CPU.
declare -A level_name
for l in $levels; do
	level_name[$l]=$(sql -c "SET kmersearch.force_simd_capability = $l" -c 'SELECT kmersearch_simd_capability()')
done

# The variants: "set type level" (level - for text).
variants=()
for set_type in "acgt dna2" "full dna4"; do
	read -r s t <<<"$set_type"
	variants+=("$s text -")
	for l in $levels; do variants+=("$s $t $l"); done
done

# Warm the OS cache for the sequence files.
cat "$rundir/seq_full.txt" "$rundir/seq_acgt.txt" >/dev/null

# ---------------------------------------------------------------- load
# Each run loads every variant once (interleaved, so that drift affects all
# alike), each time into a freshly truncated table after a CHECKPOINT.
# Before each load, sync flushes the dirty pages the previous loads left in
# the OS cache (a CHECKPOINT does not write UNLOGGED tables), so that no load
# pays for the writeback of another.  Run 0 is a warm-up, not counted.
declare -A t_load t_decode t_cast c_load c_decode c_cast
for ((r = 0; r <= runs; r++)); do
	for v in "${variants[@]}"; do
		read -r s t l <<<"$v"
		tbl=t_${s}_$t
		sql -c "TRUNCATE $tbl" -c 'CHECKPOINT'
		sync
		res=$(time_sql "$(setup_sql "$l")" "COPY $tbl(seq) FROM '$rundir/seq_$s.txt';")
		IFS='|' read -r wall cpu _ <<<"$res"
		if [ $r -gt 0 ]; then t_load[$v]+="$wall "; c_load[$v]+="$cpu "; fi
		log "load   run $r/$runs  $s $t simd=$l: $wall s (CPU $cpu s)$([ $r = 0 ] && echo ' warm-up')"
	done
done

# ---------------------------------------------------------------- checks and sizes
sql -c 'VACUUM (ANALYZE) t_acgt_text, t_acgt_dna2, t_full_text, t_full_dna4' -c 'CHECKPOINT'

declare -A nseq nbases size_total size_toast
for s in acgt full; do
	# Totals from the text table; the round trip through dna2/dna4 must give
	# the same count, lengths and hash sum.  (This also warms the caches.)
	ref=$(sql -c "SELECT count(*), sum(length(seq)), sum(hashtext(seq)::bigint) FROM t_${s}_text")
	nseq[$s]=${ref%%|*}
	b=${ref#*|}; nbases[$s]=${b%%|*}
	[ "${nseq[$s]}" -gt 0 ] || die "no sequences loaded for set $s"
	dtype=$([ $s = acgt ] && echo dna2 || echo dna4)
	for l in $levels; do
		got=$(sql -c "SET kmersearch.force_simd_capability = $l" \
			-c "SELECT count(*), sum(length(seq::text)), sum(hashtext(seq::text)::bigint) FROM t_${s}_$dtype")
		[ "$got" = "$ref" ] || die "round trip mismatch for $dtype (simd=$l): text gives $ref, $dtype gives $got"
	done
	for t in text $dtype; do
		sz=$(sql -c "SELECT pg_total_relation_size(oid), coalesce(pg_total_relation_size(nullif(reltoastrelid, 0)), 0)
		             FROM pg_class WHERE oid = 't_${s}_$t'::regclass")
		size_total[$s,$t]=${sz%%|*}
		size_toast[$s,$t]=${sz#*|}
	done
done
# Share of text values stored compressed (pglz): it explains the text size.
text_compressed=$(sql -c "SELECT round(100.0 * count(pg_column_compression(seq)) / count(*), 1) FROM t_full_text")

# ---------------------------------------------------------------- decode
# Two queries.  "decode" counts the characters of the decoded text, as the
# issue asks; in a UTF8 database length() walks every byte (pg_mbstrlen), for
# text and dna alike, and that walk dominates both.  "cast" takes
# octet_length(seq::text), which reads only the header of the result: for dna
# it is the decoding alone, for text nothing but reading the rows (text needs
# no decoding), so its ratio is the full relative cost of decoding.
for ((r = 1; r <= runs; r++)); do
	for v in "${variants[@]}"; do
		read -r s t l <<<"$v"
		for kind in decode cast; do
			case $kind,$t in
				decode,text) q="SELECT sum(length(seq)) FROM t_${s}_$t;" ;;
				decode,*) q="SELECT sum(length(seq::text)) FROM t_${s}_$t;" ;;
				cast,text) q="SELECT sum(octet_length(seq)) FROM t_${s}_$t;" ;;
				cast,*) q="SELECT sum(octet_length(seq::text)) FROM t_${s}_$t;" ;;
			esac
			res=$(time_sql "$(setup_sql "$l")" "$q")
			IFS='|' read -r wall cpu got <<<"$res"
			[ "$got" = "${nbases[$s]}" ] || die "$q returned $got, expected ${nbases[$s]}"
			if [ $kind = decode ]; then t_decode[$v]+="$wall "; c_decode[$v]+="$cpu "
			else t_cast[$v]+="$wall "; c_cast[$v]+="$cpu "; fi
			log "$kind run $r/$runs  $s $t simd=$l: $wall s (CPU $cpu s)"
		done
	done
done

# ---------------------------------------------------------------- report
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{a[NR] = $1} END {m = int((NR + 1) / 2); print (NR % 2) ? a[m] : (a[m] + a[m + 1]) / 2}'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}'; }

# The level the targets are judged at: auto (-1) if measured, else the last one.
judge=${levels##* }
for l in $levels; do [ "$l" = -1 ] && judge=-1; done

commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$repo" diff --quiet HEAD -- src 2>/dev/null || commit="$commit+dirty(src)"
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)

echo
echo "pg_kmersearch type benchmark  ($(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit)"
echo "  PostgreSQL $("$KS_PG_CONFIG" --version | awk '{print $2}'), ${cpu:-unknown CPU}, $(nproc) cores"
echo "  data: $([ $quick = yes ] && echo 'quick (ssu_ref_20k.fa)' || echo 'full (ssu_ref.fa)'), $runs runs each, median;" \
	"$([ $logged = yes ] && echo logged || echo UNLOGGED) tables, one column; server-side COPY; 1 core per query"
for s in acgt full; do
	printf '  set %-4s  %9d sequences  %11d bases  (%s)\n' "$s" "${nseq[$s]}" "${nbases[$s]}" \
		"$([ $s = acgt ] && echo 'pure ACGT: text vs dna2' || echo 'all, with IUPAC codes: text vs dna4')"
done
printf '  SIMD levels:'; for l in $levels; do printf ' %s = %s;' "$l" "${level_name[$l]}"; done; echo
echo
declare -A m_load m_decode m_cast mc_load mc_decode mc_cast
for v in "${variants[@]}"; do
	m_load[$v]=$(median "${t_load[$v]}");     mc_load[$v]=$(median "${c_load[$v]}")
	m_decode[$v]=$(median "${t_decode[$v]}"); mc_decode[$v]=$(median "${c_decode[$v]}")
	m_cast[$v]=$(median "${t_cast[$v]}");     mc_cast[$v]=$(median "${c_cast[$v]}")
done
rule() { printf '%s\n' "----------------------------------------------------------------------------------"; }
# time_table TITLE WALL_ARRAY CPU_ARRAY: one row a variant, ratios against text on the same set
time_table() {
	local -n w=$2 c=$3
	local v s t l simd
	printf '%-36s %8s %7s %8s %7s %9s\n' "$1" wall_s vs_text cpu_s vs_text "Mbase/s"
	rule
	for v in "${variants[@]}"; do
		read -r s t l <<<"$v"
		simd=$([ "$l" = - ] && echo "" || echo "simd=$l ${level_name[$l]}")
		printf '%-4s %-4s %-26s %8.4f %7s %8.4f %7s %9.1f\n' "$s" "$t" "$simd" \
			"${w[$v]}" "$(div "${w[$v]}" "${w[$s text -]}")" \
			"${c[$v]}" "$(div "${c[$v]}" "${c[$s text -]}")" \
			"$(awk -v b="${nbases[$s]}" -v x="${w[$v]}" 'BEGIN {print (x > 0) ? b / x / 1e6 : 0}')"
	done
	echo
}
time_table "LOAD   COPY t(seq) FROM file" m_load mc_load
time_table "DECODE sum(length(seq::text))" m_decode mc_decode
time_table "CAST   sum(octet_length(seq::text))" m_cast mc_cast

printf '%-36s %8s %10s %8s %9s\n' "SIZE   after VACUUM" MB bytes/base text/x "TOAST MB"
rule
for st in "acgt text" "acgt dna2" "full text" "full dna4"; do
	read -r s t <<<"$st"
	printf '%-4s %-31s %8.1f %10.3f %8s %9.1f\n' "$s" "$t" \
		"$(awk -v x="${size_total[$s,$t]}" 'BEGIN {print x / 1048576}')" \
		"$(awk -v x="${size_total[$s,$t]}" -v b="${nbases[$s]}" 'BEGIN {print x / b}')" \
		"$(div "${size_total[$s,text]}" "${size_total[$s,$t]}")" \
		"$(awk -v x="${size_toast[$s,$t]}" 'BEGIN {print x / 1048576}')"
done
echo
echo "  wall_s: median elapsed time of the statement; cpu_s: median CPU time of the server process"
echo "  (less disturbed by other load on the machine); vs_text: time / time of text on the same set"
echo "  (lower is better); text/x: text table size / this table's size."
echo "  Text values stored compressed (pglz): ${text_compressed}% of the full set."
if [[ " $levels " == *" 0 "* ]]; then
	for l in $levels; do
		[ "$l" = 0 ] && continue
		echo "  SIMD speed-up, simd=$l (${level_name[$l]}) over scalar, wall time (CPU time):"
		for st in "acgt dna2" "full dna4"; do
			read -r s t <<<"$st"
			echo "    $t: load $(div "${m_load[$s $t 0]}" "${m_load[$s $t $l]}")x ($(div "${mc_load[$s $t 0]}" "${mc_load[$s $t $l]}")x)," \
				"decode $(div "${m_decode[$s $t 0]}" "${m_decode[$s $t $l]}")x ($(div "${mc_decode[$s $t 0]}" "${mc_decode[$s $t $l]}")x)," \
				"cast $(div "${m_cast[$s $t 0]}" "${m_cast[$s $t $l]}")x ($(div "${mc_cast[$s $t 0]}" "${mc_cast[$s $t $l]}")x)"
		done
	done
fi
echo
echo "Targets (at simd=$judge, ${level_name[$judge]}):"
verdict() {  # name value op limit [note]
	local ok
	ok=$(awk -v v="$2" -v lim="$4" -v op="$3" 'BEGIN {print ((op == "<=") ? (v <= lim) : (v >= lim)) ? "PASS" : "FAIL"}')
	printf '  %-34s %6s  (target %s %s)  %s%s\n' "$1" "$2" "$3" "$4" "$ok" "${5:+  $5}"
}
verdict "load dna2 / load text (acgt set)" "$(div "${m_load[acgt dna2 $judge]}" "${m_load[acgt text -]}")" "<=" 1.1 \
	"(CPU time ratio $(div "${mc_load[acgt dna2 $judge]}" "${mc_load[acgt text -]}"))"
verdict "load dna4 / load text (full set)" "$(div "${m_load[full dna4 $judge]}" "${m_load[full text -]}")" "<=" 1.1 \
	"(CPU time ratio $(div "${mc_load[full dna4 $judge]}" "${mc_load[full text -]}"))"
verdict "size text / dna2 (acgt set)" "$(div "${size_total[acgt,text]}" "${size_total[acgt,dna2]}")" ">=" 3.5
verdict "size text / dna4 (full set)" "$(div "${size_total[full,text]}" "${size_total[full,dna4]}")" ">=" 1.8
