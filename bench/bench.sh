#!/usr/bin/env bash
# npm run bench [-- --quick | --tiny | --runs N | --workloads a,b | --clients a,b | --servers go,ws]
# Prepares (bench/prepare.sh: Go echo server, certificate, dist/, ulimit) and runs
# bench/run.mjs: see the options at its top and bench/README.md.
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=prepare.sh
source "$bench/prepare.sh"
trap 'rm -rf "$tls_dir"' EXIT
node "$bench/run.mjs" --cert "$cert" --key "$key" "$@"
