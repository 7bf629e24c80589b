#!/usr/bin/env node
// npm run demo: starts an echo server on 127.0.0.1, connects to it with the OpenHarmony
// C API mirrored in JS (netstack-websocket/native), exchanges a text and a binary
// message, closes, and prints every step. Exits by itself.
'use strict';
const path = require('path');
const { WebSocketServer } = require('ws');
const ws = require(path.join(__dirname, '..', 'dist', 'native.js'));

const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
server.on('connection', (socket, request) => {
  console.log(`server: connection, X-Demo header = ${request.headers['x-demo']}`);
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  socket.on('close', (code, reason) => {
    console.log(`server: client closed with ${code} "${reason}"`);
    server.close();
  });
});

server.on('listening', () => {
  const url = `ws://127.0.0.1:${server.address().port}/demo`;
  let received = 0;
  const client = ws.OH_NetStack_WebsocketClient_Construct(
    (c, open) => {
      console.log(`onOpen: ${open.code} ${open.reason}`);
      console.log(`Send("hello") -> ${ws.OH_NetStack_WebSocketClient_Send(c, 'hello', 5)}`);
      const binary = Buffer.from([1, 0, 2, 0, 3]);  // a NUL inside: sent as a BINARY frame
      console.log(`Send(<01 00 02 00 03>) -> ${ws.OH_NetStack_WebSocketClient_Send(c, binary, binary.length)}`);
    },
    (c, data, length) => {
      console.log(`onMessage: ${length} bytes: ${data.includes(0) ? data.toString('hex') : JSON.stringify(data.toString())}`);
      if (++received === 2) {
        console.log(`Close(4000, "done") -> ${ws.OH_NetStack_WebSocketClient_Close(c, { code: 4000, reason: 'done' })}`);
      }
    },
    (c, error) => console.log(`onError: ${error.errorCode} ${error.errorMessage}`),
    (c, close) => {
      console.log(`onClose: ${close.code} "${close.reason}"`);
      console.log(`Destroy -> ${ws.OH_NetStack_WebsocketClient_Destroy(c)}`);
    },
  );
  console.log(`AddHeader(X-Demo: yes) -> ${ws.OH_NetStack_WebSocketClient_AddHeader(client, { FieldName: 'X-Demo', FieldValue: 'yes', next: null })}`);
  console.log(`Connect(${url}) -> ${ws.OH_NetStack_WebSocketClient_Connect(client, url, client.RequestOptions)}`);
});
