/*
 * net_websocket_type.h - data types of the OpenHarmony NetStack WebSocket client C API
 * (API level 11, library libnet_websocket.so), as implemented by netstack-websocket.
 *
 * Two generations of names, both kept: OH_NetStack_* are the names of OpenHarmony's draft
 * of this API; the released API 11 names are OH_WebSocketClient_* (functions) and
 * WebSocket_* (types), with identical layouts and values. Every struct of both generations
 * also has a typedef of its own name, so code written from OpenHarmony's documentation
 * (`OH_NetStack_WebsocketClient_OpenResult openResult` without `struct`) compiles as C
 * and as C++. The misspellings in the error code names are part of the API.
 */
#ifndef NET_WEBSOCKET_TYPE_H
#define NET_WEBSOCKET_TYPE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Parameters of a close received from the server (or the code the client closed with). */
struct OH_NetStack_WebsocketClient_CloseResult {
    uint32_t code;
    const char *reason;
};

/** Parameters of a close initiated by the client. code 0 or reason NULL: 1000, "". */
struct OH_NetStack_WebsocketClient_CloseOption {
    uint32_t code;
    const char *reason;
};

/** An error on the connection. errorMessage is valid only during the callback. */
struct OH_NetStack_WebsocketClient_ErrorResult {
    uint32_t errorCode;
    const char *errorMessage;
};

/** A completed opening handshake: HTTP status code (101) and status text. */
struct OH_NetStack_WebsocketClient_OpenResult {
    uint32_t code;
    const char *reason;
};

/** One node of the list of extra handshake headers. */
struct OH_NetStack_WebsocketClient_Slist {
    const char *FieldName;
    const char *FieldValue;
    struct OH_NetStack_WebsocketClient_Slist *next;
};

/** Options of a connection. */
struct OH_NetStack_WebsocketClient_RequestOptions {
    struct OH_NetStack_WebsocketClient_Slist *headers;
};

struct OH_NetStack_WebsocketClient;

/* The struct names as type names (C needs them; C++ has them already). */
typedef struct OH_NetStack_WebsocketClient_CloseResult OH_NetStack_WebsocketClient_CloseResult;
typedef struct OH_NetStack_WebsocketClient_CloseOption OH_NetStack_WebsocketClient_CloseOption;
typedef struct OH_NetStack_WebsocketClient_ErrorResult OH_NetStack_WebsocketClient_ErrorResult;
typedef struct OH_NetStack_WebsocketClient_OpenResult OH_NetStack_WebsocketClient_OpenResult;
typedef struct OH_NetStack_WebsocketClient_Slist OH_NetStack_WebsocketClient_Slist;
typedef struct OH_NetStack_WebsocketClient_RequestOptions OH_NetStack_WebsocketClient_RequestOptions;
typedef struct OH_NetStack_WebsocketClient OH_NetStack_WebsocketClient;

typedef void (*OH_NetStack_WebsocketClient_OnOpenCallback)(struct OH_NetStack_WebsocketClient *client,
                                                           struct OH_NetStack_WebsocketClient_OpenResult openResult);
/** data is valid only during the call; one call per complete message. */
typedef void (*OH_NetStack_WebsocketClient_OnMessageCallback)(struct OH_NetStack_WebsocketClient *client,
                                                              char *data, uint32_t length);
typedef void (*OH_NetStack_WebsocketClient_OnErrorCallback)(struct OH_NetStack_WebsocketClient *client,
                                                            struct OH_NetStack_WebsocketClient_ErrorResult errorResult);
typedef void (*OH_NetStack_WebsocketClient_OnCloseCallback)(struct OH_NetStack_WebsocketClient *client,
                                                            struct OH_NetStack_WebsocketClient_CloseResult closeResult);

/** A client. Make it with OH_NetStack_WebsocketClient_Construct; a struct made any other way is refused (1002). */
struct OH_NetStack_WebsocketClient {
    OH_NetStack_WebsocketClient_OnOpenCallback onOpen;
    OH_NetStack_WebsocketClient_OnMessageCallback onMessage;
    OH_NetStack_WebsocketClient_OnErrorCallback onError;
    OH_NetStack_WebsocketClient_OnCloseCallback onClose;
    struct OH_NetStack_WebsocketClient_RequestOptions RequestOptions;
};

