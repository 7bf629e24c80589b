#!/usr/bin/env bash
# Builds the standalone C library (OpenHarmony NetStack WebSocket C API) with plain CMake:
#   build-clib/libnet_websocket.so.1 (libwebsockets built in, against the system's
#   OpenSSL, libuv and zlib) and build-clib/c_api_test.
# Installs the Debian packages it needs if they are missing (apt-get; needs root).
# Install afterwards with:  cmake --install build-clib --prefix <dir>
# (then: cc app.c $(PKG_CONFIG_PATH=<dir>/lib/pkgconfig pkg-config --cflags --libs net_websocket))
# Extra arguments are passed to the CMake configure step (e.g. -DNETSTACK_SANITIZE=address).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
log() { echo "build-clib: $*" >&2; }

# --- system packages --------------------------------------------------------
bash scripts/ensure-clib-tools.sh

command -v cmake >/dev/null || { log "error: cmake not found (install cmake >= 3.16)"; exit 1; }

# --- configure + build --------------------------------------------------------
build_dir="$root/build-clib"
jobs="$( (nproc || getconf _NPROCESSORS_ONLN || echo 2) 2>/dev/null | head -n 1)"
gen=()
if [ ! -f "$build_dir/CMakeCache.txt" ] && command -v ninja >/dev/null; then gen=(-G Ninja); fi

start=$SECONDS
cmake -S "$root" -B "$build_dir" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DNETSTACK_BUILD_CLIB=ON "$@" >&2
targets=(net_websocket)
if ls "$root"/test/native/*.c >/dev/null 2>&1; then targets+=(c_api_test); fi
if ls "$root"/test/native/unit/*.cc >/dev/null 2>&1; then targets+=(native_unit_test); fi
cmake --build "$build_dir" --parallel "$jobs" --target "${targets[@]}" >&2
log "built ${targets[*]} in $((SECONDS - start)) s"
echo "$build_dir/libnet_websocket.so.1"
