// The reference echo server on `ws` (in its own process): the same contract as the Go
// server in bench/echo-server/main.go. Echoes each message as one frame of the same type;
// "/deflate" negotiates permessage-deflate, every other path refuses it. Plain and TLS
// listeners; prints {"ws":PORT,"wss":PORT} once listening.
// Usage: node bench/ws-server.mjs [--cert file --key file]
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { WebSocketServer } from 'ws';

const args = process.argv.slice(2);
const arg = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

const common = { noServer: true, maxPayload: 256 * 1024 * 1024, clientTracking: false };
const plain = new WebSocketServer({ ...common, perMessageDeflate: false });
const deflate = new WebSocketServer({ ...common, perMessageDeflate: true });

function onConnection(ws) {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
}
plain.on('connection', onConnection);
deflate.on('connection', onConnection);

function attach(server) {
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {});
    const wss = req.url === '/deflate' ? deflate : plain;
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

const ports = { ws: await attach(http.createServer()) };
const cert = arg('--cert');
if (cert) {
  ports.wss = await attach(https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(arg('--key')) }));
}
process.stdout.write(`${JSON.stringify(ports)}\n`);
