#!/usr/bin/env bash
# npm run soak -- [options of test/soak/main.ts]: builds the suite and the C driver, runs it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bash "$root/test/build-suites.sh" --c-driver
exec node "$root/build/suites/test/soak/main.js" "$@"
