// WebSocketStream (the WHATWG proposal, as in Chrome and Deno): backpressure both ways
// through the streams themselves. The readable stops reading from the network while its
// reader (here a slow WritableStream it is piped to) lags; each write resolves once the
// message has left the process, so awaiting writer.ready/write() bounds the sender.
// Run: node examples/backpressure-stream.mjs ws://127.0.0.1:8080   (an echo server)
import { WebSocketStream } from 'netstack-websocket';
import { setTimeout as slowWork } from 'node:timers/promises';

const url = process.argv[2] ?? 'ws://127.0.0.1:8080';
const count = 30;
const wss = new WebSocketStream(url, { signal: AbortSignal.timeout(10000) });
const { readable, writable } = await wss.opened;

const writer = writable.getWriter();
for (let i = 0; i < count; i += 1) {
  await writer.ready;
  writer.write(i % 2 ? `text ${i}` : new Uint8Array([i]));
}
console.log(`sent ${count} messages`);

let received = 0;
await readable.pipeTo(new WritableStream({
  async write(message) {
    await slowWork(2);             // a slow consumer: the readable waits for it
    if (++received === count) wss.close({ closeCode: 1000, reason: 'done' });
  },
}), { preventCancel: true });
console.log(`processed ${received} messages`);
const { closeCode, reason } = await wss.closed;
console.log(`closed: ${closeCode} "${reason}"`);
