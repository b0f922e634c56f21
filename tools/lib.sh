# Shared functions of tools/demo.sh and tools/test.sh (sourced, not run).
#
# They install what is missing from Debian's packages when run as root (or
# say what to install otherwise), build the extension out of tree, and run a
# throwaway PostgreSQL cluster.  PostgreSQL refuses to run as root, so as
# root the cluster runs as an unprivileged user (KMERSEARCH_RUN_AS, default
# postgres).

KS_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The PostgreSQL version: KMERSEARCH_PG_MAJOR, else this system's default
# (Debian's postgresql-common says which), else 15.
ks_default_pg_major() {
  local v
  v=$(/usr/share/postgresql-common/supported-versions 2>/dev/null | grep -E '^[0-9]+$' | tail -n 1)
  if [ -z "$v" ] && [ -r /etc/os-release ]; then
    case $(. /etc/os-release; echo "${VERSION_CODENAME:-}") in
      bookworm) v=15 ;;
      trixie) v=17 ;;
    esac
  fi
  echo "${v:-15}"
}
KS_PG_MAJOR=${KMERSEARCH_PG_MAJOR:-$(ks_default_pg_major)}

ks_say() { printf '\n== %s\n' "$*"; }
ks_die() { printf 'error: %s\n' "$*" >&2; exit 1; }
ks_is_root() { [ "$(id -u)" = 0 ]; }

# ks_need_packages PKG...: install the Debian packages that are missing
# (as root), or stop with the command that would install them.
ks_need_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ks_is_root; then
    ks_say "installing ${missing[*]} (Debian packages)"
    apt-get update -qq || ks_die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null \
      || ks_die "could not install ${missing[*]}"
  else
    ks_die "missing packages; as root run: apt-get install ${missing[*]}"
  fi
}

# The build dependencies, and the server the tests and the demo run on.
ks_need_build_deps() {
  ks_need_packages gcc make autoconf automake libtool libparasail-dev \
    "postgresql-$KS_PG_MAJOR" "postgresql-server-dev-$KS_PG_MAJOR" postgresql-server-dev-all
  KS_PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/$KS_PG_MAJOR/bin/pg_config}
  [ -x "$KS_PG_CONFIG" ] || KS_PG_CONFIG=$(command -v pg_config) || ks_die "pg_config not found"
  KS_PG_BINDIR=$("$KS_PG_CONFIG" --bindir)
}

# ks_build BUILDDIR [CONFIGURE-ARGS...]: autoreconf if needed, then a VPATH
# configure and make in BUILDDIR.
ks_build() {
  local builddir=$1; shift
  if [ -f "$KS_TOP/config.status" ]; then
    # autoconf refuses an out-of-tree build of a source tree configured in place
    ks_say "the source tree was configured in place; make distclean there first"
    make -C "$KS_TOP" distclean >/dev/null
  fi
  if [ ! -x "$KS_TOP/configure" ] || [ "$KS_TOP/configure.ac" -nt "$KS_TOP/configure" ]; then
    ks_say "autoreconf"
    (cd "$KS_TOP" && autoreconf -fi >/dev/null 2>&1) || (cd "$KS_TOP" && autoreconf -fi)
  fi
  mkdir -p "$builddir"
  ks_say "configure and build in $builddir"
  (cd "$builddir" && "$KS_TOP/configure" --with-pgconfig="$KS_PG_CONFIG" "$@" >configure.out 2>&1) \
    || { cat "$builddir/configure.out"; ks_die "configure failed"; }
  sed -n '/configured:/,$p' "$builddir/configure.out"
  make -C "$builddir" -j"$(nproc)"
}

# The user the server runs as.
ks_run_user() {
  if ks_is_root; then
    echo "${KMERSEARCH_RUN_AS:-postgres}"
  else
    id -un
  fi
}

# ks_as_server_user CMD...: run CMD as the user the server runs as.
ks_as_server_user() {
  if ks_is_root; then
    runuser -u "$(ks_run_user)" -- "$@"
  else
    "$@"
  fi
}

# ks_cluster_dir PREFERRED [fresh]: PREFERRED if the server user can create
# files there, else a directory under /var/tmp named after PREFERRED (when
# the project sits where that user cannot reach, such as /root): the same
# one every time, so that a cluster made there is found again.  With fresh,
# what was there before is removed.
ks_cluster_dir() {
  local want=$1 fresh=${2:-}
  [ -n "$fresh" ] && rm -rf "$want"
  mkdir -p "$want"
  if ks_is_root; then
    chown "$(ks_run_user)" "$want"
    if ! runuser -u "$(ks_run_user)" -- test -w "$want" 2>/dev/null; then
      local alt
      alt=/var/tmp/pg_kmersearch-$(basename "$want" | sed 's/^\.//')-$(printf '%s' "$want" | cksum | cut -d' ' -f1)
      [ -n "$fresh" ] && rm -rf "$alt"
      mkdir -p "$alt"
      chmod 755 "$alt"
      chown "$(ks_run_user)" "$alt"
      echo "note: $(ks_run_user) cannot reach $want; using $alt" >&2
      want=$alt
    fi
  fi
  echo "$want"
}

