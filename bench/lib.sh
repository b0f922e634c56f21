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
# build of the working tree in bench/work/build-$BENCH, and rundir, a
# temporary directory with the build installed in rundir/install, removed
# on exit with the cluster started there.
bench_setup() {
	commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
	git -C "$repo" diff --quiet HEAD -- src 2>/dev/null || commit="$commit+dirty(src)"
	ks_need_build_deps
	ks_build "$work/build-$BENCH" >"$work/build-$BENCH.log" 2>&1 \
		|| { cat "$work/build-$BENCH.log" >&2; die "build failed"; }
	rundir=$(mktemp -d "${TMPDIR:-/tmp}/pg_kmersearch_bench_$BENCH.XXXXXX")
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
	make -C "$work/build-$BENCH" install DESTDIR="$rundir/install" >"$work/$BENCH-install.log" 2>&1 \
		|| die "make install failed, see $work/$BENCH-install.log"
}

bench_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	ks_stop_cluster
	rm -rf "$rundir"
	exit $rc
}
