#!/usr/bin/env bash
# npm run fuzz -- [options of test/fuzz/main.ts]: builds the suite (and the C driver when
# the clib face runs), runs it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bash "$root/test/build-suites.sh" "$@"
exec node "$root/build/suites/test/fuzz/main.js" "$@"
