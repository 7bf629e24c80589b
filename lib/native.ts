/// <reference types="node" preserve="true" />
/**
 * The OpenHarmony NetStack WebSocket client C API, one to one in JavaScript: the draft names
 * (`OH_NetStack_*`) and the names OpenHarmony released at API 11 (`OH_WebSocketClient_*`).
 * Every function returns the number the C function would return.
 * @module netstack-websocket/native
 */
import { addon, forEachBatchedMessage, type NativeSlist } from './binding';
import { isolate } from './engine';

export interface OH_NetStack_WebsocketClient_OpenResult { code: number; reason: string }
export interface OH_NetStack_WebsocketClient_CloseResult { code: number; reason: string }
export interface OH_NetStack_WebsocketClient_CloseOption { code: number; reason: string | null }
export interface OH_NetStack_WebsocketClient_ErrorResult { errorCode: number; errorMessage: string }
export type OH_NetStack_WebsocketClient_Slist = NativeSlist;
export interface OH_NetStack_WebsocketClient_RequestOptions { headers: OH_NetStack_WebsocketClient_Slist | null }

export type OH_NetStack_WebsocketClient_OnOpenCallback =
  (client: OH_NetStack_WebsocketClient, openResult: OH_NetStack_WebsocketClient_OpenResult) => void;
/** data is a Buffer holding the whole message (text messages as their UTF-8 bytes); it may
 * be kept. Small messages received in the same turn of the event loop share one underlying
 * ArrayBuffer (data is a view of it: use data.byteOffset and data.length, not data.buffer
 * alone). */
export type OH_NetStack_WebsocketClient_OnMessageCallback =
  (client: OH_NetStack_WebsocketClient, data: Buffer, length: number) => void;
export type OH_NetStack_WebsocketClient_OnErrorCallback =
  (client: OH_NetStack_WebsocketClient, errorResult: OH_NetStack_WebsocketClient_ErrorResult) => void;
export type OH_NetStack_WebsocketClient_OnCloseCallback =
  (client: OH_NetStack_WebsocketClient, closeResult: OH_NetStack_WebsocketClient_CloseResult) => void;

/** A client made by OH_NetStack_WebsocketClient_Construct. */
export interface OH_NetStack_WebsocketClient {
  readonly onOpen: OH_NetStack_WebsocketClient_OnOpenCallback | null;
  readonly onMessage: OH_NetStack_WebsocketClient_OnMessageCallback | null;
  readonly onError: OH_NetStack_WebsocketClient_OnErrorCallback | null;
  readonly onClose: OH_NetStack_WebsocketClient_OnCloseCallback | null;
  /** Mirrors the C list: AddHeader appends a node here. */
  readonly RequestOptions: OH_NetStack_WebsocketClient_RequestOptions;
}

/** Every name of the C enum (draft and released names) to its value, read from the native side. */
export const OH_Websocket_ErrCode: Readonly<Record<OH_Websocket_ErrCodeName, number>> =
  Object.freeze(addon.errorCodes as Record<OH_Websocket_ErrCodeName, number>);

export type OH_Websocket_ErrCodeName =
  | 'Websocket_OK' | 'E_BASE' | 'WEBSOCKET_CLIENT_IS_NULL' | 'WEBSOCKET_CLIENT_IS_NOT_CREAT'
  | 'WEBSOCKET_CONNECTION_ERROR' | 'WEBSOCKET_CONNECTION_PARSEURL_ERROR' | 'WEBSOCKET_CONNECTION_NO_MEMOERY'
  | 'WEBSOCKET_PEER_INITIATED_CLOSE' | 'WEBSOCKET_DESTROY' | 'WEBSOCKET_PROTOCOL_ERROR'
  | 'WEBSOCKET_SEND_NO_MEMOERY_ERROR' | 'WEBSOCKET_SEND_DATA_NULL' | 'WEBSOCKET_DATA_LENGTH_EXCEEDS'
  | 'WEBSOCKET_QUEUE_LENGTH_EXCEEDS' | 'WEBSOCKET_ERROR_NO_CLIENTCONTEX' | 'WEBSOCKET_ERROR_NO_HEADR_CONTEXT'
  | 'WEBSOCKET_ERROR_NO_HEADR_EXCEEDS' | 'WEBSOCKET_ERROR_HAVE_NO_CONNECT'
  | 'WEBSOCKET_ERROR_HAVE_NO_CONNECT_CONTEXT'
  // released names (API 11)
  | 'WEBSOCKET_OK' | 'WEBSOCKET_CLIENT_NULL' | 'WEBSOCKET_CLIENT_NOT_CREATED'
  | 'WEBSOCKET_CONNECTION_PARSE_URL_ERROR' | 'WEBSOCKET_CONNECTION_NO_MEMORY'
  | 'WEBSOCKET_CONNECTION_CLOSED_BY_PEER' | 'WEBSOCKET_DESTROYED' | 'WEBSOCKET_SEND_NO_MEMORY'
  | 'WEBSOCKET_DATA_LENGTH_EXCEEDED' | 'WEBSOCKET_QUEUE_LENGTH_EXCEEDED' | 'WEBSOCKET_NO_CLIENT_CONTEXT'
  | 'WEBSOCKET_NO_HEADER_CONTEXT' | 'WEBSOCKET_HEADER_EXCEEDED' | 'WEBSOCKET_NO_CONNECTION'
  | 'WEBSOCKET_NO_CONNECTION_CONTEXT';

