// The benchmark's workloads: what each one does, how big it is in each mode, and which
// number is its headline ("primary") metric. Shared by the orchestrator (run.mjs) and
// the per-client child process (client.mjs).

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * kind:   rtt     one message in flight, sequential round trips (latency, CPU per message)
 *         pipe    `window` messages in flight, each echo answered by a new message (msgs/s)
 *         echo    large messages, one in flight (MiB/s, payload of one direction)
 *         connect open (TCP + [TLS] + HTTP upgrade), then a clean close, `concurrency` at once
 *         idle    open `count` connections, keep them idle, RSS growth per connection
 * count:  messages (or connections) per measured run, for modes full / quick / tiny;
 * warmup: unmeasured messages (or connections) first, in the same process.
 * maxRuns: at most this many runs (per server name, or in quick mode), for the slow ones.
 * primary: { key, unit, better: 'higher' | 'lower' } of the result metrics (see client.mjs).
 */
export const WORKLOADS = [
  {
    name: 'rtt-32B', kind: 'rtt', size: 32, binary: true,
    about: 'sequential 32 B binary round trips: client CPU per message (and latency)',
    count: { full: 10000, quick: 3000, tiny: 50 }, warmup: { full: 2000, quick: 1000, tiny: 10 },
    primary: { key: 'cpuUsPerMsg', unit: 'µs CPU/msg', better: 'lower' },
    secondary: [{ key: 'userUsPerMsg', unit: 'µs user' }, { key: 'p50Us', unit: 'µs p50' }, { key: 'p99Us', unit: 'µs p99' }],
  },
  {
    name: 'rtt-32B-text', kind: 'rtt', size: 32, binary: false,
    about: 'the same with 32 B text messages (strings in and out)',
    count: { full: 10000, quick: 3000, tiny: 50 }, warmup: { full: 2000, quick: 1000, tiny: 10 },
    primary: { key: 'cpuUsPerMsg', unit: 'µs CPU/msg', better: 'lower' },
    secondary: [{ key: 'userUsPerMsg', unit: 'µs user' }, { key: 'p50Us', unit: 'µs p50' }, { key: 'p99Us', unit: 'µs p99' }],
  },
  {
    name: 'pipe-64B', kind: 'pipe', size: 64, binary: true, window: 1000,
    about: '64 B binary messages, 1,000 in flight: messages/s',
    count: { full: 100000, quick: 40000, tiny: 2000 }, warmup: { full: 20000, quick: 10000, tiny: 1000 },
    primary: { key: 'msgsPerSec', unit: 'msg/s', better: 'higher' },
    secondary: [{ key: 'cpuUsPerMsg', unit: 'µs CPU/msg' }, { key: 'userUsPerMsg', unit: 'µs user' }],
  },
  {
    name: 'pipe-64B-text', kind: 'pipe', size: 64, binary: false, window: 1000,
    about: 'the same with text messages (strings in and out)',
    count: { full: 100000, quick: 40000, tiny: 2000 }, warmup: { full: 20000, quick: 10000, tiny: 1000 },
    primary: { key: 'msgsPerSec', unit: 'msg/s', better: 'higher' },
    secondary: [{ key: 'cpuUsPerMsg', unit: 'µs CPU/msg' }, { key: 'userUsPerMsg', unit: 'µs user' }],
  },
  {
    name: 'echo-1MiB', kind: 'echo', size: MiB, binary: true,
    about: '1 MiB binary messages, one in flight: MiB/s (one direction)',
    count: { full: 200, quick: 60, tiny: 3 }, warmup: { full: 20, quick: 10, tiny: 1 },
    primary: { key: 'mibPerSec', unit: 'MiB/s', better: 'higher' },
    secondary: [{ key: 'cpuMsPerMsg', unit: 'ms CPU/msg' }, { key: 'faultsPerMsg', unit: 'faults/msg' }],
  },
  {
    name: 'echo-1MiB-text', kind: 'echo', size: MiB, binary: false,
    about: 'the same with 1 MiB text messages (strings in and out)',
    count: { full: 120, quick: 40, tiny: 3 }, warmup: { full: 20, quick: 10, tiny: 1 },
    primary: { key: 'mibPerSec', unit: 'MiB/s', better: 'higher' },
    secondary: [{ key: 'cpuMsPerMsg', unit: 'ms CPU/msg' }, { key: 'faultsPerMsg', unit: 'faults/msg' }],
  },
  {
    name: 'echo-16MiB', kind: 'echo', size: 16 * MiB, binary: true,
    about: '16 MiB binary messages, one in flight: MiB/s',
    count: { full: 16, quick: 6, tiny: 1 }, warmup: { full: 2, quick: 1, tiny: 0 },
    primary: { key: 'mibPerSec', unit: 'MiB/s', better: 'higher' },
    secondary: [{ key: 'cpuMsPerMsg', unit: 'ms CPU/msg' }, { key: 'faultsPerMsg', unit: 'faults/msg' }],
  },
  {
    name: 'json-16KiB', kind: 'pipe', size: 16 * KiB, binary: false, json: true, window: 64,
    about: '16 KiB JSON text messages, 64 in flight, permessage-deflate OFF',
    count: { full: 6000, quick: 2000, tiny: 100 }, warmup: { full: 1000, quick: 500, tiny: 20 },
    primary: { key: 'msgsPerSec', unit: 'msg/s', better: 'higher' },
    secondary: [{ key: 'cpuUsPerMsg', unit: 'µs CPU/msg' }, { key: 'userUsPerMsg', unit: 'µs user' }],
  },
  {
    name: 'json-16KiB-deflate', kind: 'pipe', size: 16 * KiB, binary: false, json: true, window: 64,
    deflate: true,
    about: 'the same with permessage-deflate ON (where the client supports it)',
    count: { full: 1000, quick: 500, tiny: 100 }, warmup: { full: 200, quick: 200, tiny: 20 },
    primary: { key: 'msgsPerSec', unit: 'msg/s', better: 'higher' },
    secondary: [{ key: 'cpuUsPerMsg', unit: 'µs CPU/msg' }, { key: 'userUsPerMsg', unit: 'µs user' }],
  },
  {
    name: 'connect', kind: 'connect', concurrency: 16,
    about: 'connect + handshake + clean close, 16 at a time: connections/s',
    count: { full: 1000, quick: 400, tiny: 20 }, warmup: { full: 100, quick: 50, tiny: 2 },
    primary: { key: 'connPerSec', unit: 'conn/s', better: 'higher' },
    secondary: [{ key: 'cpuUsPerConn', unit: 'µs CPU/conn' }],
  },
  {
    name: 'rtt-32B-wss', kind: 'rtt', size: 32, binary: true, tls: true,
    about: 'sequential 32 B round trips over wss://',
    count: { full: 6000, quick: 1500, tiny: 50 }, warmup: { full: 1000, quick: 500, tiny: 10 },
    primary: { key: 'cpuUsPerMsg', unit: 'µs CPU/msg', better: 'lower' },
    secondary: [{ key: 'userUsPerMsg', unit: 'µs user' }, { key: 'p50Us', unit: 'µs p50' }, { key: 'p99Us', unit: 'µs p99' }],
  },
  {
    name: 'echo-1MiB-wss', kind: 'echo', size: MiB, binary: true, tls: true,
    about: '1 MiB binary messages over wss://: MiB/s',
    count: { full: 120, quick: 40, tiny: 3 }, warmup: { full: 10, quick: 5, tiny: 1 },
    primary: { key: 'mibPerSec', unit: 'MiB/s', better: 'higher' },
    secondary: [{ key: 'cpuMsPerMsg', unit: 'ms CPU/msg' }, { key: 'faultsPerMsg', unit: 'faults/msg' }],
  },
  {
    name: 'connect-wss', kind: 'connect', concurrency: 16, tls: true,
    about: 'connect + TLS + handshake + clean close over wss://: connections/s',
    count: { full: 300, quick: 150, tiny: 10 }, warmup: { full: 50, quick: 20, tiny: 2 },
    primary: { key: 'connPerSec', unit: 'conn/s', better: 'higher' },
    secondary: [{ key: 'cpuUsPerConn', unit: 'µs CPU/conn' }],
  },
  {
    name: 'idle-10k', kind: 'idle', concurrency: 200, maxRuns: { go: 2, ws: 1, quick: 1 },
    about: 'RSS growth per idle open connection, 10,000 connections open at once',
    count: { full: 10000, quick: 2000, tiny: 50 }, warmup: { full: 1, quick: 1, tiny: 1 },
    // How long the client may idle afterwards for V8 to give its young generation back.
    settleMs: { full: 12000, quick: 6000, tiny: 0 },
    primary: { key: 'kibPerConn', unit: 'KiB RSS/conn', better: 'lower' },
    secondary: [
      { key: 'settledKibPerConn', unit: 'KiB settled' },
      { key: 'openPerSec', unit: 'opened/s' },
    ],
  },
];

