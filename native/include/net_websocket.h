/*
 * net_websocket.h - functions of the OpenHarmony NetStack WebSocket client C API
 * (libnet_websocket.so), as implemented by netstack-websocket.
 *
 * Threading (libnet_websocket.so): the library runs libwebsockets on a loop of its
 * own, on one library-owned thread, and every callback is called from that thread,
 * as on OpenHarmony. The functions may be called from any thread, including from
 * inside a callback. When Destroy returns, no callback of that client runs any more.
 *
 * Backpressure: receiving is callback-driven, and a slow callback is the backpressure:
 * while onMessage runs, nothing more is read from that connection's socket, so the
 * kernel's buffers fill and the server's writes stall. A callback that only queues the
 * message for later gets none: bound that queue in the application.
 *
 * Differences from OpenHarmony, all on the safe side:
 *  - AddHeader copies the strings (OpenHarmony keeps the caller's pointers).
 *  - wss:// verifies the server certificate and host name against the system trust
 *    store (OpenHarmony does not verify). Set NETSTACK_WS_INSECURE=1 to opt out.
 *  - Destroy is safe at any moment, from inside any callback of that client, and twice
 *    (the second call returns WEBSOCKET_CLIENT_IS_NOT_CREAT).
 *  - Send is bounded: to a peer that reads slowly or not at all, it refuses with
 *    WEBSOCKET_QUEUE_LENGTH_EXCEEDS (1013) once 64 MiB or 65,536 messages wait to be
 *    sent (see NetStack_WebSocket_SetSendQueueLimits), where OpenHarmony queues on.
 *  - Close on a connection that is gone, also from inside onError or onClose, returns
 *    WEBSOCKET_ERROR_HAVE_NO_CONNECT (1017).
 */
#ifndef NET_WEBSOCKET_H
#define NET_WEBSOCKET_H

#include "net_websocket_type.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The Node addon links the same code but must not export these names (a process may
 * also load libnet_websocket.so): it builds with NETSTACK_WS_NO_EXPORT. */
#if defined(NETSTACK_WS_NO_EXPORT)
#define NETSTACK_WS_EXPORT
#elif defined(__GNUC__)
#define NETSTACK_WS_EXPORT __attribute__((visibility("default")))
#else
#define NETSTACK_WS_EXPORT
#endif

/** Makes a client with the four callbacks (each may be NULL). NULL when the client limit (default 100) is reached. */
NETSTACK_WS_EXPORT struct OH_NetStack_WebsocketClient *OH_NetStack_WebsocketClient_Construct(
    OH_NetStack_WebsocketClient_OnOpenCallback onOpen, OH_NetStack_WebsocketClient_OnMessageCallback onMessage,
    OH_NetStack_WebsocketClient_OnErrorCallback onError, OH_NetStack_WebsocketClient_OnCloseCallback onClose);

/** Appends a copy of header (name and value strings are copied) to client->RequestOptions.headers. */
NETSTACK_WS_EXPORT int OH_NetStack_WebSocketClient_AddHeader(struct OH_NetStack_WebsocketClient *client,
                                                             struct OH_NetStack_WebsocketClient_Slist header);

/** Starts connecting to url (ws://, wss://, or a unix socket: ws+unix:///path.sock:/request/path).
 * Returns 0 at once; onOpen or onError follows. */
NETSTACK_WS_EXPORT int OH_NetStack_WebSocketClient_Connect(struct OH_NetStack_WebsocketClient *client, const char *url,
                                                           struct OH_NetStack_WebsocketClient_RequestOptions options);

/** Queues data (copied). TEXT when it holds no NUL byte, BINARY otherwise. length 0 sends nothing.
 * WEBSOCKET_DATA_LENGTH_EXCEEDS (1012) over 4 MiB; WEBSOCKET_QUEUE_LENGTH_EXCEEDS (1013), nothing
 * queued, when what waits to be sent would pass the send queue's bounds (default 64 MiB, 65,536
 * messages; a message is always taken when nothing waits); WEBSOCKET_SEND_NO_MEMOERY_ERROR (1010)
 * when the copy cannot be allocated; WEBSOCKET_ERROR_HAVE_NO_CONNECT (1017) when not connected,
 * closing or closed. */
NETSTACK_WS_EXPORT int OH_NetStack_WebSocketClient_Send(struct OH_NetStack_WebsocketClient *client, char *data,
                                                        size_t length);

/** Starts the closing handshake (code 0 or reason NULL: 1000 with an empty reason). onClose follows.
 * WEBSOCKET_ERROR_HAVE_NO_CONNECT (1017) when there is nothing to close: never connected, or the
 * connection has failed or ended (also when called from onError or onClose). */
NETSTACK_WS_EXPORT int OH_NetStack_WebSocketClient_Close(struct OH_NetStack_WebsocketClient *client,
                                                         struct OH_NetStack_WebsocketClient_CloseOption options);

/** Releases the connection, the header list and the client. */
NETSTACK_WS_EXPORT int OH_NetStack_WebsocketClient_Destroy(struct OH_NetStack_WebsocketClient *client);

/* ---- The released names (API 11) ---- */
NETSTACK_WS_EXPORT struct WebSocket *OH_WebSocketClient_Constructor(WebSocket_OnOpenCallback onOpen,
                                                                    WebSocket_OnMessageCallback onMessage,
                                                                    WebSocket_OnErrorCallback onError,
                                                                    WebSocket_OnCloseCallback onClose);
NETSTACK_WS_EXPORT int OH_WebSocketClient_AddHeader(struct WebSocket *client, struct WebSocket_Header header);
NETSTACK_WS_EXPORT int OH_WebSocketClient_Connect(struct WebSocket *client, const char *url,
                                                  struct WebSocket_RequestOptions options);
NETSTACK_WS_EXPORT int OH_WebSocketClient_Send(struct WebSocket *client, char *data, size_t length);
NETSTACK_WS_EXPORT int OH_WebSocketClient_Close(struct WebSocket *client, WebSocket_CloseOption options);
NETSTACK_WS_EXPORT int OH_WebSocketClient_Destroy(struct WebSocket *client);

/* ---- Extensions of netstack-websocket (not in OpenHarmony) ---- */

/** Sets how many clients may exist at once (OpenHarmony: 100). Returns the previous limit. */
NETSTACK_WS_EXPORT uint32_t NetStack_WebSocket_SetClientLimit(uint32_t limit);

/** Bounds what one client's Send may leave waiting to be sent (not yet handed to the kernel):
 * at most maxBytes bytes (default 64 MiB) and maxMessages messages (default 65,536); past either,
 * Send returns WEBSOCKET_QUEUE_LENGTH_EXCEEDS (1013). A message is always taken when nothing
 * waits, whatever its size. 0 leaves that bound as it is. For every client, from the next Send. */
NETSTACK_WS_EXPORT void NetStack_WebSocket_SetSendQueueLimits(size_t maxBytes, size_t maxMessages);

#ifdef __cplusplus
}
#endif

#endif /* NET_WEBSOCKET_H */
