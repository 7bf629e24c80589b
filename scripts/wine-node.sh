#!/usr/bin/env bash
# wine-node.sh NODE.EXE ARGS...: runs Node for Windows under Wine in the current directory,
# as a node binary would run (stdout, stderr, exit status), for scripts/node-matrix.sh.
# Wine: the host's when it is 9 or later, else Wine 10 in the Debian 13 root of
# scripts/wine-root.sh (entered with chroot in a private mount namespace; /tmp, the current
# directory and node.exe's directory are bound at the same paths). Wine cannot write to a
# pipe as stdout (EBADF): the output goes through files. A run is limited to 110 s.
# NETSTACK_WINEDEBUG=+winsock (say) turns Wine's debug channels on (default -all).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exe="$1"
shift
out="$(mktemp)"; err="$(mktemp)"
trap 'rm -f "$out" "$err"' EXIT
env_pass=(WINEDEBUG=${NETSTACK_WINEDEBUG:--all} WINEDLLOVERRIDES=mscoree,mshtml=)
for v in NODE_EXTRA_CA_CERTS SMOKE_TIMEOUT_MS; do [ -n "${!v:-}" ] && env_pass+=("$v=${!v}"); done
host_major="$(wine --version 2>/dev/null | sed -n 's/^wine-\([0-9]*\).*/\1/p')"
if [ "${host_major:-0}" -ge 9 ] && [ "${NETSTACK_WINE_ROOT:-auto}" != always ]; then
  WINEPREFIX="$(bash "$here/wine-prefix.sh")" env "${env_pass[@]}" timeout 110 wine "$exe" "$@" >"$out" 2>"$err" </dev/null
  rc=$?
else
  root="$(bash "$here/wine-root.sh")" || exit 1
  exe_dir="$(cd "$(dirname "$exe")" && pwd)"
  unshare -m bash -c '
    root="$1" cwd="$2" exe_dir="$3" out="$4" err="$5" n_env="$6"; shift 6
    env_vars=("${@:1:$n_env}"); shift "$n_env"
    mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" || exit 125
    for d in /tmp "$cwd" "$exe_dir"; do
      mkdir -p "$root$d" && mount --bind "$d" "$root$d" || exit 125
    done
    mkdir -p -m 700 "$root/root/run"
    chroot "$root" env -i HOME=/root PATH=/usr/bin:/bin WINEPREFIX=/root/wine-prefix XDG_RUNTIME_DIR=/root/run "${env_vars[@]}" \
      sh -c "cd \"\$0\" && timeout 110 wine \"\$@\"; rc=\$?; wineserver -w; exit \$rc" "$cwd" "$@" \
      >"$out" 2>"$err" </dev/null
  ' _ "$root" "$PWD" "$exe_dir" "$out" "$err" "${#env_pass[@]}" "${env_pass[@]}" "$exe" "$@"
  rc=$?
fi
cat "$out"
cat "$err" >&2
exit "$rc"