# ks_copy_tree DIR: the checkout's files (those git tracks and the untracked
# ones it does not ignore; every file of a release tarball) copied to DIR.
ks_copy_tree() {
  local dest=$1
  mkdir -p "$dest"
  if [ -d "$KS_TOP/.git" ] && command -v git >/dev/null; then
    (cd "$KS_TOP" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -xf - -C "$dest"
  else
    (cd "$KS_TOP" && tar --exclude='./build*' --exclude=./.demo -cf - .) | tar -xf - -C "$dest"
  fi
}

# ks_start_cluster DIR [EXTENSION_DESTDIR]: initdb (once; UTF8, C locale)
# and start a server with its socket in DIR, listening on no TCP address.
# Sets KS_PGHOST and KS_PGPORT.  With EXTENSION_DESTDIR the server loads the
# extension from a DESTDIR install (test/destdir_settings.sh).  Lines in
# KS_EXTRA_SETTINGS are added to the server's settings.
ks_start_cluster() {
  local dir=$1 destdir=${2:-}
  KS_CLUSTER=$dir
  KS_PGHOST=$dir
  KS_PGPORT=5432
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    ks_as_server_user "$KS_PG_BINDIR/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log"; ks_die "initdb failed"; }
  fi
  {
    echo "listen_addresses = ''"
    echo "unix_socket_directories = '$dir'"
    echo "port = $KS_PGPORT"
    [ -n "$destdir" ] && PG_CONFIG=$KS_PG_CONFIG sh "$KS_TOP/test/destdir_settings.sh" "$destdir"
    printf '%s\n' "${KS_EXTRA_SETTINGS:-}"
  } > "$dir/data/kmersearch.conf"
  grep -q "include_if_exists = 'kmersearch.conf'" "$dir/data/postgresql.conf" \
    || ks_as_server_user sh -c "echo \"include_if_exists = 'kmersearch.conf'\" >> '$dir/data/postgresql.conf'"
  if ks_is_root; then chown "$(ks_run_user)" "$dir/data/kmersearch.conf"; fi
  if [ -f "$dir/data/postmaster.pid" ]; then
    ks_as_server_user "$KS_PG_BINDIR/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  ks_as_server_user "$KS_PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null \
    || { cat "$dir/server.log"; ks_die "the server did not start"; }
}

# ks_kill_tree SIGNAL PID...: send SIGNAL to each PID and all its
# descendants (found in /proc: a fresh minimal system has no procps),
# children first.
ks_kill_tree() {
  local sig=$1 pid kid f line rest
  shift
  for pid in "$@"; do
    for f in /proc/[0-9]*/stat; do
      { read -r line < "$f"; } 2>/dev/null || continue
      rest=${line##*) }         # after "pid (comm) ": state ppid ...
      rest=${rest#* }
      [ "${rest%% *}" = "$pid" ] || continue
      kid=${f#/proc/}
      ks_kill_tree "$sig" "${kid%/stat}"
    done
    kill "-$sig" "$pid" 2>/dev/null || true
  done
}

ks_stop_cluster() {
  if [ -n "${KS_CLUSTER:-}" ] && [ -f "$KS_CLUSTER/data/postmaster.pid" ]; then
    ks_as_server_user "$KS_PG_BINDIR/pg_ctl" -D "$KS_CLUSTER/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

# ks_start_bench_cluster DIR: a cluster tuned for benchmarks (large
# shared_buffers and WAL, no autovacuum, JIT or parallel workers) in DIR,
# made there unless DIR has one, loading the extension from DIR/install,
# with a database "bench" that has the extension.
ks_start_bench_cluster() {
  local dir=$1
  if ks_is_root; then chown -R "$(ks_run_user)" "$dir"; fi
  chmod 700 "$dir"
  KS_EXTRA_SETTINGS="shared_buffers = 1GB
max_wal_size = 16GB
checkpoint_timeout = 1h
autovacuum = off
jit = off
max_parallel_workers_per_gather = 0"
  ks_start_cluster "$dir" "$dir/install"
  if [ -z "$(ks_psql -A -t -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'bench'")" ]; then
    ks_psql -q -d postgres -c 'CREATE DATABASE bench'
  fi
  ks_psql -q -d bench -c 'CREATE EXTENSION IF NOT EXISTS pg_kmersearch'
}

# ks_psql ARGS...: psql on the throwaway cluster as its superuser.
ks_psql() {
  ks_as_server_user "$KS_PG_BINDIR/psql" -X -v ON_ERROR_STOP=1 -h "$KS_PGHOST" -p "$KS_PGPORT" -U postgres "$@"
}
