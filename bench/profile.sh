#!/usr/bin/env bash
# bench/profile.sh <workload> [client] [full|quick|tiny]
#
# Profiles ONE client process on one workload (names: bench/workloads.mjs) against the Go
# echo server, with `perf record` (Debian's linux-perf), or valgrind's callgrind where perf
# cannot record; prints the client's result and its top symbols (self time, per shared
# object: the addon, libc, the kernel, node, and JavaScript via --perf-basic-prof).
#   client: default ours-engine (addon.NativeSocket) if built, else ours-mirror; bun and deno
#   run in their runtime (JavaScript frames named for deno only: --perf-basic-prof).
#   Only the measured part is recorded (not start-up, connect or warm-up), with the workload's
#   message count times SCALE (default 4) for enough samples.
#   env TOP=N (default 45) symbols; CALLERS=1 also prints call chains of the top symbols
#   (recorded with DWARF unwinding, at a lower frequency).
#   The perf data stays in bench/.build/profile/perf.data for `perf report -i`.
#   env BENCH_NODE=MAJOR profiles on the official Node MAJOR (as bench/bench.sh).
# Example (the 1 MiB receive path):  bash bench/profile.sh echo-1MiB
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
workload="${1:?usage: bench/profile.sh <workload> [client] [full|quick|tiny]}"
client="${2:-}"
mode="${3:-full}"
top="${TOP:-45}"
if [ -n "${BENCH_NODE:-}" ]; then
  PATH="$(dirname "$(bash "$bench/../scripts/official-node.sh" "$BENCH_NODE")"):$PATH"
fi
# shellcheck source=prepare.sh
source "$bench/prepare.sh"
out="$build/profile"
mkdir -p "$out"

if [ -z "$client" ]; then
  client="$(node "$bench/client.mjs" probe | sed -n 's/^RESULT //p' |
    node -e 'const p = JSON.parse(require("fs").readFileSync(0, "utf8"));
             console.log(p["ours-engine"]?.available ? "ours-engine" : "ours-mirror")')"
fi
scheme="$(node --input-type=module -e "
  const { findWorkload } = await import('$bench/workloads.mjs');
  console.log(findWorkload(process.argv[1]).tls ? 'wss' : 'ws');" "$workload")"

# --- the echo server ---------------------------------------------------------------------
"$server" -cert "$cert" -key "$key" >"$out/server.out" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$tls_dir"' EXIT
for _ in $(seq 100); do [ -s "$out/server.out" ] && break; sleep 0.05; done
port="$(node -e 'const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]);
                 console.log(p[process.argv[2]])' "$out/server.out" "$scheme")"
url="$scheme://127.0.0.1:$port"
# The client's runtime: node, or for bun and deno that runtime's binary (bench/clients.mjs
# childCommand; only what bench/prepare-runtimes.sh left in its cache: nothing is downloaded).
case "$client" in
  bun|deno)
    mapfile -t runner < <(node --input-type=module -e "
      const { childCommand } = await import('$bench/clients.mjs');
      const c = childCommand(process.argv[1]);
      if (c.error) { console.error('profile: ' + c.error); process.exit(1); }
      const args = c.args.map((a) => (a === '--v8-flags=--expose-gc' ? '--v8-flags=--expose-gc,--perf-basic-prof' : a));
      console.log(['env', ...Object.entries(c.env).map(([k, v]) => k + '=' + v), c.cmd, ...args].join('\\n'));" "$client")
    [ "${#runner[@]}" -gt 0 ] || exit 1
    plain=("${runner[@]}")
    ;;
  *)
    runner=(node --perf-basic-prof --interpreted-frames-native-stack --logfile="$out/v8.log" --no-logfile-per-isolate --expose-gc)
    plain=(node --expose-gc)
    ;;
esac
cmd=("${runner[@]}" "$bench/client.mjs" run "$client" "$workload" "$url" "$mode")
echo "profile: $client on $workload ($mode) against the Go echo server at $url"

