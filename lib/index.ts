/// <reference types="node" preserve="true" />
/**
 * A WebSocket client for Node.js on libwebsockets, with three faces over one engine:
 * - {@link WebSocket}: the WHATWG class (a drop-in for Node's global WebSocket and common `ws` use);
 * - {@link connect}: promises, async iteration, AbortSignal, backpressure;
 * - {@link WebSocketStream}: the WHATWG streams proposal, and {@link createWebSocketStream}, a
 *   node:stream Duplex over a `WebSocket` (as `ws`'s), both with backpressure both ways;
 * - {@link webSocket}.createWebSocket(): OpenHarmony's `@ohos.net.webSocket` shape.
 *
 * The OpenHarmony C API, one to one, is at `netstack-websocket/native`.
 * @module netstack-websocket
 */
export { WebSocket } from './websocket';
export type { ClientOptions } from './websocket';
export type { WsClientOptions, WsDeflateTuning } from './ws-options';
export type { HandshakeRequest } from './ws-http';
export type {
  BinaryType, EventListenerLike, MessageData, ReadyState, SendOptions, WebSocketEmitterListeners, WebSocketEventMap,
  WebSocketListener,
} from './websocket';
export type { HeadersInput, PemInput, PerMessageDeflateOptions, WebSocketOptions } from './options';
export type { ProxyAddress, ProxyOption } from './proxy';
export type { SendData } from './payload';
export { MessageEvent, CloseEvent, ErrorEvent } from './events';
export type { AddEventListenerOptions, CloseEventInit, ErrorEventInit, EventInit, MessageEventInit } from './events';
export { connect, WebSocketConnection } from './promises';
export type { CloseResult, ConnectOptions, ConnectionState, Message } from './promises';
export { WebSocketStream, WebSocketStreamError } from './websocket-stream';
export type { WebSocketCloseInfo, WebSocketOpenInfo, WebSocketStreamOptions } from './websocket-stream';
export { createWebSocketStream } from './duplex';
export type { HighWaterMark, HighWaterMarkOption } from './receive-queue';
/**
 * OpenHarmony's `@ohos.net.webSocket`: `import { webSocket } from 'netstack-websocket'` in
 * place of `'@kit.NetworkKit'`; see {@link webSocket.createWebSocket}.
 * @group Faces
 */
export * as webSocket from './ohos';
export { BusinessError } from './ohos';
export {
  AlreadyConnectedError, CertificateFileError, ConnectError, ConnectionClosedError, ConnectionLostError,
  ConnectTimeoutError, ErrorCode, InvalidArgumentError, InvalidUrlError, MessageTooBigError, ProtocolError,
  WebSocketError, errorCodeName,
} from './errors';
export type { ErrorCodeName, HandshakeResponse, WebSocketErrorOptions } from './errors';

import { WebSocket as WebSocketClass } from './websocket';
import { connect as connectFunction, WebSocketConnection as WebSocketConnectionClass } from './promises';
import * as ohos from './ohos';
import * as errors from './errors';
import * as events from './events';

/** The named exports, also found on the default export (as `ws` puts them on its class). */
export interface NamedExports {
  readonly WebSocket: typeof WebSocketClass;
  readonly MessageEvent: typeof events.MessageEvent;
  readonly CloseEvent: typeof events.CloseEvent;
  readonly ErrorEvent: typeof events.ErrorEvent;
  readonly connect: typeof connectFunction;
  readonly WebSocketConnection: typeof WebSocketConnectionClass;
  readonly webSocket: typeof ohos;
  readonly AlreadyConnectedError: typeof errors.AlreadyConnectedError;
  readonly CertificateFileError: typeof errors.CertificateFileError;
  readonly ConnectError: typeof errors.ConnectError;
  readonly ConnectionClosedError: typeof errors.ConnectionClosedError;
  readonly ConnectionLostError: typeof errors.ConnectionLostError;
  readonly ConnectTimeoutError: typeof errors.ConnectTimeoutError;
  readonly ErrorCode: typeof errors.ErrorCode;
  readonly InvalidArgumentError: typeof errors.InvalidArgumentError;
  readonly InvalidUrlError: typeof errors.InvalidUrlError;
  readonly MessageTooBigError: typeof errors.MessageTooBigError;
  readonly ProtocolError: typeof errors.ProtocolError;
  readonly WebSocketError: typeof errors.WebSocketError;
  readonly errorCodeName: typeof errors.errorCodeName;
  readonly BusinessError: typeof errors.WebSocketError;
}

/**
 * The default export, and what `require('netstack-websocket')` returns: the WebSocket class
 * (`const WebSocket = require('netstack-websocket')`, `import WebSocket from
 * 'netstack-websocket'`, as with `ws`), with every named export on it as well.
 */
const defaultExport = WebSocketClass as typeof WebSocketClass & NamedExports;
export default defaultExport;

// CommonJS: the module is the class itself, carrying the named exports (and `default`), so
// both `require(...)` and `require(...).connect` work. Runs last, once all exports exist.
// (Only when this file runs as the CommonJS module it is compiled to, not when a tool loads
// the TypeScript source as an ES module.)
if (typeof module === 'object' && module !== null && typeof exports === 'object' && module.exports === exports &&
  Object.prototype.toString.call(exports) !== '[object Module]') {
  const named = exports as Record<string, unknown>;
  for (const name of Object.keys(named)) {
    Object.defineProperty(WebSocketClass, name, { value: named[name], enumerable: true, writable: false, configurable: true });
  }
  module.exports = WebSocketClass;
}
