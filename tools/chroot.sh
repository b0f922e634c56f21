#!/usr/bin/env bash
# Debian chroots with the PostgreSQL versions users run, made with
# debootstrap from Debian's package registry, for tools/test.sh.
#
#   bash tools/chroot.sh make NAME      make (or check) the chroot NAME
#   bash tools/chroot.sh run NAME CMD…  run CMD in it, as root, with proc,
#                                       sys, dev, dev/pts and dev/shm mounted
#   bash tools/chroot.sh host-deps NAME…  install what this machine needs for
#                                       them (debootstrap; qemu for i386 where
#                                       the kernel runs no 32-bit programs)
#   bash tools/chroot.sh list           the names, with suite, arch and version
#   bash tools/chroot.sh dir|spec|major NAME   its directory, description or
#                                       PostgreSQL major version
#
# NAME is one of (suite, architecture, PostgreSQL):
#   pg17       trixie   amd64  17   (Debian 13)
#   pg18       sid      amd64  18   (Debian unstable)
#   pg15-i386  bookworm i386   15   (Debian 12, 32-bit)
#   pg15       bookworm amd64  15   (Debian 12: a fresh machine; packages)
# (on arm64 hosts the amd64 ones are arm64 and pg15-i386 is armhf).
#
# Chroots live in KMERSEARCH_CHROOT_CACHE (default
# /var/cache/pg_kmersearch/chroots) and are reused while valid: debootstrap
# finished, and the suite and architecture are the ones named here.  A
# missing or invalid one is made anew.  The package mirror is the one this
# machine's apt uses.  Needs root.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KS_CHROOT_CACHE=${KMERSEARCH_CHROOT_CACHE:-/var/cache/pg_kmersearch/chroots}

# chroot_spec NAME: prints "SUITE ARCH PGMAJOR", or fails for an unknown name.
chroot_spec() {
  local native narrow
  native=$(dpkg --print-architecture)
  case $native in
    amd64) narrow=i386 ;;
    arm64) narrow=armhf ;;
    *) narrow= ;;
  esac
  case $1 in
    pg15) echo "bookworm $native 15" ;;
    pg17) echo "trixie $native 17" ;;
    pg18) echo "sid $native 18" ;;
    pg15-i386)
      [ -n "$narrow" ] || { echo "chroot.sh: no 32-bit architecture beside $native" >&2; return 1; }
      echo "bookworm $narrow 15" ;;
    *) echo "chroot.sh: unknown chroot $1 (pg15, pg17, pg18, pg15-i386)" >&2; return 1 ;;
  esac
}

# The mirror this machine's apt uses for Debian (deb822 or one-line sources).
debian_mirror() {
  local m
  m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }')
  if [ -z "$m" ]; then
    m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
          | awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }')
  fi
  [ -n "$m" ] || { echo "chroot.sh: no Debian mirror in /etc/apt/sources.list*" >&2; return 1; }
  echo "${m%/}"
}

chroot_dir() { echo "$KS_CHROOT_CACHE/$1"; }

# chroot_valid NAME: debootstrap finished and the stamp names this suite/arch.
chroot_valid() {
  local dir spec
  dir=$(chroot_dir "$1")
  spec=$(chroot_spec "$1") || return 1
  [ -f "$dir/.pg_kmersearch-chroot" ] && [ "$(cat "$dir/.pg_kmersearch-chroot")" = "$spec" ] \
    && [ -x "$dir/usr/bin/apt-get" ] && [ -x "$dir/bin/bash" ]
}

chroot_make() {
  local name=$1 dir spec suite arch major mirror
  spec=$(chroot_spec "$name")
  read -r suite arch major <<< "$spec"
  dir=$(chroot_dir "$name")
  if chroot_valid "$name"; then
    echo "chroot $name ($suite $arch, PostgreSQL $major): reused, $dir"
    return 0
  fi
  chroot_umount "$name"
  # (never remove through a mount: /dev is a bind mount of this machine's)
  if awk -v d="$dir/" 'index($2 "/", d) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
    echo "chroot.sh: $dir still has file systems mounted; unmount them first" >&2
    return 1
  fi
  rm -rf --one-file-system "$dir"
  mkdir -p "$dir"
  mirror=$(debian_mirror)
  ks_need_packages debootstrap
  echo "chroot $name: debootstrap --variant=minbase --arch=$arch $suite (this takes a few minutes)"
  local start=$SECONDS
  debootstrap --variant=minbase --arch="$arch" "$suite" "$dir" "$mirror" > "$dir.debootstrap.log" 2>&1 \
    || { tail -n 30 "$dir.debootstrap.log"; echo "chroot.sh: debootstrap of $suite ($arch) failed" >&2; return 1; }
  # sid's Release file can be past its Valid-Until for this machine's clock
  # (a snapshot mirror); only there is the check turned off
  {
    echo "deb $mirror $suite main"
  } > "$dir/etc/apt/sources.list"
  if [ "$suite" = sid ]; then
    echo 'Acquire::Check-Valid-Until "false";' > "$dir/etc/apt/apt.conf.d/99pg-kmersearch-valid-until"
  fi
  printf 'APT::Install-Recommends "false";\n' > "$dir/etc/apt/apt.conf.d/99pg-kmersearch-norecommends"
  cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
  chroot_run "$name" apt-get update -qq
  echo "$spec" > "$dir/.pg_kmersearch-chroot"
  echo "chroot $name ($suite $arch, PostgreSQL $major): made in $((SECONDS - start)) s, $dir"
}