typedef enum OH_Websocket_ErrCode {
    Websocket_OK = 0,
    E_BASE = 1000,
    WEBSOCKET_CLIENT_IS_NULL = (E_BASE + 1),
    WEBSOCKET_CLIENT_IS_NOT_CREAT = (E_BASE + 2),
    WEBSOCKET_CONNECTION_ERROR = (E_BASE + 3),
    WEBSOCKET_CONNECTION_PARSEURL_ERROR = (E_BASE + 5),
    WEBSOCKET_CONNECTION_NO_MEMOERY = (E_BASE + 6),
    WEBSOCKET_PEER_INITIATED_CLOSE = (E_BASE + 7),
    WEBSOCKET_DESTROY = (E_BASE + 8),
    WEBSOCKET_PROTOCOL_ERROR = (E_BASE + 9),
    WEBSOCKET_SEND_NO_MEMOERY_ERROR = (E_BASE + 10),
    WEBSOCKET_SEND_DATA_NULL = (E_BASE + 11),
    WEBSOCKET_DATA_LENGTH_EXCEEDS = (E_BASE + 12),
    WEBSOCKET_QUEUE_LENGTH_EXCEEDS = (E_BASE + 13),
    WEBSOCKET_ERROR_NO_CLIENTCONTEX = (E_BASE + 14),
    WEBSOCKET_ERROR_NO_HEADR_CONTEXT = (E_BASE + 15),
    WEBSOCKET_ERROR_NO_HEADR_EXCEEDS = (E_BASE + 16),
    WEBSOCKET_ERROR_HAVE_NO_CONNECT = (E_BASE + 17),
    WEBSOCKET_ERROR_HAVE_NO_CONNECT_CONTEXT = (E_BASE + 18)
} OH_Websocket_ErrCode;

/* ---- The released API 11 names: same layouts, same values. ---- */

/* Distinct structs with the same layouts as the draft names' (some field names changed:
 * fieldName, requestOptions). */
typedef struct WebSocket_Header {
    const char *fieldName;
    const char *fieldValue;
    struct WebSocket_Header *next;
} WebSocket_Header;

typedef struct WebSocket_RequestOptions {
    struct WebSocket_Header *headers;
} WebSocket_RequestOptions;

/* Tagged like the released OpenHarmony header, so `struct WebSocket_CloseResult` works too. */
typedef struct WebSocket_CloseResult {
    uint32_t code;
    const char *reason;
} WebSocket_CloseResult;

typedef struct WebSocket_CloseOption {
    uint32_t code;
    const char *reason;
} WebSocket_CloseOption;

typedef struct WebSocket_ErrorResult {
    uint32_t errorCode;
    const char *errorMessage;
} WebSocket_ErrorResult;

typedef struct WebSocket_OpenResult {
    uint32_t code;
    const char *reason;
} WebSocket_OpenResult;

struct WebSocket;
typedef struct WebSocket WebSocket;
typedef void (*WebSocket_OnOpenCallback)(struct WebSocket *client, WebSocket_OpenResult openResult);
typedef void (*WebSocket_OnMessageCallback)(struct WebSocket *client, char *data, uint32_t length);
typedef void (*WebSocket_OnErrorCallback)(struct WebSocket *client, WebSocket_ErrorResult errorResult);
typedef void (*WebSocket_OnCloseCallback)(struct WebSocket *client, WebSocket_CloseResult closeResult);

struct WebSocket {
    WebSocket_OnOpenCallback onOpen;
    WebSocket_OnMessageCallback onMessage;
    WebSocket_OnErrorCallback onError;
    WebSocket_OnCloseCallback onClose;
    WebSocket_RequestOptions requestOptions;
};

typedef enum WebSocket_ErrCode {
    WEBSOCKET_OK = Websocket_OK,
    WEBSOCKET_CLIENT_NULL = WEBSOCKET_CLIENT_IS_NULL,
    WEBSOCKET_CLIENT_NOT_CREATED = WEBSOCKET_CLIENT_IS_NOT_CREAT,
    /* WEBSOCKET_CONNECTION_ERROR and WEBSOCKET_PROTOCOL_ERROR keep their names. */
    WEBSOCKET_CONNECTION_PARSE_URL_ERROR = WEBSOCKET_CONNECTION_PARSEURL_ERROR,
    WEBSOCKET_CONNECTION_NO_MEMORY = WEBSOCKET_CONNECTION_NO_MEMOERY,
    WEBSOCKET_CONNECTION_CLOSED_BY_PEER = WEBSOCKET_PEER_INITIATED_CLOSE,
    WEBSOCKET_DESTROYED = WEBSOCKET_DESTROY,
    WEBSOCKET_SEND_NO_MEMORY = WEBSOCKET_SEND_NO_MEMOERY_ERROR,
    /* WEBSOCKET_SEND_DATA_NULL keeps its name. */
    WEBSOCKET_DATA_LENGTH_EXCEEDED = WEBSOCKET_DATA_LENGTH_EXCEEDS,
    WEBSOCKET_QUEUE_LENGTH_EXCEEDED = WEBSOCKET_QUEUE_LENGTH_EXCEEDS,
    WEBSOCKET_NO_CLIENT_CONTEXT = WEBSOCKET_ERROR_NO_CLIENTCONTEX,
    WEBSOCKET_NO_HEADER_CONTEXT = WEBSOCKET_ERROR_NO_HEADR_CONTEXT,
    WEBSOCKET_HEADER_EXCEEDED = WEBSOCKET_ERROR_NO_HEADR_EXCEEDS,
    WEBSOCKET_NO_CONNECTION = WEBSOCKET_ERROR_HAVE_NO_CONNECT,
    WEBSOCKET_NO_CONNECTION_CONTEXT = WEBSOCKET_ERROR_HAVE_NO_CONNECT_CONTEXT
} WebSocket_ErrCode;

#ifdef __cplusplus
}
#endif

#endif /* NET_WEBSOCKET_TYPE_H */