/**
 * Makes a client; null when the client limit (default 100, as on OpenHarmony) is reached.
 * @example
 * ```ts
 * import {
 *   OH_NetStack_WebsocketClient_Construct, OH_NetStack_WebSocketClient_Connect, OH_NetStack_WebSocketClient_Send,
 *   OH_NetStack_WebSocketClient_Close, OH_NetStack_WebsocketClient_Destroy,
 * } from 'netstack-websocket/native';
 *
 * const client = OH_NetStack_WebsocketClient_Construct(
 *   (c) => { OH_NetStack_WebSocketClient_Send(c, 'hello', 5); },
 *   (c, data, length) => {
 *     console.log(data.subarray(0, length).toString());
 *     OH_NetStack_WebSocketClient_Close(c, { code: 1000, reason: 'done' });
 *   },
 *   (c, error) => console.error(error.errorCode, error.errorMessage),
 *   (c, close) => { console.log('closed', close.code); OH_NetStack_WebsocketClient_Destroy(c); },
 * );
 * if (client) OH_NetStack_WebSocketClient_Connect(client, 'ws://127.0.0.1:8080', client.RequestOptions);
 * ```
 */
export function OH_NetStack_WebsocketClient_Construct(
  onOpen: OH_NetStack_WebsocketClient_OnOpenCallback | null,
  onMessage: OH_NetStack_WebsocketClient_OnMessageCallback | null,
  onError: OH_NetStack_WebsocketClient_OnErrorCallback | null,
  onClose: OH_NetStack_WebsocketClient_OnCloseCallback | null,
): OH_NetStack_WebsocketClient | null {
  return addon.construct(onOpen, onMessage, onError, onClose) as OH_NetStack_WebsocketClient | null;
}

/**
 * Appends a copy of header to client.RequestOptions.headers (header.next is ignored).
 * @example
 * ```ts
 * import {
 *   OH_NetStack_WebsocketClient_Construct, OH_NetStack_WebSocketClient_AddHeader, OH_NetStack_WebSocketClient_Connect,
 * } from 'netstack-websocket/native';
 *
 * const client = OH_NetStack_WebsocketClient_Construct(null, null, null, null);
 * if (client) {
 *   OH_NetStack_WebSocketClient_AddHeader(client, { FieldName: 'X-Token', FieldValue: 'abc', next: null });
 *   OH_NetStack_WebSocketClient_Connect(client, 'ws://127.0.0.1:8080', client.RequestOptions);
 * }
 * ```
 */
export function OH_NetStack_WebSocketClient_AddHeader(
  client: OH_NetStack_WebsocketClient | null, header: OH_NetStack_WebsocketClient_Slist,
): number {
  return addon.addHeader(client, header);
}

/**
 * Starts connecting; 0 at once, then onOpen or onError.
 * @example
 * ```ts
 * import { OH_NetStack_WebsocketClient_Construct, OH_NetStack_WebSocketClient_Connect, OH_Websocket_ErrCode } from 'netstack-websocket/native';
 *
 * const client = OH_NetStack_WebsocketClient_Construct((c, open) => console.log('open', open.code), null, null, null);
 * const rc = OH_NetStack_WebSocketClient_Connect(client, 'ws://127.0.0.1:8080', client!.RequestOptions);
 * if (rc !== OH_Websocket_ErrCode.WEBSOCKET_OK) console.error('Connect returned', rc);
 * ```
 */
export function OH_NetStack_WebSocketClient_Connect(
  client: OH_NetStack_WebsocketClient | null, url: string,
  options: OH_NetStack_WebsocketClient_RequestOptions,
): number {
  return addon.connect(client, url, options);
}