# --- system calls per message (strace -c; a separate, unprofiled run in quick mode) --------
if command -v strace >/dev/null; then
  strace -f -c -o "$out/strace.txt" \
    -e trace=read,readv,recvfrom,recvmsg,write,writev,sendto,sendmsg,epoll_wait,epoll_pwait,poll \
    "${plain[@]}" "$bench/client.mjs" run "$client" "$workload" "$url" quick >"$out/strace-client.out"
  messages="$(node --input-type=module -e "
    const { findWorkload } = await import('$bench/workloads.mjs');
    const w = findWorkload(process.argv[1]);
    console.log(w.count.quick + w.warmup.quick);" "$workload")"
  echo
  echo "== system calls, per message or connection (strace -c, quick mode: $messages incl. warm-up) =="
  awk -v n="$messages" '$1 ~ /^[0-9.]+$/ && $NF != "total" {
      printf "  %-14s %9d calls  %8.1f per message\n", $NF, $4, $4 / n }' "$out/strace.txt"
else
  echo "(apt-get install strace for system-call counts)"
fi

if perf record -q -o /dev/null -- true >/dev/null 2>&1; then
  # CALLERS=1: DWARF unwinding (sees through libc and the addon, which keep no frame pointers).
  if [ "${CALLERS:-0}" = 1 ]; then callgraph=dwarf,16384; freq=999; else callgraph=fp; freq=4999; fi
  # Events start disabled; the client enables them for its measured part only (MARK start/end).
  rm -f "$out/ctl" "$out/ack"
  mkfifo "$out/ctl" "$out/ack"
  BENCH_PERF_CTL="$out/ctl" BENCH_PERF_ACK="$out/ack" BENCH_COUNT_SCALE="${SCALE:-4}" \
    perf record -q -F "$freq" --call-graph "$callgraph" -D -1 --control "fifo:$out/ctl,$out/ack" -o "$out/perf.data" -- "${cmd[@]}" \
    >"$out/client.out"
  sed -n 's/^RESULT /result: /p' "$out/client.out"
  # The JIT symbol map that --perf-basic-prof wrote for the client process, read by perf report.
  client_pid="$(sed -n 's/^RESULT .*"pid":\([0-9]*\).*/\1/p' "$out/client.out")"
  set +o pipefail # `head` closes the pipes early
  echo
  echo "== time per shared object (self) =="
  perf report -i "$out/perf.data" --no-children --sort dso --stdio -g none --percent-limit 1 2>/dev/null |
    grep -v '^#' | grep -v '^$' | head -n 12
  echo
  echo "== top $top symbols (self) =="
  perf report -i "$out/perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null |
    grep -v '^#' | grep -v '^$' | sed -E 's/[[:space:]]+-[[:space:]]+-[[:space:]]*$//' | head -n "$top"
  if [ "${CALLERS:-0}" = 1 ]; then
    echo
    echo "== call chains of the top symbols =="
    perf report -i "$out/perf.data" --no-children --sort symbol --stdio -g caller,0.5,callee,function,percent \
      --percent-limit 3 2>/dev/null | grep -v '^#' | sed -E 's/[[:space:]]+-[[:space:]]+-[[:space:]]*$//' | head -n 300
  fi
  [ -n "$client_pid" ] && rm -f "/tmp/perf-$client_pid.map"
else
  echo "perf cannot record here: using valgrind --tool=callgrind (slow: mode tiny)"
  command -v valgrind >/dev/null || {
    echo "profile: neither perf nor valgrind works; apt-get install linux-perf valgrind" >&2
    exit 1
  }
  cmd[${#cmd[@]}-1]=tiny
  set +o pipefail
  valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" "${cmd[@]}" 2>/dev/null | sed -n 's/^RESULT /result: /p'
  callgrind_annotate "$out/callgrind.out" 2>/dev/null | head -n $((top + 20))
fi
