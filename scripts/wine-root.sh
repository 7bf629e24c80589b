#!/usr/bin/env bash
# Prints the Debian 13 root that runs Node for Windows under Wine 10, making it once (as root:
# debootstrap from Debian's archive, then its wine and wine64 packages; about 1.5 GB in
# ~/.cache/netstack-websocket/wine-trixie). Why: Node 24 and 26 for Windows (V8 13+) reserve
# memory with MEM_RESERVE_PLACEHOLDER, which Debian 12's Wine 8.0 refuses ("called with wrong
# alloc type flags (00042000)"; V8 then stops with "Fatal process out of memory:
# SegmentedTable::InitializeTable"); Wine 10 supports it. scripts/wine-node.sh runs in it.
set -euo pipefail
base="${NETSTACK_WS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/netstack-websocket}/wine-trixie"
root="$base/root"
log() { echo "wine-root: $*" >&2; }
if [ ! -f "$base/.ready" ]; then
  [ "$(id -u)" = 0 ] || { log "error: making the Debian 13 root for Wine 10 needs root (debootstrap, chroot)"; exit 1; }
  bash "$(dirname "${BASH_SOURCE[0]}")/ensure-debian-packages.sh" wine-root debootstrap
  rm -rf "$base"
  mkdir -p "$root"
  log "debootstrap trixie (minbase) into $root"
  debootstrap --variant=minbase --include=ca-certificates trixie "$root" http://deb.debian.org/debian >"$base/debootstrap.log" 2>&1 ||
    { tail -n 20 "$base/debootstrap.log" >&2; exit 1; }
  # debootstrap writes no /etc/hosts: "localhost" must resolve (the wss:// tests use it).
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
  log "installing wine and wine64 in it"
  unshare -m sh -c '
    mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" &&
    chroot "$1" sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wine wine64" &&
    chroot "$1" env -i HOME=/root PATH=/usr/bin:/bin WINEPREFIX=/root/wine-prefix WINEDEBUG=-all WINEDLLOVERRIDES=mscoree,mshtml= \
      sh -c "wineboot -i; winecfg -v win10; wineserver -w"
  ' _ "$root" >"$base/wine.log" 2>&1 </dev/null || { tail -n 20 "$base/wine.log" >&2; exit 1; }
  touch "$base/.ready"
  log "ready: wine $(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Version}' wine 2>/dev/null)"
fi
echo "$root"
