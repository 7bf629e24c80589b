// ESM entry point of netstack-websocket: the CommonJS build (dist/index.js) with named
// exports. test/lib/packaging.test.ts checks that this list matches the CommonJS exports.
import cjs from '../dist/index.js';

export const {
  WebSocket, MessageEvent, CloseEvent, ErrorEvent,
  connect, WebSocketConnection,
  webSocket, BusinessError,
  AlreadyConnectedError, CertificateFileError, ConnectError, ConnectionClosedError, ConnectionLostError,
  ConnectTimeoutError, ErrorCode, InvalidArgumentError, InvalidUrlError, MessageTooBigError, ProtocolError,
  WebSocketError, errorCodeName,
} = cjs;

export default cjs;
