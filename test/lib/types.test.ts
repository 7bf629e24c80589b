// Type tests of the public surface. expectTypeOf does nothing at run time: the checks are made
// by `tsc -p tsconfig.json` (the typecheck step of `npm test`), which covers this file; a
// broken public type fails that step. The last test checks the emitted .d.ts for `any`.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expectTypeOf, expect, test } from 'vitest';
import {
  connect, ErrorCode, MessageEvent, WebSocket, WebSocketConnection, WebSocketError, webSocket,
  type BusinessError, type CloseResult, type ErrorCodeName, type Message, type MessageData, type ReadyState,
} from '../../lib/index';

// Never called: only type-checked.
function typeChecks(): void {
  // ---- WHATWG face
  const ws = new WebSocket('ws://x', ['a'], { headers: { A: 'b' }, ca: 'pem', rejectUnauthorized: false, maxPayload: 1 });
  new WebSocket(new URL('ws://x'), { handshakeTimeout: 5 });
  expectTypeOf(ws.readyState).toEqualTypeOf<ReadyState>();
  expectTypeOf(WebSocket.OPEN).toEqualTypeOf<1>();
  expectTypeOf(ws.CLOSED).toEqualTypeOf<3>();
  expectTypeOf(ws.binaryType).toEqualTypeOf<'nodebuffer' | 'arraybuffer' | 'blob'>();
  ws.onmessage = (event) => { expectTypeOf(event.data).toEqualTypeOf<MessageData>(); };
  ws.onclose = (event) => { expectTypeOf(event.code).toBeNumber(); expectTypeOf(event.wasClean).toBeBoolean(); };
  ws.onerror = (event) => { expectTypeOf(event.error).toBeUnknown(); };
  ws.addEventListener('message', (event) => { expectTypeOf(event).toEqualTypeOf<MessageEvent<MessageData>>(); });
  ws.addEventListener('close', function (this: WebSocket, event) { expectTypeOf(event.reason).toBeString(); });
  ws.on('message', (data, isBinary) => {
    expectTypeOf(data).toEqualTypeOf<Buffer | ArrayBuffer | Blob>();
    expectTypeOf(isBinary).toBeBoolean();
  });
  ws.on('close', (code, reason) => { expectTypeOf(code).toBeNumber(); expectTypeOf(reason).toEqualTypeOf<Buffer>(); });
  ws.send('text');
  ws.send(Buffer.from('x'));
  ws.send(new ArrayBuffer(1));
  ws.send(new Blob(['x']));
  ws.send('x', { binary: true }, (err) => { expectTypeOf(err).toEqualTypeOf<Error | undefined>(); });
  // @ts-expect-error numbers are not send() data
  ws.send(1);
  ws.on('upgrade', (response) => { expectTypeOf(response.statusCode).toEqualTypeOf<number | undefined>(); });
  ws.on('unexpected-response', (request, response) => { void request.abort; void response.headers; });
  // @ts-expect-error not an event of on()
  ws.on('no-such-event', () => undefined);
  // @ts-expect-error binaryType is an enum
  ws.binaryType = 'fragments';

  // ---- promise face
  expectTypeOf(connect).returns.toEqualTypeOf<Promise<WebSocketConnection>>();
  void (async () => {
    const socket = await connect('ws://x', { protocols: ['p'], signal: AbortSignal.timeout(1), timeout: 5 });
    expectTypeOf(socket.send('x')).toEqualTypeOf<Promise<void>>();
    expectTypeOf(socket.closed).toEqualTypeOf<Promise<CloseResult>>();
    expectTypeOf(socket.close(1000, 'r')).toEqualTypeOf<Promise<CloseResult>>();
    for await (const message of socket) expectTypeOf(message).toEqualTypeOf<Message>();
    expectTypeOf<Message>().toEqualTypeOf<string | Buffer>();
  })();
  // @ts-expect-error unknown option
  void connect('ws://x', { followRedirects: true });

  // ---- OpenHarmony face, written as OpenHarmony code is
  const oh: webSocket.WebSocket = webSocket.createWebSocket();
  oh.on('open', (err: BusinessError, value: Object) => { void err; void value; });
  oh.on('open', (err, value) => { expectTypeOf(value).toEqualTypeOf<webSocket.OpenResult>(); expectTypeOf(err).toEqualTypeOf<BusinessError | undefined>(); });
  oh.on('message', (err: BusinessError, value: string | ArrayBuffer) => { void err; void value; });
  oh.on('close', (err: BusinessError, value: webSocket.CloseResult) => { expectTypeOf(value.code).toBeNumber(); void err; });
  oh.on('error', (err: BusinessError) => { expectTypeOf(err.code).toBeNumber(); });
  oh.on('dataEnd', () => undefined);
  oh.on('headerReceive', (headers) => { expectTypeOf(headers).toEqualTypeOf<webSocket.ResponseHeaders>(); });
  oh.off('message');
  const options: webSocket.WebSocketRequestOptions = {
    header: { a: 'b' }, caPath: '', clientCert: { certPath: 'c', keyPath: 'k', keyPassword: 'p' }, proxy: 'no-proxy',
    protocol: 'p', skipServerCertVerification: false, pingInterval: 30, pongTimeout: 30,
  };
  expectTypeOf(oh.connect('ws://x', options)).toEqualTypeOf<Promise<boolean>>();
  expectTypeOf(oh.connect('ws://x', (err: BusinessError, value: boolean) => { void err; void value; })).toBeVoid();
  expectTypeOf(oh.send('x')).toEqualTypeOf<Promise<boolean>>();
  expectTypeOf(oh.close({ code: 1000, reason: '' })).toEqualTypeOf<Promise<boolean>>();
  // @ts-expect-error not an OpenHarmony event
  oh.on('ping', () => undefined);

  // ---- errors
  const error = new WebSocketError(ErrorCode.WEBSOCKET_PROTOCOL_ERROR, 'm');
  expectTypeOf(error.code).toBeNumber();
  expectTypeOf(error.codeName).toEqualTypeOf<ErrorCodeName>();
  expectTypeOf(error).toMatchTypeOf<BusinessError>();
}

describe('public types', () => {
  test('are checked by tsc (this function is never run)', () => {
    expect(typeof typeChecks).toBe('function');
  });

  test('no `any` in the emitted declarations of the public modules', () => {
    const dist = path.resolve(__dirname, '../../dist');
    for (const file of ['index', 'websocket', 'promises', 'ohos', 'errors', 'events', 'options', 'payload', 'engine', 'proxy']) {
      const text = fs.readFileSync(path.join(dist, `${file}.d.ts`), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      expect(text, `${file}.d.ts`).not.toMatch(/\bany\b/);
    }
  });
});
