#!/usr/bin/env bash
# Sourced by bench/bench.sh (after prepare.sh): the Bun and Deno runtimes whose built-in
# WebSocket clients the benchmark compares (the `bun` and `deno` clients, bench/clients.mjs).
# They are the npm packages @oven/bun-linux-x64 and @deno/linux-x64-glibc (the runtime
# binary is inside the package), installed with `npm install --prefix` at the pinned
# versions below into a cache outside the repository:
#   ${BENCH_RUNTIMES_DIR:-${XDG_CACHE_HOME:-~/.cache}/netstack-websocket/bench-runtimes}
# and reused from there when present. This is a download: only the bench command does it,
# and only when needed:
#   - not in --tiny mode (the smoke test, test/bench/bench.test.ts: it uses what is cached);
#   - not when --clients names neither bun nor deno;
#   - BENCH_RUNTIMES=cached: use the cache, never download; BENCH_RUNTIMES=off: leave both out.
# Anything missing or failing is a warning, never an error: run.mjs then lists the client as
# "not included" with the reason. Leaves BENCH_BUN and BENCH_DENO exported: the binary's
# path, or empty when that runtime is not available.
# Arguments: the bench's own arguments (to see --tiny and --clients).
bun_version=1.4.5
deno_version=2.9.6

runtimes_dir="${BENCH_RUNTIMES_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/netstack-websocket/bench-runtimes}"
export BENCH_RUNTIMES_DIR="$runtimes_dir"
export BENCH_BUN="" BENCH_DENO=""

runtimes_policy="${BENCH_RUNTIMES:-install}"
runtimes_wanted=(bun deno)
prev=""
for arg in "$@"; do
  case "$prev" in
    --clients)
      runtimes_wanted=()
      case ",$arg," in *,bun,*) runtimes_wanted+=(bun) ;; esac
      case ",$arg," in *,deno,*) runtimes_wanted+=(deno) ;; esac
      ;;
  esac
  [ "$arg" = --tiny ] && [ "$runtimes_policy" = install ] && runtimes_policy=cached
  prev="$arg"
done

# runtime_ready <package> <binary, relative> <version>|any: prints the binary's path when the
# package is installed in the cache (at that version).
runtime_ready() {
  local dir="$runtimes_dir/node_modules/$1" have
  [ -x "$dir/$2" ] && [ -f "$dir/package.json" ] || return 1
  have="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$dir/package.json" | head -n 1)"
  [ "$3" = any ] || [ "$have" = "$3" ] || return 1
  echo "$dir/$2"
}

# Both runtimes are the dependencies of one package.json in the cache (installing one alone
# with --no-save would prune the other): one `npm install` brings what is missing or stale.
runtimes_install() {
  # An empty --prefix would be the working directory: this repository.
  case "$runtimes_dir" in /?*) ;; *) log "BENCH_RUNTIMES_DIR must be an absolute path"; return 1 ;; esac
  if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
    log "the Bun and Deno packages are for Linux x86-64 only: bun and deno left out"
    return 1
  fi
  log "installing @oven/bun-linux-x64@$bun_version and @deno/linux-x64-glibc@$deno_version into $runtimes_dir (a download, once)"
  mkdir -p "$runtimes_dir" || return 1
  printf '%s\n' '{' '  "private": true,' \
    '  "description": "netstack-websocket bench/: the runtimes whose built-in WebSocket it compares (bench/prepare-runtimes.sh)",' \
    "  \"dependencies\": { \"@oven/bun-linux-x64\": \"$bun_version\", \"@deno/linux-x64-glibc\": \"$deno_version\" }" \
    '}' >"$runtimes_dir/package.json"
  # Twice: a registry request failing once should not leave both runtimes out of a long run.
  local attempt
  for attempt in 1 2; do
    # With the user's NODE_EXTRA_CA_CERTS, not the bench's own authority (prepare.sh), which
    # made a registry behind a TLS-inspecting proxy fail with SELF_SIGNED_CERT_IN_CHAIN.
    NODE_EXTRA_CA_CERTS="${user_extra_ca_certs:-}" npm install --prefix "$runtimes_dir" --no-package-lock \
      --no-audit --no-fund --loglevel=error </dev/null >&2 && return 0
    [ "$attempt" = 1 ] && { log "npm install of the runtimes failed; trying once more in 10 s"; sleep 10; }
  done
  log "warning: npm install of the runtimes failed"
  return 1
}

if [ "$runtimes_policy" != off ] && [ "${#runtimes_wanted[@]}" -gt 0 ]; then
  stale=no
  for name in "${runtimes_wanted[@]}"; do
    case "$name" in
      bun) runtime_ready @oven/bun-linux-x64 bin/bun "$bun_version" >/dev/null || stale=yes ;;
      deno) runtime_ready @deno/linux-x64-glibc deno "$deno_version" >/dev/null || stale=yes ;;
    esac
  done
  if [ "$stale" = yes ] && [ "$runtimes_policy" = install ]; then runtimes_install || true; fi
  # The pinned version; else (not downloading: --tiny, BENCH_RUNTIMES=cached; or the download
  # failed) whatever version the cache holds: run.mjs prints the version each client reports.
  for name in "${runtimes_wanted[@]}"; do
    case "$name" in
      bun) BENCH_BUN="$(runtime_ready @oven/bun-linux-x64 bin/bun "$bun_version" ||
                        runtime_ready @oven/bun-linux-x64 bin/bun any || true)" ;;
      deno) BENCH_DENO="$(runtime_ready @deno/linux-x64-glibc deno "$deno_version" ||
                          runtime_ready @deno/linux-x64-glibc deno any || true)" ;;
    esac
  done
fi