/**
 * Queues the first `length` bytes of data (a string is taken as its UTF-8 bytes).
 * null is the C NULL. TEXT when those bytes hold no NUL byte, BINARY otherwise.
 * @example
 * ```ts
 * import { OH_NetStack_WebsocketClient_Construct, OH_NetStack_WebSocketClient_Send, OH_NetStack_WebSocketClient_Connect } from 'netstack-websocket/native';
 *
 * const client = OH_NetStack_WebsocketClient_Construct((c) => {
 *   OH_NetStack_WebSocketClient_Send(c, 'text', 4);                            // TEXT
 *   OH_NetStack_WebSocketClient_Send(c, new Uint8Array([0, 1, 2]), 3);         // BINARY (holds a NUL byte)
 * }, null, null, null);
 * if (client) OH_NetStack_WebSocketClient_Connect(client, 'ws://127.0.0.1:8080', client.RequestOptions);
 * ```
 */
export function OH_NetStack_WebSocketClient_Send(
  client: OH_NetStack_WebsocketClient | null, data: string | Uint8Array | null, length: number,
): number {
  return addon.send(client, data, length);
}

/**
 * Starts the closing handshake; code 0 or reason null means 1000 with an empty reason.
 * @example
 * ```ts
 * import { OH_NetStack_WebsocketClient_Construct, OH_NetStack_WebSocketClient_Close, OH_NetStack_WebSocketClient_Connect } from 'netstack-websocket/native';
 *
 * const client = OH_NetStack_WebsocketClient_Construct(
 *   (c) => { OH_NetStack_WebSocketClient_Close(c, { code: 1000, reason: 'bye' }); }, null, null,
 *   (c, close) => console.log('closed', close.code, close.reason));
 * if (client) OH_NetStack_WebSocketClient_Connect(client, 'ws://127.0.0.1:8080', client.RequestOptions);
 * ```
 */
export function OH_NetStack_WebSocketClient_Close(
  client: OH_NetStack_WebsocketClient | null, options: OH_NetStack_WebsocketClient_CloseOption,
): number {
  return addon.close(client, options);
}

/** Releases the connection and the client; safe at any moment, also inside its callbacks. */
/**
 * Frees the client (closing its connection first, without a callback).
 * @example
 * ```ts
 * import { OH_NetStack_WebsocketClient_Construct, OH_NetStack_WebsocketClient_Destroy } from 'netstack-websocket/native';
 *
 * const client = OH_NetStack_WebsocketClient_Construct(null, null, null, null);
 * OH_NetStack_WebsocketClient_Destroy(client);  // 0 once, WEBSOCKET_CLIENT_NULL for null
 * ```
 */
export function OH_NetStack_WebsocketClient_Destroy(client: OH_NetStack_WebsocketClient | null): number {
  const code = addon.destroy(client);
  if (code === 0 && client) destroyed.add(client);
  return code;
}

// Clients destroyed from JS (the only way besides the thread's teardown, when no JS runs):
// a batch being delivered stops at them without a call into the addon per message.
const destroyed = new WeakSet<object>();

/**
 * Extension: how many clients may exist at once (default 100). Returns the previous limit.
 * @example
 * ```ts
 * import { NetStack_WebSocket_SetClientLimit } from 'netstack-websocket/native';
 *
 * const previous = NetStack_WebSocket_SetClientLimit(1000);
 * console.log(`the limit was ${previous}`);
 * ```
 */
export function NetStack_WebSocket_SetClientLimit(limit: number): number {
  return addon.setClientLimit(limit);
}

/**
 * Extension: bounds what one client's Send may leave waiting to be sent, in bytes (default
 * 64 MiB) and messages (default 65,536); past either, Send returns
 * WEBSOCKET_QUEUE_LENGTH_EXCEEDS (1013). A message is always taken when nothing waits.
 * 0 leaves that bound as it is. For every client, from the next Send.
 * @example
 * ```ts
 * import { NetStack_WebSocket_SetSendQueueLimits } from 'netstack-websocket/native';
 *
 * // At most 8 MiB or 1,000 messages waiting per client; Send returns 1013 past either.
 * NetStack_WebSocket_SetSendQueueLimits(8 * 1024 * 1024, 1000);
 * ```
 */
export function NetStack_WebSocket_SetSendQueueLimits(maxBytes: number, maxMessages: number): void {
  addon.setSendQueueLimits(maxBytes, maxMessages);
}

// ---- The names OpenHarmony released at API 11: the same functions and types. ----
export type WebSocket = OH_NetStack_WebsocketClient;
export type WebSocket_OpenResult = OH_NetStack_WebsocketClient_OpenResult;
export type WebSocket_CloseResult = OH_NetStack_WebsocketClient_CloseResult;
export type WebSocket_CloseOption = OH_NetStack_WebsocketClient_CloseOption;
export type WebSocket_ErrorResult = OH_NetStack_WebsocketClient_ErrorResult;
export type WebSocket_Header = OH_NetStack_WebsocketClient_Slist;
export type WebSocket_RequestOptions = OH_NetStack_WebsocketClient_RequestOptions;
export const WebSocket_ErrCode = OH_Websocket_ErrCode;
/**
 * The name OpenHarmony released at API 11 for {@link OH_NetStack_WebsocketClient_Construct}.
 * @example
 * ```ts
 * import { OH_WebSocketClient_Constructor } from 'netstack-websocket/native';
 *
 * const client = OH_WebSocketClient_Constructor((c, open) => console.log(open.code), null, null, null);
 * console.log(client !== null);
 * ```
 */
