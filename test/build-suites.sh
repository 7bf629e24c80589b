#!/usr/bin/env bash
# Builds what the fuzz and soak suites run: their TypeScript (into build/suites) and the C
# client test/fuzz/c-driver/fuzz_client.c against libnet_websocket.so (build-clib/fuzz_client;
# builds the library first if build-clib/ does not exist yet) unless the suite's arguments,
# given here too, leave the clib face out (--face without clib).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
node node_modules/typescript/bin/tsc -p test/tsconfig.suites.json
c_driver=1
prev=
for arg in "$@"; do
  if [ "$prev" = --face ] && [[ ",$arg," != *,clib,* ]]; then c_driver=0; fi
  prev="$arg"
done
if [ "$c_driver" = 1 ]; then
  [ -f build-clib/CMakeCache.txt ] || bash scripts/build-clib.sh >/dev/null
  cmake --build build-clib --target fuzz_client >/dev/null
fi
