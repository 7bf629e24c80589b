// createWebSocketStream(ws), as in `ws`: a node:stream Duplex over a WebSocket, so
// pipeline() applies backpressure both ways (a full readable buffer pauses the socket, a
// write completes once its data has left the process).
// Run: node examples/backpressure-duplex.mjs ws://127.0.0.1:8080   (an echo server)
import { WebSocket, createWebSocketStream } from 'netstack-websocket';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as slowWork } from 'node:timers/promises';

const url = process.argv[2] ?? 'ws://127.0.0.1:8080';
const count = 40;
const ws = new WebSocket(url);
const duplex = createWebSocketStream(ws, { readableObjectMode: true, readableHighWaterMark: 4 });

for (let i = 0; i < count; i += 1) duplex.write(`line ${i}\n`);  // binary messages, echoed back

let received = 0;
await pipeline(duplex, new Writable({
  objectMode: true,
  highWaterMark: 1,
  async write(chunk, _encoding, callback) {
    await slowWork(2);             // slow: the socket is paused while 4 messages wait
    if (++received === count) duplex.end();  // closes the connection once the writes are out
    callback();
  },
}));
console.log(`processed ${received} messages, then the stream ended`);
console.log(`socket: ${ws.readyState === WebSocket.CLOSED ? 'closed' : 'open'}`);