export const OH_WebSocketClient_Constructor = OH_NetStack_WebsocketClient_Construct;
/**
 * The name OpenHarmony released at API 11 for {@link OH_NetStack_WebSocketClient_AddHeader}.
 * @example
 * ```ts
 * import { OH_WebSocketClient_AddHeader, OH_WebSocketClient_Constructor } from 'netstack-websocket/native';
 *
 * const client = OH_WebSocketClient_Constructor(null, null, null, null);
 * if (client) OH_WebSocketClient_AddHeader(client, { FieldName: 'X-Token', FieldValue: 'abc', next: null });
 * ```
 */
export const OH_WebSocketClient_AddHeader = OH_NetStack_WebSocketClient_AddHeader;
/**
 * The name OpenHarmony released at API 11 for {@link OH_NetStack_WebSocketClient_Connect}.
 * @example
 * ```ts
 * import { OH_WebSocketClient_Connect, OH_WebSocketClient_Constructor } from 'netstack-websocket/native';
 *
 * const client = OH_WebSocketClient_Constructor(null, null, null, null);
 * if (client) OH_WebSocketClient_Connect(client, 'ws://127.0.0.1:8080', client.RequestOptions);
 * ```
 */
export const OH_WebSocketClient_Connect = OH_NetStack_WebSocketClient_Connect;
/**
 * The name OpenHarmony released at API 11 for {@link OH_NetStack_WebSocketClient_Send}.
 * @example
 * ```ts
 * import { OH_WebSocketClient_Connect, OH_WebSocketClient_Constructor, OH_WebSocketClient_Send } from 'netstack-websocket/native';
 *
 * const client = OH_WebSocketClient_Constructor((c) => { OH_WebSocketClient_Send(c, 'hi', 2); }, null, null, null);
 * if (client) OH_WebSocketClient_Connect(client, 'ws://127.0.0.1:8080', client.RequestOptions);
 * ```
 */
export const OH_WebSocketClient_Send = OH_NetStack_WebSocketClient_Send;
/**
 * The name OpenHarmony released at API 11 for {@link OH_NetStack_WebSocketClient_Close}.
 * @example
 * ```ts
 * import { OH_WebSocketClient_Close, OH_WebSocketClient_Connect, OH_WebSocketClient_Constructor } from 'netstack-websocket/native';
 *
 * const client = OH_WebSocketClient_Constructor((c) => { OH_WebSocketClient_Close(c, { code: 1000, reason: '' }); }, null, null, null);
 * if (client) OH_WebSocketClient_Connect(client, 'ws://127.0.0.1:8080', client.RequestOptions);
 * ```
 */
export const OH_WebSocketClient_Close = OH_NetStack_WebSocketClient_Close;
/**
 * The name OpenHarmony released at API 11 for {@link OH_NetStack_WebsocketClient_Destroy}.
 * @example
 * ```ts
 * import { OH_WebSocketClient_Constructor, OH_WebSocketClient_Destroy } from 'netstack-websocket/native';
 *
 * const client = OH_WebSocketClient_Constructor(null, null, null, null);
 * OH_WebSocketClient_Destroy(client);
 * ```
 */
export const OH_WebSocketClient_Destroy = OH_NetStack_WebsocketClient_Destroy;

/**
 * Test aid: counts of live native clients, connections and lws contexts, and of the sockets of
 * ended connections still lingering (until the peer closes too, at most 1 s).
 * @example
 * ```ts
 * import { liveNativeCounts } from 'netstack-websocket/native';
 *
 * const { clients, connections, engines, lingeringSockets } = liveNativeCounts();
 * console.log(clients, connections, engines, lingeringSockets);
 * ```
 */
export function liveNativeCounts(): { clients: number; connections: number; engines: number; lingeringSockets: number } {
  return addon.liveCounts();
}

// The small messages a client receives in one loop turn come from the addon in one call;
// each still reaches onMessage on its own, exactly as the C callback would. A callback
// that destroys the client stops the rest, and one that throws does not lose them.
addon.setMirrorBatchDelivery((client, bytes, layout) => {
  const mirror = client as OH_NetStack_WebsocketClient;
  forEachBatchedMessage(bytes, layout, (data) => {
    const onMessage = mirror.onMessage;
    if (onMessage && !destroyed.has(mirror)) isolate(() => onMessage.call(mirror, mirror, data, data.length));
  });
});
