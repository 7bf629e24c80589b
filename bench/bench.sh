#!/usr/bin/env bash
# npm run bench [-- --quick | --tiny | --runs N | --workloads a,b | --clients a,b | --servers go,ws]
# Prepares (bench/prepare.sh: Go echo server, certificate, dist/, ulimit; bench/prepare-runtimes.sh:
# the Bun and Deno runtimes, cached) and runs bench/run.mjs: see the options at its top and
# bench/README.md.
#   env BENCH_NODE=MAJOR  run the Node clients on the official Node MAJOR (scripts/official-node.sh:
#   downloaded once into the cache) instead of the node on PATH
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -n "${BENCH_NODE:-}" ]; then
  PATH="$(dirname "$(bash "$bench/../scripts/official-node.sh" "$BENCH_NODE")"):$PATH"
fi
# shellcheck source=prepare.sh
source "$bench/prepare.sh"
# shellcheck source=prepare-runtimes.sh
source "$bench/prepare-runtimes.sh" "$@"
trap 'rm -rf "$tls_dir"' EXIT
node "$bench/run.mjs" --cert "$cert" --key "$key" --ca "$ca" "$@"
