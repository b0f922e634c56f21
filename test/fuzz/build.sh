#!/bin/sh
# Build the libFuzzer targets: the extension's C code (src/dna.c, kmer.c,
# score.c, gin.c, cpu.c, settings.c and the codecs) with the minimal backend of
# harness.c, under AddressSanitizer and UndefinedBehaviorSanitizer, linked
# with PostgreSQL's libpgcommon/libpgport.
#
#   usage: test/fuzz/build.sh OUTDIR
# Environment: CLANG (default clang), PG_CONFIG (default pg_config).
# Needs clang and its runtime (Debian: clang libclang-rt-dev) and the
# server headers (postgresql-server-dev-NN).  Makes OUTDIR/fuzz_dna_text,
# fuzz_dna_recv, fuzz_query, fuzz_gin_keys and fuzz_strands.
set -eu

out=${1:?usage: build.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../src" && pwd)
CLANG=${CLANG:-clang}
PG_CONFIG=${PG_CONFIG:-pg_config}

incdir=$("$PG_CONFIG" --includedir-server)
libdir=$("$PG_CONFIG" --pkglibdir)
# The position-independent builds of PostgreSQL's static libraries
pgcommon=$libdir/libpgcommon_shlib.a
pgport=$libdir/libpgport_shlib.a
[ -f "$pgcommon" ] || pgcommon=$("$PG_CONFIG" --libdir)/libpgcommon_shlib.a
[ -f "$pgport" ] || pgport=$("$PG_CONFIG" --libdir)/libpgport_shlib.a

mkdir -p "$out/obj"

# the vector kernels this compiler can build (configure's defines)
defs=
vsrcs=
case $(uname -m) in
	aarch64|arm64) pairs="HAVE_NEON_TARGET:codec_neon.c" ;;
	*) pairs="HAVE_AVX2_TARGET:codec_avx2.c HAVE_AVX512BW_TARGET:codec_avx512.c" ;;
esac
for pair in $pairs; do
	def=${pair%:*}; file=${pair#*:}
	if "$CLANG" -O1 -D"$def" -I"$src" -c "$src/$file" -o "$out/obj/probe.o" >/dev/null 2>&1; then
		defs="$defs -D$def"; vsrcs="$vsrcs $file"
	fi
done

cflags="-g -O1 -fno-omit-frame-pointer -fwrapv -fno-strict-aliasing -Wall -Wno-unused-command-line-argument -Wno-ignored-attributes
	-fsanitize=address,undefined -fno-sanitize-recover=all $defs -I$src -I$here -I$incdir"

# Comparison tracing in the k-mer loops costs more than it finds there
# (the inputs have no magic values); edge coverage stays.
nocmp="-fno-sanitize-coverage=trace-cmp"
objs=
for f in dna.c kmer.c score.c gin.c cpu.c settings.c codec_scalar.c $vsrcs; do
	o=$out/obj/${f%.c}.o
	# shellcheck disable=SC2086
	"$CLANG" $cflags -fsanitize=fuzzer-no-link $nocmp -c "$src/$f" -o "$o"
	objs="$objs $o"
done
# the harness itself is not what is fuzzed: no coverage feedback from it
# shellcheck disable=SC2086
"$CLANG" $cflags -c "$here/harness.c" -o "$out/obj/harness.o"

for t in fuzz_dna_text fuzz_dna_recv fuzz_query fuzz_gin_keys fuzz_strands; do
	# shellcheck disable=SC2086
	"$CLANG" $cflags -fsanitize=fuzzer "$here/$t.c" "$out/obj/harness.o" $objs \
		"$pgcommon" "$pgport" -lm -o "$out/$t"
done
echo "built: $out/fuzz_dna_text $out/fuzz_dna_recv $out/fuzz_query $out/fuzz_gin_keys $out/fuzz_strands ($defs )"
