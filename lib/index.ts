// netstack-websocket: a WebSocket client for Node.js on libwebsockets, with three faces
// over one engine:
//  - `WebSocket`: the WHATWG class (a drop-in for Node's global WebSocket and common `ws` use);
//  - `connect()`: promises, async iteration, AbortSignal, backpressure;
//  - `webSocket.createWebSocket()`: OpenHarmony's `@ohos.net.webSocket` shape.
// The OpenHarmony C API, one to one, is at 'netstack-websocket/native'.
export { WebSocket } from './websocket';
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
export * as webSocket from './ohos';
export { BusinessError } from './ohos';
export {
  AlreadyConnectedError, CertificateFileError, ConnectError, ConnectionClosedError, ConnectionLostError,
  ConnectTimeoutError, ErrorCode, InvalidArgumentError, InvalidUrlError, MessageTooBigError, ProtocolError,
  WebSocketError, errorCodeName,
} from './errors';
export type { ErrorCodeName, HandshakeResponse, WebSocketErrorOptions } from './errors';
