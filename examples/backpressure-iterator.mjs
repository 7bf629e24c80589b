// Receive backpressure on connect(): the async iterator reads at its loop's pace. While
// more than highWaterMark waits unread (default 1 MiB or 1024 messages), the connection
// stops reading from the network; it reads again once the loop has caught up. send()
// resolves when the data has left the process: awaiting it bounds what waits to be sent.
// Run: node examples/backpressure-iterator.mjs ws://127.0.0.1:8080   (an echo server)
import { connect } from 'netstack-websocket';
import { setTimeout as slowWork } from 'node:timers/promises';

const url = process.argv[2] ?? 'ws://127.0.0.1:8080';
const count = 50;
const socket = await connect(url, { highWaterMark: { bytes: 64 * 1024, messages: 8 } });

for (let i = 0; i < count; i += 1) await socket.send(`message ${i}`);
console.log(`sent ${count} messages`);

let received = 0;
let inOrder = true;
for await (const message of socket) {
  await slowWork(2);               // slow work per message: the server waits for us
  inOrder &&= message === `message ${received}`;
  if (++received === count) break; // leaving the loop closes the connection (1000)
}
console.log(`processed ${received} messages, in order: ${inOrder}`);
const { code } = await socket.closed;
console.log(`closed: ${code}`);
