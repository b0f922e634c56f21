#!/bin/sh
# Run the libFuzzer targets that test/fuzz/build.sh made.
#
#   usage: test/fuzz/run.sh FUZZDIR RUNS [TARGET...]
#     FUZZDIR  where build.sh put the targets
#     RUNS     executions per target after the corpus; 0 replays the
#              committed corpus only (the regression form)
#     TARGET   default: all five
#
# Each target starts from its committed corpus, test/fuzz/corpus/TARGET
# (read, never written), and keeps what it finds new in
# FUZZDIR/corpus/TARGET.  A crash, leak, sanitizer report, timeout or
# harness failure leaves the input in FUZZDIR/crashes/TARGET/ and makes the
# exit status 1; add it to the committed corpus once the bug is fixed.
# Prints one line a target: executions, seconds, corpus size, coverage.
set -u

dir=${1:?usage: run.sh FUZZDIR RUNS [TARGET...]}
runs=${2:?usage: run.sh FUZZDIR RUNS [TARGET...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
targets=${*:-fuzz_dna_text fuzz_dna_recv fuzz_query fuzz_gin_keys fuzz_strands}
status=0

for t in $targets; do
	# longer inputs for the codecs' vector loops, shorter where each letter
	# costs k-mer work
	case $t in
		fuzz_dna_text|fuzz_dna_recv) maxlen=1024 ;;
		*) maxlen=192 ;;
	esac
	mkdir -p "$dir/corpus/$t" "$dir/crashes/$t"
	log=$dir/$t.log
	start=$(date +%s)
	"$dir/$t" -runs="$runs" -max_len="$maxlen" -timeout=20 -rss_limit_mb=2560 \
		-print_final_stats=1 -artifact_prefix="$dir/crashes/$t/" \
		"$dir/corpus/$t" "$here/corpus/$t" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	corp=$(grep -o 'corp: [0-9]*' "$log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "PASS $t: ${execs:-?} executions in ${secs}s, $cov, $corp"
	else
		echo "FAIL $t (exit $rc): the report is in $log, the input in $dir/crashes/$t/"
		grep -E 'ERROR|harness:|runtime error|SUMMARY' "$log" | head -n 10
		status=1
	fi
done
exit $status
