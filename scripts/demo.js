#!/usr/bin/env node
// npm run demo: starts an echo server on 127.0.0.1, connects to it with the promise API
// (connect(), send(), for await, close()), exchanges a text and a binary message, does the
// same with the OpenHarmony-shaped API (webSocket.createWebSocket()), and prints every step.
// Exits by itself.
'use strict';
const path = require('path');
const { WebSocketServer } = require('ws');
const { connect, webSocket } = require(path.join(__dirname, '..', 'dist', 'index.js'));

// `serverClosed()`: waits until the server has seen the current connection close and prints
// that then, so each part ends with the server's view, in the same order every run.
function startEchoServer() {
  let closed = Promise.resolve();
  return new Promise((resolve) => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    server.on('connection', (socket, request) => {
      console.log(`server: connection to ${request.url}, X-Demo header = ${request.headers['x-demo']}`);
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
      closed = new Promise((done) => socket.on('close', (code, reason) => done(`server: client closed with ${code} "${reason}"`)));
    });
    server.on('listening', () => resolve({ server, serverClosed: () => closed.then((line) => { if (line) console.log(line); }) }));
  });
}

function show(message) {
  return typeof message === 'string' ? `text ${JSON.stringify(message)}` : `binary <${message.toString('hex')}>`;
}

async function promiseFace(url) {
  console.log('-- connect() (promises)');
  const socket = await connect(`${url}/promises`, { headers: { 'X-Demo': 'yes' }, timeout: 5000 });
  console.log(`open: HTTP ${socket.response.status}`);
  await socket.send('hello');
  console.log('sent "hello" (it has left the process)');
  await socket.send(Buffer.from([1, 0, 2, 0, 3]));
  console.log('sent <0100020003>');
  let received = 0;
  for await (const message of socket) {
    console.log(`received ${show(message)}`);
    if (++received === 2) socket.close(4000, 'done'); // the loop ends when the close completes
  }
  const { code, reason, wasClean } = await socket.closed;
  console.log(`closed: ${code} "${reason}", clean: ${wasClean}`);
}

function ohosFace(url) {
  console.log('-- webSocket.createWebSocket() (OpenHarmony shape)');
  return new Promise((resolve) => {
    const ws = webSocket.createWebSocket();
    ws.on('open', (err, value) => {
      console.log(`on open: ${value.status} ${value.message}`);
      ws.send('hello from OpenHarmony code', (err, ok) => console.log(`send callback: ${ok}`));
    });
    ws.on('message', (err, value) => {
      console.log(`on message: ${JSON.stringify(value)}`);
      ws.close({ code: 1000, reason: 'bye' });
    });
    ws.on('error', (err) => console.log(`on error: ${err.code} ${err.message}`));
    ws.on('close', (err, value) => {
      console.log(`on close: ${value.code} "${value.reason}"`);
      resolve();
    });
    ws.connect(`${url}/ohos`, { header: { 'X-Demo': 'ohos' } }).then((ok) => console.log(`connect: ${ok} (under way)`));
  });
}

(async () => {
  const { server, serverClosed } = await startEchoServer();
  const url = `ws://127.0.0.1:${server.address().port}`;
  try {
    await promiseFace(url);
    await serverClosed();
    await ohosFace(url);
    await serverClosed();
  } finally {
    server.close();
  }
})().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
