// Data the server sent before it saw our close frame (patches/lws/0031): the engine passes it
// on until the server's close arrives; connect() (and the CLI) show it, the WHATWG face drops
// it once CLOSING (the spec), the ArkTS face and the C API drop it after close() (OpenHarmony).
import crypto from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CloseEvent, connect, WebSocket } from '../../lib/index';
import { createWebSocket } from '../../lib/ohos';
import { addon } from '../../lib/binding';
import {
  OH_NetStack_WebSocketClient_Close as Close, OH_NetStack_WebSocketClient_Connect as Connect,
  OH_NetStack_WebsocketClient_Construct as Construct, OH_NetStack_WebsocketClient_Destroy as Destroy,
} from '../../lib/native';
import { waitUntil } from '../helpers/ws-server';

const frame = (opcode: number, payload: Buffer) => Buffer.concat([Buffer.from([0x80 | opcode, payload.length]), payload]);
let server: net.Server;
let url = '';

// Answers the handshake; when the client's close frame arrives, sends "late" first, then its close.
beforeAll(async () => {
  server = net.createServer((socket) => {
    let buffered = Buffer.alloc(0);
    let upgraded = false;
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!upgraded) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const key = /sec-websocket-key: *(\S+)/i.exec(buffered.subarray(0, end).toString())?.[1] ?? '';
        const accept = crypto.createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        buffered = buffered.subarray(end + 4);
        upgraded = true;
      }
      // Client frames are masked and short here: [opcode][0x80|len][mask x4][payload].
      while (buffered.length >= 6 && buffered.length >= 6 + (buffered[1] & 0x7f)) {
        const opcode = buffered[0] & 0x0f;
        buffered = buffered.subarray(6 + (buffered[1] & 0x7f));
        if (opcode === 0x8) socket.end(Buffer.concat([frame(0x1, Buffer.from('late')), frame(0x8, Buffer.from([0x03, 0xe8]))]));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `ws://127.0.0.1:${(server.address() as net.AddressInfo).port}/`;
});
afterAll(async () => {
  await waitUntil(() => addon.liveCounts().connections === 0, 10000, 'the connections to be freed');
  server.close();
});

describe('a message that arrives after our close frame, before the server\'s', () => {
  test('connect(): delivered, then the clean close', async () => {
    const socket = await connect(url, { perMessageDeflate: false });
    const closed = socket.close(1000);
    const messages: unknown[] = [];
    for await (const message of socket) messages.push(message);
    expect(messages).toEqual(['late']);
    expect(await closed).toMatchObject({ code: 1000, wasClean: true });
  });

  test('WHATWG: dropped (readyState is CLOSING)', async () => {
    const ws = new WebSocket(url);
    const messages: unknown[] = [];
    ws.onmessage = (event) => messages.push(event.data);
    ws.onopen = () => ws.close(1000);
    const event = await new Promise<CloseEvent>((resolve) => { ws.onclose = (e) => resolve(e); });
    expect(messages).toEqual([]);
    expect(event.wasClean).toBe(true);
  });

  test('ArkTS: dropped after close()', async () => {
    const ws = createWebSocket();
    const messages: unknown[] = [];
    ws.on('message', (_err, data) => messages.push(data));
    const closed = new Promise((resolve) => ws.on('close', (_err, value) => resolve(value)));
    ws.on('open', () => { void ws.close(); });
    await ws.connect(url);
    expect(await closed).toMatchObject({ code: 1000 });
    expect(messages).toEqual([]);
  });

  test('the C API mirror: dropped after Close()', async () => {
    const messages: string[] = [];
    let closedCode = 0;
    const client = Construct(
      (c) => { Close(c, { code: 1000, reason: '' }); },
      (_c, data, length) => { messages.push(Buffer.from(data).subarray(0, length).toString()); },
      null,
      (_c, result) => { closedCode = result.code; },
    )!;
    expect(Connect(client, url, client.RequestOptions)).toBe(0);
    await waitUntil(() => closedCode !== 0, 10000, 'the close');
    expect(closedCode).toBe(1000);
    expect(messages).toEqual([]);
    Destroy(client);
  });
});