export function findWorkload(name) {
  const w = WORKLOADS.find((x) => x.name === name);
  if (!w) throw new Error(`unknown workload ${name} (known: ${WORKLOADS.map((x) => x.name).join(', ')})`);
  return w;
}

/** The payload of a workload: deterministic bytes; binary payloads hold a NUL byte (the C
 * mirror sends NUL-free data as TEXT), text payloads are ASCII (so bytes == characters). */
export function makePayload(w) {
  if (w.json) {
    const parts = [];
    let i = 0;
    let length = 2;
    while (length < w.size) {
      const record = JSON.stringify({
        id: i, user: `user-${(i * 7919) % 1000}`, active: i % 3 === 0,
        score: ((i * 2654435761) % 100000) / 100, tags: ['alpha', 'beta', 'gamma'].slice(0, 1 + (i % 3)),
        note: 'the quick brown fox jumps over the lazy dog'.slice(0, 10 + (i % 30)),
      });
      parts.push(record);
      length += record.length + 1;
      i++;
    }
    let text = `[${parts.join(',')}]`;
    text = text.length > w.size ? text.slice(0, w.size) : text.padEnd(w.size, ' ');
    return text;
  }
  if (w.binary) {
    const data = Buffer.alloc(w.size);
    let x = 0x9e3779b9;
    for (let i = 0; i < data.length; i++) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      data[i] = x & 0xff;
    }
    data[0] = 0;
    return data;
  }
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ';
  let text = '';
  const chunk = Array.from({ length: 4096 }, (_, i) => alphabet[(i * 31 + (i >> 5)) % alphabet.length]).join('');
  while (text.length < w.size) text += chunk;
  return text.slice(0, w.size);
}