# qemu_user QEMU: the path of a qemu-QEMU user-mode emulator from Debian 13
# (qemu 10, statically linked), fetched once from this machine's Debian
# mirror into the chroot cache.  Debian 12's qemu 7.2 loses the x87 state of
# a 32-bit program when a signal is delivered to it (measured: 29,899 of 20
# million exp() and log() results wrong under a 5 kHz timer, none under qemu
# 10), and PostgreSQL's backends take signals all the time: float8
# arithmetic then fails at random ("value out of range: overflow").
qemu_user() {
  local q=$1 dir=$KS_CHROOT_CACHE/qemu-trixie tmp mirror
  local -a apt_opts
  if [ ! -x "$dir/usr/bin/qemu-$q" ]; then
    mirror=$(debian_mirror) || return 1
    mkdir -p "$KS_CHROOT_CACHE"
    tmp=$(mktemp -d "$KS_CHROOT_CACHE/qemu-trixie.XXXXXX")
    mkdir -p "$tmp/lists/partial" "$tmp/archives/partial" "$tmp/root"
    echo "deb $mirror trixie main" > "$tmp/sources.list"
    apt_opts=(-o "Dir::Etc::sourcelist=$tmp/sources.list" -o Dir::Etc::sourceparts=-
              -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache::archives=$tmp/archives"
              -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Get::List-Cleanup=0
              -o APT::Sandbox::User=root -o Acquire::Check-Valid-Until=false)
    if ! { apt-get "${apt_opts[@]}" -qq update && (cd "$tmp" && apt-get "${apt_opts[@]}" -qq download qemu-user) \
           && dpkg-deb -x "$tmp"/qemu-user_*.deb "$tmp/root"; } >"$tmp/log" 2>&1; then
      cat "$tmp/log" >&2
      rm -rf "$tmp"
      echo "chroot.sh: cannot fetch qemu-user from Debian 13 ($mirror)" >&2
      return 1
    fi
    [ -x "$tmp/root/usr/bin/qemu-$q" ] || { rm -rf "$tmp"; echo "chroot.sh: no qemu-$q in Debian 13's qemu-user" >&2; return 1; }
    rm -rf "$dir" && mv "$tmp/root" "$dir" && rm -rf "$tmp" || return 1
  fi
  echo "$dir/usr/bin/qemu-$q"
}

# native_or_emulated ARCH: make sure this machine runs ARCH's programs.  A
# 32-bit x86 chroot runs natively where the kernel has IA32 emulation; some
# virtual machines' kernels refuse 32-bit code (exec format error), and
# there i386 programs run under qemu's user-mode emulation (qemu_user),
# registered with binfmt_misc as pg_kmersearch-QEMU (fix-binary, so it works
# inside the chroot; the newest registration is the one the kernel uses, so
# it goes before a system's own qemu-QEMU).
native_or_emulated() {
  local arch=$1 qemu path entry magic want got
  [ "$arch" = "$(dpkg --print-architecture)" ] && return 0
  command -v arch-test >/dev/null || ks_need_packages arch-test
  # natively (-n: not through an emulator binfmt_misc already has)
  arch-test -n "$arch" >/dev/null 2>&1 && return 0
  entry=/proc/sys/fs/binfmt_misc/pg_kmersearch-$arch
  case $arch in
    i386) qemu=i386
          magic='\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00:\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff' ;;
    armhf) qemu=arm
          magic='\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x28\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff' ;;
    *) echo "chroot.sh: this machine cannot run $arch programs" >&2; return 1 ;;
  esac
  mkdir -p "$KS_CHROOT_CACHE"
  (
    # one fetch and registration at a time (chroots are made side by side)
    flock 9
    path=$(qemu_user "$qemu") || exit 1
    mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    # the emulator that runs ARCH's programs now must be ours: a system's own
    # registration made after ours (a qemu package installed or upgraded)
    # would come first; QEMU_VERSION makes qemu say its version and stop
    want=$("$path" --version | sed -n 1p)
    got=$(QEMU_VERSION=1 "/usr/lib/arch-test/$arch" 2>/dev/null | sed -n 1p || true)
    if [ "$got" != "$want" ]; then
      [ -e "$entry" ] && echo -1 > "$entry"
      echo "this machine's kernel does not run $arch programs: using $path ($want) through binfmt_misc"
      printf '%s' ":pg_kmersearch-$arch:M::$magic:$path:F" > /proc/sys/fs/binfmt_misc/register
      got=$(QEMU_VERSION=1 "/usr/lib/arch-test/$arch" 2>/dev/null | sed -n 1p || true)
      [ "$got" = "$want" ] || { echo "chroot.sh: $arch programs run under \"$got\", not $path" >&2; exit 1; }
    fi
  ) 9>"$KS_CHROOT_CACHE/qemu.lock" || return 1
  arch-test "$arch" >/dev/null 2>&1 || { echo "chroot.sh: $arch programs do not run here, even under qemu" >&2; return 1; }
}

