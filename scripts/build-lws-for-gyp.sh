#!/usr/bin/env bash
# Builds the "node" flavor of libwebsockets (static, PIC, against Node's OpenSSL/libuv/zlib
# headers) for binding.gyp, with the top-level CMakeLists.txt in -DNETSTACK_LWS_ONLY=ON mode,
# into build/lws-gyp. All build output goes to stderr; stdout gets one line:
#   build-lws-for-gyp.sh [--prefix|--include-dir|--lib|--map] [NODE_INCLUDE_DIR]
#     --prefix       (default) the lws install prefix: <prefix>/include, <prefix>/lib/libwebsockets.a
#     --include-dir  <prefix>/include
#     --lib          <prefix>/lib/libwebsockets.a
#     --map          a linker version script exporting only the Node-API entry points
# NODE_INCLUDE_DIR: Node's include/node (uv.h, openssl/, zlib.h); binding.gyp passes
# <(node_root_dir)/include/node. Default: next to the running node, else /usr/include/node.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
what="${1:---prefix}"
node_inc="${2:-}"
dir="$root/build/lws-gyp"

case "$what" in
  --prefix|--include-dir|--lib|--map) ;;
  *) echo "usage: $0 [--prefix|--include-dir|--lib|--map] [NODE_INCLUDE_DIR]" >&2; exit 2 ;;
esac

{
  command -v cmake >/dev/null || { echo "build-lws-for-gyp: error: cmake not found" >&2; exit 1; }
  bash "$root/scripts/fetch-lws.sh" >/dev/null
  args=(-DCMAKE_BUILD_TYPE=Release -DNETSTACK_LWS_ONLY=ON)
  # Only use a Node include dir that really has the three libraries' headers.
  if [ -n "$node_inc" ] && [ -f "$node_inc/uv.h" ] && [ -f "$node_inc/openssl/ssl.h" ] && [ -f "$node_inc/zlib.h" ]; then
    args+=("-DNODE_INCLUDE_DIR=$node_inc")
  fi
  if [ ! -f "$dir/CMakeCache.txt" ] && command -v ninja >/dev/null; then args+=(-G Ninja); fi
  cmake -S "$root" -B "$dir" "${args[@]}"
  cmake --build "$dir" --target lws_node_ep --parallel "$( (nproc || echo 2) 2>/dev/null)"
  # The install prefix is keyed by the lws tree and Node; CMake records it here.
  prefix="$(head -n 1 "$dir/lws-node-prefix.txt")"
  lib="$prefix/lib/libwebsockets.a"
  map="$prefix/netstack_websocket.map"
  [ -f "$lib" ] || { echo "build-lws-for-gyp: error: $lib was not built" >&2; exit 1; }
  printf '{\n  global: napi_register_module_v1; node_api_module_get_api_version_v1;\n  local: *;\n};\n' >"$map.tmp"
  mv -f "$map.tmp" "$map"
} >&2

case "$what" in
  --prefix) echo "$prefix" ;;
  --include-dir) echo "$prefix/include" ;;
  --lib) echo "$lib" ;;
  --map) echo "$map" ;;
esac
