#!/bin/sh
# Build and run test/codec_test.c, the standalone cross-check of the codec
# kernels (every SIMD kernel against the scalar reference):
#   1. natively, with every vector kernel the compiler can build for this
#      architecture (the test runs only those the CPU supports);
#   2. natively again under AddressSanitizer + UndefinedBehaviorSanitizer,
#      when the compiler supports them;
#   3. for aarch64 (NEON kernels) under qemu user-mode emulation, when this is
#      not an aarch64 machine and a cross compiler and qemu are installed
#      (Debian: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross
#      qemu-user); skipped with a message otherwise.
#
#   usage: test/codec_cross_check.sh [-q]     (from any directory)
#     -q: quick mode (fewer sampled invalid positions in long texts)
# Environment: CC (native compiler, default cc), AARCH64_CC (default
# aarch64-linux-gnu-gcc), QEMU_AARCH64 (default qemu-aarch64-static or
# qemu-aarch64), CODEC_TEST_NO_ASAN=1 to skip the sanitizer build.
# Exit status: 0 when every run that was possible passed, 1 otherwise.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
src=$repo/src
test_c=$repo/test/codec_test.c

quick=
if [ "${1:-}" = "-q" ]; then
	quick=-q
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/codec_cross_check.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

CC=${CC:-cc}
status=0
summary=

note() { printf '%s\n' "$*"; }
add_summary() { summary="$summary
$*"; }

# run LABEL LOGFILE COMMAND...: run a test binary, keep its log, record result
run() {
	label=$1; log=$2; shift 2
	note "=== $label: $*"
	"$@" >"$log" 2>&1
	rc=$?
	grep -E '^(FAIL|kernel |testing |HAVE_)' "$log" | head -40
	last=$(tail -n 1 "$log")
	if [ $rc -eq 0 ] && printf '%s\n' "$last" | grep -Eq '^[0-9]+ passed, 0 failed$'; then
		add_summary "PASS  $label: $last"
	else
		note "--- $label failed (exit $rc); last lines of the log:"
		tail -n 15 "$log"
		add_summary "FAIL  $label: exit $rc: $last"
		status=1
	fi
}

# vector_flags COMPILER ARCH: -D flags and sources for the vector kernels the
# compiler can build for ARCH (the same defines configure passes)
vector_flags() {
	vcc=$1; arch=$2
	vdefs=; vsrcs=
	case $arch in
		x86_64|amd64|i?86)
			for pair in "HAVE_AVX2_TARGET codec_avx2.c" "HAVE_AVX512BW_TARGET codec_avx512.c"; do
				def=${pair% *}; file=${pair#* }
				if $vcc -O2 -D"$def" -I"$src" -c "$src/$file" -o "$tmp/probe.o" >/dev/null 2>&1; then
					vdefs="$vdefs -D$def"; vsrcs="$vsrcs $src/$file"
				else
					note "note: $vcc cannot build $file; its kernels are not tested"
				fi
			done
			;;
		aarch64|arm64)
			vdefs=" -DHAVE_NEON_TARGET"; vsrcs=$src/codec_neon.c
			;;
	esac
}

native_arch=$($CC -dumpmachine 2>/dev/null | cut -d- -f1)
[ -n "$native_arch" ] || native_arch=$(uname -m)

# ---- 1. native ---------------------------------------------------------
vector_flags "$CC" "$native_arch"
note "native ($native_arch): $CC$vdefs"
# shellcheck disable=SC2086
if $CC -O2 -Wall -Werror $vdefs -I"$src" "$src/codec_scalar.c" $vsrcs "$test_c" \
	-o "$tmp/codec_test" >"$tmp/build_native.log" 2>&1; then
	run "native $native_arch" "$tmp/native.log" "$tmp/codec_test" $quick
else
	cat "$tmp/build_native.log"
	add_summary "FAIL  native $native_arch: build failed"
	status=1
fi

# ---- 2. native with ASan + UBSan --------------------------------------
if [ "${CODEC_TEST_NO_ASAN:-0}" != 0 ]; then
	add_summary "SKIP  native ASan/UBSan: CODEC_TEST_NO_ASAN set"
elif printf 'int main(void){return 0;}\n' >"$tmp/probe.c" &&
	$CC -fsanitize=address,undefined "$tmp/probe.c" -o "$tmp/probe" >/dev/null 2>&1 &&
	"$tmp/probe" >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	if $CC -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
		-fno-sanitize-recover=undefined -Wall -Werror $vdefs -I"$src" \
		"$src/codec_scalar.c" $vsrcs "$test_c" -o "$tmp/codec_test_asan" \
		>"$tmp/build_asan.log" 2>&1; then
		run "native $native_arch ASan+UBSan" "$tmp/asan.log" "$tmp/codec_test_asan" $quick
	else
		cat "$tmp/build_asan.log"
		add_summary "FAIL  native ASan/UBSan: build failed"
		status=1
	fi
else
	note "skip: $CC cannot build and run -fsanitize=address,undefined programs"
	add_summary "SKIP  native ASan/UBSan: not supported by $CC here"
fi

# ---- 3. aarch64 under qemu --------------------------------------------
case $native_arch in
	aarch64|arm64)
		add_summary "SKIP  aarch64 under qemu: this is an aarch64 machine (NEON tested natively)"
		;;
	*)
		acc=${AARCH64_CC:-aarch64-linux-gnu-gcc}
		qemu=${QEMU_AARCH64:-}
		if [ -z "$qemu" ]; then
			for q in qemu-aarch64-static qemu-aarch64; do
				if command -v "$q" >/dev/null 2>&1; then qemu=$q; break; fi
			done
		fi
		if ! command -v "$acc" >/dev/null 2>&1; then
			note "skip aarch64: no cross compiler $acc" \
				"(Debian: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)"
			add_summary "SKIP  aarch64 under qemu: cross compiler $acc not installed"
		elif [ -z "$qemu" ] || ! command -v "$qemu" >/dev/null 2>&1; then
			note "skip aarch64: no qemu-aarch64 / qemu-aarch64-static (Debian: apt-get install qemu-user)"
			add_summary "SKIP  aarch64 under qemu: qemu-aarch64 not installed"
		else
			vector_flags "$acc" aarch64
			note "aarch64: $acc$vdefs, run with $qemu"
			# shellcheck disable=SC2086
			if $acc -O2 -static -Wall -Werror $vdefs -I"$src" "$src/codec_scalar.c" \
				$vsrcs "$test_c" -o "$tmp/codec_test_aarch64" >"$tmp/build_aarch64.log" 2>&1; then
				run "aarch64 (qemu)" "$tmp/aarch64.log" "$qemu" "$tmp/codec_test_aarch64" $quick
			elif $acc -O2 -Wall -Werror $vdefs -I"$src" "$src/codec_scalar.c" \
				$vsrcs "$test_c" -o "$tmp/codec_test_aarch64" >>"$tmp/build_aarch64.log" 2>&1; then
				# no static libc: run the dynamic binary with the cross sysroot
				sysroot=$($acc -print-sysroot 2>/dev/null)
				[ -n "$sysroot" ] && [ "$sysroot" != / ] || sysroot=/usr/aarch64-linux-gnu
				run "aarch64 (qemu, dynamic)" "$tmp/aarch64.log" "$qemu" -L "$sysroot" \
					"$tmp/codec_test_aarch64" $quick
			else
				cat "$tmp/build_aarch64.log"
				add_summary "FAIL  aarch64: build failed"
				status=1
			fi
		fi
		;;
esac

note ""
note "codec cross-check summary:$summary"
exit $status
