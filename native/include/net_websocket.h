/*
 * net_websocket.h - functions of the OpenHarmony NetStack WebSocket client C API
 * (libnet_websocket.so), as implemented by netstack-websocket.
 *
 * Threading (libnet_websocket.so): the library runs libwebsockets on a loop of its
 * own, on one library-owned thread, and every callback is called from that thread,
 * as on OpenHarmony. The functions may be called from any thread, including from
 * inside a callback. When Destroy returns, no callback of that client runs any more.
 *
 * Differences from OpenHarmony, all on the safe side:
 *  - AddHeader copies the strings (OpenHarmony keeps the caller's pointers).
 *  - wss:// verifies the server certificate and host name against the system trust
 *    store (OpenHarmony does not verify). Set NETSTACK_WS_INSECURE=1 to opt out.
 *  - Destroy is safe at any moment, from inside any callback of that client, and twice
 *    (the second call returns WEBSOCKET_CLIENT_IS_NOT_CREAT).
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

/** Queues data (copied). TEXT when it holds no NUL byte, BINARY otherwise. length 0 sends nothing. */
NETSTACK_WS_EXPORT int OH_NetStack_WebSocketClient_Send(struct OH_NetStack_WebsocketClient *client, char *data,
                                                        size_t length);

/** Starts the closing handshake (code 0 or reason NULL: 1000 with an empty reason). onClose follows. */
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

#ifdef __cplusplus
}
#endif

#endif /* NET_WEBSOCKET_H */
