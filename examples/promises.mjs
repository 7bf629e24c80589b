// The promise face: await the open, iterate the messages, await each send (it resolves
// when the data has left the process), abort with an AbortSignal.
// Run: node examples/promises.mjs ws://127.0.0.1:8080   (an echo server)
import { connect, ConnectError } from 'netstack-websocket';

const url = process.argv[2] ?? 'ws://127.0.0.1:8080';

try {
  const socket = await connect(url, { timeout: 5000, signal: AbortSignal.timeout(10000) });
  console.log(`open (${socket.response.status})`);

  await socket.send('hello');
  await socket.send(Buffer.from([1, 2, 3]));

  let received = 0;
  for await (const message of socket) {
    console.log(`message: ${typeof message === 'string' ? message : `<${[...message].join(',')}>`}`);
    if (++received === 2) break; // leaving the loop closes the connection (1000)
  }

  const { code, wasClean } = await socket.closed;
  console.log(`closed: ${code} clean=${wasClean}`);
} catch (err) {
  if (err instanceof ConnectError) console.log(`could not connect: ${err.code} ${err.codeName}: ${err.message}`);
  else throw err;
}
