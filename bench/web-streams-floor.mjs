// What Node's own WHATWG streams cost per chunk, with no WebSocket involved: the floor
// under WebSocketStream's small messages (one ReadableStream enqueue and read, one
// WritableStream write per message). Prints ns per chunk; run it beside `npm run bench`.
//   node bench/web-streams-floor.mjs [chunks]
const chunks = Number(process.argv[2] ?? 1_000_000);
const data = new Uint8Array(64);
const perChunk = (start) => (Number(process.hrtime.bigint() - start) / chunks).toFixed(0);

let controller;
const readable = new ReadableStream({ start(c) { controller = c; } }, { highWaterMark: 1024 * 1024, size: () => 64 });
const reader = readable.getReader();
let start = process.hrtime.bigint();
for (let batch = 0; batch < chunks / 1000; batch += 1) {
  for (let i = 0; i < 1000; i += 1) controller.enqueue(data);
  for (let i = 0; i < 1000; i += 1) await reader.read();
}
const read = perChunk(start);

let written = 0;
const writer = new WritableStream({ write() { written += 1; } }).getWriter();
start = process.hrtime.bigint();
for (let batch = 0; batch < chunks / 1000; batch += 1) {
  for (let i = 0; i < 1000; i += 1) writer.write(data);
  await new Promise((resolve) => setImmediate(resolve));
}
await writer.ready;
const write = perChunk(start);
console.log(`Node ${process.version}, ${chunks} chunks of 64 B: ReadableStream enqueue + read ${read} ns, ` +
  `WritableStream write ${write} ns per chunk (${written} written)`);
