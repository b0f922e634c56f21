#!/usr/bin/env bash
# Set up everything and show pg_kmersearch at work on real rRNA sequences:
# load 5,000 SSU rRNA sequences and find the ones most like an E. coli read.
#
#   bash tools/demo.sh
#
# As root: installs what is missing from Debian's packages (build tools,
# PostgreSQL, and ncbi-rrna-data for the sequences), builds and installs the
# extension, and starts a throwaway cluster in .demo/ of the project (run as
# the postgres user).  As an ordinary user with those packages installed: the
# same, with the extension installed under .demo/install instead of the
# system.  The cluster is left running for you to explore; the script prints
# how to connect and how to stop it.  Running it again reuses the cluster.
# When the project sits where the postgres user cannot read (a checkout in
# /root), the cluster lives in /var/tmp instead, under a name made from the
# project's path (the same every run).  On failure it says which step failed,
# stops the server it started and leaves the cluster's files for a look.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

step="setting up"
started=
finished=
say_step() { step=$*; ks_say "$*"; }
on_exit() {
  local status=$?
  [ -n "$finished" ] && return
  [ $status -ne 0 ] || status=1
  printf '\ndemo: FAILED while %s (exit %d)\n' "$step" "$status" >&2
  if [ -n "$started" ]; then
    ks_stop_cluster
    printf 'demo: stopped the server it had started; its log is %s\n' "$KS_CLUSTER/server.log" >&2
  fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# every Nth sequence of SILVA SSURef 93 (204,065 sequences): 5,102 of them
every=${KMERSEARCH_DEMO_EVERY:-40}

ks_need_build_deps
ks_need_packages ncbi-blast+ ncbi-rrna-data

step="building"
ks_build "$KS_TOP/build"
demo=$(ks_cluster_dir "$KS_TOP/.demo")
if ks_is_root; then
  say_step "make install (into this system's PostgreSQL $KS_PG_MAJOR)"
  make -C "$KS_TOP/build" install >/dev/null
  destdir=
else
  say_step "make install DESTDIR=$demo/install"
  make -C "$KS_TOP/build" install DESTDIR="$demo/install" >/dev/null
  destdir=$demo/install
fi

say_step "extracting every ${every}th SSU rRNA sequence (SILVA SSURef 93, package ncbi-rrna-data)"
export BLASTDB=/usr/share/ncbi/data
# Tab-separated accession, description and sequence, one sequence a line.
blastdbcmd -db SSURef_93.fasta -entry all -line_length 1000000 \
  | awk -v every="$every" '
      /^>/ { acc = substr($1, 2); $1 = ""; desc = substr($0, 2); next }
      { if (n++ % every == 0) print acc "\t" desc "\t" $0 }' > "$demo/ssu.tsv"
# The query: 250 bases of the E. coli rrnB 16S gene (NCBI 16S collection),
# the size of an amplicon read.  awk stops early: the broken pipe is expected.
query=$({ blastdbcmd -db Combined16SrRNA_2-12-2008 -entry all -line_length 1000000 || true; } \
  | awk 'NR == 2 { print substr($0, 401, 250); exit }')
if ks_is_root; then chown "$(ks_run_user)" "$demo/ssu.tsv"; fi

if [ -f "$demo/data/PG_VERSION" ]; then
  say_step "starting the demo cluster in $demo (made by an earlier run)"
else
  say_step "making and starting a throwaway cluster in $demo"
fi
started=yes   # (set first: a server still starting when pg_ctl gives up is stopped too)
ks_start_cluster "$demo" "$destdir"

say_step "running tools/demo.sql"
# (sessions a user left open in the previous run's database are ended)
ks_psql -d postgres -c 'DROP DATABASE IF EXISTS kmersearch_demo WITH (FORCE)' -c 'CREATE DATABASE kmersearch_demo' >/dev/null
# (psql reads the script from its standard input, opened here: the server's
# user may not be able to read the checkout)
ks_psql -d kmersearch_demo -v tsv="$demo/ssu.tsv" -v query="$query" < "$KS_TOP/tools/demo.sql"

cat <<MSG

The cluster is still running. Connect with:
  $( ks_is_root && printf 'runuser -u %s -- ' "$(ks_run_user)" )$KS_PG_BINDIR/psql -h $demo -U postgres kmersearch_demo
Stop it with:
  $( ks_is_root && printf 'runuser -u %s -- ' "$(ks_run_user)" )$KS_PG_BINDIR/pg_ctl -D $demo/data stop
MSG
finished=yes
