#!/usr/bin/env bash
# Builds what the fuzz and soak suites run: their TypeScript (into build/suites) and, with
# --c-driver, the C client test/fuzz/c-driver/fuzz_client.c against libnet_websocket.so
# (build-clib/fuzz_client; builds the library first if build-clib/ does not exist yet).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
node node_modules/typescript/bin/tsc -p test/tsconfig.suites.json
if [ "${1:-}" = --c-driver ]; then
  [ -f build-clib/CMakeCache.txt ] || bash scripts/build-clib.sh >/dev/null
  cmake --build build-clib --target fuzz_client >/dev/null
fi
