// ESM entry point of netstack-websocket: the CommonJS build (dist/index.js) with named
// exports. Its default export is the WebSocket class (what require() returns), which also
// carries the named exports, as `ws`'s does. test/lib/packaging.test.ts checks that this
// list matches the CommonJS exports.
import WebSocketClass from '../dist/index.js';

export const {
  WebSocket, MessageEvent, CloseEvent, ErrorEvent,
  connect, WebSocketConnection,
  WebSocketStream, WebSocketStreamError, createWebSocketStream,
  webSocket, BusinessError,
  AlreadyConnectedError, CertificateFileError, ConnectError, ConnectionClosedError, ConnectionLostError,
  ConnectTimeoutError, ErrorCode, InvalidArgumentError, InvalidUrlError, MessageTooBigError, ProtocolError,
  WebSocketError, errorCodeName,
} = WebSocketClass;

export default WebSocketClass;
