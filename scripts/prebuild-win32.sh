#!/usr/bin/env bash
# Cross-builds prebuilds/win32-x64/node.napi.node on a Linux host with mingw-w64
# (scripts/prebuild.sh --platform win32 calls it; bash scripts/ensure-win32-tools.sh installs
# the tools). libwebsockets is built for Windows on Node's own libuv, OpenSSL and zlib: the
# addon imports them, and Node-API, from node.exe through an import library made from the
# export table of Node 20's node.exe (the oldest supported Node: every later one exports
# the same names). libgcc, libstdc++ and winpthread are linked in statically, so the binary
# needs no DLL but the system's and node.exe; the check at the end says which it imports.
# Build dir: build-win32/. Prints the path of the binary on stdout.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
log() { echo "prebuild-win32: $*" >&2; }

for tool in x86_64-w64-mingw32-g++-posix x86_64-w64-mingw32-dlltool x86_64-w64-mingw32-strip x86_64-w64-mingw32-objdump gendef cmake; do
  command -v "$tool" >/dev/null || { log "error: $tool not found (bash scripts/ensure-win32-tools.sh)"; exit 1; }
done
node_exe="$(bash scripts/official-node.sh --win32 20)"
build_dir="$root/build-win32"
gen=()
if [ ! -f "$build_dir/CMakeCache.txt" ] && command -v ninja >/dev/null; then gen=(-G Ninja); fi
start=$SECONDS
cmake -S "$root" -B "$build_dir" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$root/scripts/win32-x64.toolchain.cmake" -DNETSTACK_NODE_EXE="$node_exe" >&2
cmake --build "$build_dir" --parallel "$( (nproc || echo 2) 2>/dev/null)" --target netstack_websocket >&2

out_dir="$root/prebuilds/win32-x64"
bin="$out_dir/node.napi.node"
rm -rf "$out_dir"
mkdir -p "$out_dir"
x86_64-w64-mingw32-strip --strip-unneeded -o "$bin" "$build_dir/Release/netstack_websocket.node"

# The DLLs it imports: the system's and node.exe only.
dlls="$(x86_64-w64-mingw32-objdump -p "$bin" | sed -n 's/^[[:space:]]*DLL Name: //p' | sort -f | tr '\n' ' ')"
for dll in $dlls; do
  case "$(echo "$dll" | tr '[:upper:]' '[:lower:]')" in
    node.exe|kernel32.dll|msvcrt.dll|ws2_32.dll|crypt32.dll|iphlpapi.dll|userenv.dll|psapi.dll|advapi32.dll|user32.dll|bcrypt.dll|api-ms-win-*) ;;
    *) log "error: $bin imports $dll, which is neither a system DLL nor node.exe"; exit 1 ;;
  esac
done
exports="$(x86_64-w64-mingw32-objdump -p "$bin" | sed -n '/Ordinal\/Name Pointer/,/^$/p' | grep -o 'napi_[a-z_0-9]*\|node_api_[a-z_0-9]*' | tr '\n' ' ')"
log "built $bin in $((SECONDS - start)) s: $(stat -c %s "$bin") bytes, sha256 $(sha256sum "$bin" | cut -c1-16)..., imports $dlls, exports $exports"
echo "$bin"
