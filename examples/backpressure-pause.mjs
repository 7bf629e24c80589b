// Receive backpressure on the WebSocket class (as `ws`): pause() while a message is being
// dealt with, resume() when done. While paused nothing is dispatched and nothing is read
// from the network, so a fast server's writes stall instead of filling this process.
// Run: node examples/backpressure-pause.mjs ws://127.0.0.1:8080   (an echo server)
import { WebSocket } from 'netstack-websocket';
import { setTimeout as slowWork } from 'node:timers/promises';

const url = process.argv[2] ?? 'ws://127.0.0.1:8080';
const count = 20;
const ws = new WebSocket(url);
let received = 0;
let inOrder = true;

ws.onopen = () => {
  for (let i = 0; i < count; i += 1) ws.send(`message ${i}`);
};
ws.onmessage = async (event) => {
  ws.pause();                      // no more events, no more reading, until resume()
  await slowWork(5);               // e.g. a database write
  inOrder &&= event.data === `message ${received}`;
  received += 1;
  if (received === count) {
    console.log(`processed ${received} messages, in order: ${inOrder}`);
    ws.close(1000, 'done');
  }
  ws.resume();                     // the messages read meanwhile come next, in order
};
ws.onclose = (event) => console.log(`close: ${event.code} "${event.reason}"`);
