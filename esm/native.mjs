// ESM entry point of netstack-websocket/native: the CommonJS build (dist/native.js) with
// named exports. test/lib/packaging.test.ts checks that this list matches the CommonJS exports.
import cjs from '../dist/native.js';

export const {
  OH_Websocket_ErrCode, WebSocket_ErrCode,
  OH_NetStack_WebsocketClient_Construct, OH_NetStack_WebSocketClient_AddHeader, OH_NetStack_WebSocketClient_Connect,
  OH_NetStack_WebSocketClient_Send, OH_NetStack_WebSocketClient_Close, OH_NetStack_WebsocketClient_Destroy,
  OH_WebSocketClient_Constructor, OH_WebSocketClient_AddHeader, OH_WebSocketClient_Connect,
  OH_WebSocketClient_Send, OH_WebSocketClient_Close, OH_WebSocketClient_Destroy,
  NetStack_WebSocket_SetClientLimit, NetStack_WebSocket_SetSendQueueLimits, liveNativeCounts,
} = cjs;

export default cjs;
