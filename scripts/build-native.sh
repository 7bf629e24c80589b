#!/usr/bin/env bash
# Builds the Node addon build/Release/netstack_websocket.node (Release) with cmake-js:
# libwebsockets (fetched by scripts/fetch-lws.sh) is compiled into it against Node's own
# OpenSSL/libuv/zlib headers. Needs no Node headers download (package.json declares
# "binary": {"napi_versions": [8]}, so cmake-js uses node-api-headers).
# Without cmake-js installed (e.g. a consumer install without devDependencies) it falls
# back to plain cmake with the same CMakeLists.txt.
# Prints the path of the .node on the last line of stdout.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
log() { echo "build-native: $*" >&2; }

command -v cmake >/dev/null || { log "error: cmake not found (install cmake >= 3.16)"; exit 1; }
command -v node >/dev/null || { log "error: node not found in PATH"; exit 1; }

# Fetch (or find cached) libwebsockets first: fails early with a clear message.
lws_src="$(bash scripts/fetch-lws.sh | tail -n 1)"
log "libwebsockets source: $lws_src"

jobs="$( (nproc || getconf _NPROCESSORS_ONLN || echo 2) 2>/dev/null | head -n 1)"
build_dir="$root/build"

# A build dir configured for another checkout (copied tree) cannot be reused by CMake.
if [ -f "$build_dir/CMakeCache.txt" ]; then
  cached_home="$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build_dir/CMakeCache.txt")"
  if [ -n "$cached_home" ] && [ "$cached_home" != "$root" ]; then
    log "build/ was configured for $cached_home: starting it afresh"
    rm -rf "$build_dir/CMakeCache.txt" "$build_dir/CMakeFiles"
  fi
fi

cmake_js="$root/node_modules/.bin/cmake-js"
start=$SECONDS
if [ -x "$cmake_js" ] && [ -d "$root/node_modules/node-addon-api" ]; then
  # configure every time (about 1 s) so a changed lws tree or option is picked up;
  # "build" rather than "compile": a compile error must not trigger a full rebuild.
  "$cmake_js" configure --config Release --log-level warn
  "$cmake_js" build --config Release --parallel "$jobs" --log-level warn
else
  log "cmake-js or node-addon-api not installed: using plain cmake"
  gen=()
  if [ ! -f "$build_dir/CMakeCache.txt" ] && command -v ninja >/dev/null; then gen=(-G Ninja); fi
  cmake -S "$root" -B "$build_dir" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release
  cmake --build "$build_dir" --parallel "$jobs"
fi

node_file="$build_dir/Release/netstack_websocket.node"
[ -f "$node_file" ] || { log "error: build finished but $node_file is missing"; exit 1; }
log "built in $((SECONDS - start)) s"
echo "$node_file"