# host_deps NAME...: what this machine needs to make and run those chroots
# (installed before any is made, so that chroots can be made side by side).
host_deps() {
  local n
  ks_need_packages debootstrap
  for n in "$@"; do
    native_or_emulated "$(chroot_spec "$n" | cut -d' ' -f2)"
  done
}

# The mounts a chroot needs while in use; chroot_umount undoes them.
chroot_mount() {
  local dir m
  dir=$(chroot_dir "$1")
  for m in proc sys dev dev/pts dev/shm; do
    mountpoint -q "$dir/$m" && continue
    mkdir -p "$dir/$m"
    case $m in
      proc) mount -t proc proc "$dir/proc" ;;
      sys) mount -t sysfs sys "$dir/sys" ;;
      dev) mount --bind /dev "$dir/dev" ;;
      dev/pts) mount -t devpts -o newinstance,ptmxmode=0666 devpts "$dir/dev/pts" ;;
      dev/shm) mount -t tmpfs -o mode=1777 shm "$dir/dev/shm" ;;
    esac
  done
}

chroot_umount() {
  local dir m
  dir=$(chroot_dir "$1")
  for m in dev/shm dev/pts dev sys proc; do
    if mountpoint -q "$dir/$m" 2>/dev/null; then
      umount "$dir/$m" 2>/dev/null || umount -l "$dir/$m"
    fi
  done
}

# chroot_run NAME CMD...: CMD as root inside, mounts in place for its time.
# Several commands may run in one chroot at once: each holds a shared lock
# on the chroot while it runs, and so do the processes it leaves running
# there (a server), which inherit it.  When a run ends it lets go of its
# lock and unmounts only if an exclusive lock can then be had on a fresh
# open of the lock file: nobody else is in the chroot.  A killed run's
# lock goes with it.
chroot_run() {
  local name=$1 dir status=0 personality= lockfd
  shift
  dir=$(chroot_dir "$name")
  exec {lockfd}> "$dir.lock"
  flock -s -w 600 "$lockfd" || { echo "chroot.sh: $name is locked (unmounting?)" >&2; return 1; }
  ( flock -x 8; chroot_mount "$name" ) 8> "$dir.mount-lock"
  # a 32-bit chroot reports a 32-bit machine (uname -m), as on a real one
  case $(chroot_spec "$name") in
    *" i386 "*|*" armhf "*) personality=linux32 ;;
  esac
  $personality chroot "$dir" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    ${CI:+CI=$CI} "$@" || status=$?
  exec {lockfd}>&-
  ( flock -x -n 9 || exit 0; flock -x 8; chroot_umount "$name" ) 9> "$dir.lock" 8> "$dir.mount-lock"
  return $status
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  [ "$(id -u)" = 0 ] || { echo "chroot.sh: needs root (debootstrap, mount, chroot)" >&2; exit 1; }
  cmd=${1:-}; shift || true
  case $cmd in
    make) host_deps "$1"; chroot_make "$1" ;;
    host-deps) host_deps "$@" ;;
    run)
      name=$1; shift
      chroot_valid "$name" || chroot_make "$name"
      native_or_emulated "$(chroot_spec "$name" | cut -d' ' -f2)"
      chroot_run "$name" "$@" ;;
    dir) chroot_spec "$1" >/dev/null && chroot_dir "$1" ;;
    spec)
      read -r suite arch major <<< "$(chroot_spec "$1")"
      echo "Debian $suite $arch, PostgreSQL $major" ;;
    major) chroot_spec "$1" | cut -d' ' -f3 ;;
    list)
      for n in pg15 pg17 pg18 pg15-i386; do
        printf '%-10s %s%s\n' "$n" "$(chroot_spec "$n")" "$(chroot_valid "$n" && echo '  (made)')"
      done ;;
    *) sed -n '2,/^set -/p' "$0" | sed -e '/^set -/d' -e 's/^# \{0,1\}//'; exit 2 ;;
  esac
fi
