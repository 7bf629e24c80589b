// The WHATWG face: the same code runs with Node's global WebSocket or in a browser;
// the third argument takes Node options (headers, TLS, limits).
// Run: node examples/whatwg.mjs ws://127.0.0.1:8080   (an echo server)
import { WebSocket } from 'netstack-websocket';

const url = process.argv[2] ?? 'ws://127.0.0.1:8080';
const ws = new WebSocket(url, ['chat'], { headers: { Authorization: 'Bearer example' } });
ws.binaryType = 'arraybuffer';

ws.addEventListener('open', () => {
  console.log(`open, protocol "${ws.protocol}"`);
  ws.send('hello');
  ws.send(new Uint8Array([1, 2, 3]));
});

let received = 0;
ws.onmessage = (event) => {
  const data = typeof event.data === 'string' ? event.data : `<${new Uint8Array(event.data).join(',')}>`;
  console.log(`message: ${data}`);
  if (++received === 2) ws.close(1000, 'done');
};

ws.onerror = (event) => console.log(`error: ${event.error?.message}`);
ws.onclose = (event) => console.log(`close: ${event.code} "${event.reason}" clean=${event.wasClean}`);
