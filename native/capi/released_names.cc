// The C API under the names OpenHarmony released at API 11 (OH_WebSocketClient_*,
// struct WebSocket, WebSocket_*): the same clients and the same functions as the draft
// names (OH_NetStack_*) of oh_client_api.cc. struct WebSocket has the layout of struct
// OH_NetStack_WebsocketClient.
#include <new>
#include <vector>

#include "net_websocket.h"
#include "oh_client.h"

namespace {

// The callback types differ only in the (identically laid out) client struct they point to.
template <typename To, typename From>
To AsDraftCallback(From callback) {
  using Generic = void (*)(void);
  return reinterpret_cast<To>(reinterpret_cast<Generic>(callback));
}

OH_NetStack_WebsocketClient* AsDraftClient(struct WebSocket* client) {
  return reinterpret_cast<OH_NetStack_WebsocketClient*>(client);
}

}  // namespace

extern "C" {

struct WebSocket* OH_WebSocketClient_Constructor(WebSocket_OnOpenCallback onOpen, WebSocket_OnMessageCallback onMessage,
                                                 WebSocket_OnErrorCallback onError, WebSocket_OnCloseCallback onClose) {
  return reinterpret_cast<struct WebSocket*>(OH_NetStack_WebsocketClient_Construct(
      AsDraftCallback<OH_NetStack_WebsocketClient_OnOpenCallback>(onOpen),
      AsDraftCallback<OH_NetStack_WebsocketClient_OnMessageCallback>(onMessage),
      AsDraftCallback<OH_NetStack_WebsocketClient_OnErrorCallback>(onError),
      AsDraftCallback<OH_NetStack_WebsocketClient_OnCloseCallback>(onClose)));
}

int OH_WebSocketClient_AddHeader(struct WebSocket* client, struct WebSocket_Header header) {
  OH_NetStack_WebsocketClient_Slist node{header.fieldName, header.fieldValue, nullptr};
  return OH_NetStack_WebSocketClient_AddHeader(AsDraftClient(client), node);
}

int OH_WebSocketClient_Connect(struct WebSocket* client, const char* url, struct WebSocket_RequestOptions options) {
  // Copy the list into the draft names' node type rather than aliasing one struct as another.
  std::vector<OH_NetStack_WebsocketClient_Slist> nodes;
  try {
    for (const WebSocket_Header* node = options.headers; node; node = node->next) {
      if (nodes.size() > netstack::kMaxHeaders) break;
      nodes.push_back({node->fieldName, node->fieldValue, nullptr});
    }
  } catch (const std::bad_alloc&) {
    return WEBSOCKET_CONNECTION_NO_MEMOERY;
  }
  for (size_t i = 0; i + 1 < nodes.size(); ++i) nodes[i].next = &nodes[i + 1];
  return netstack::ConnectClient(client, url, nodes.empty() ? nullptr : nodes.data());
}

int OH_WebSocketClient_Send(struct WebSocket* client, char* data, size_t length) {
  return OH_NetStack_WebSocketClient_Send(AsDraftClient(client), data, length);
}

int OH_WebSocketClient_Close(struct WebSocket* client, WebSocket_CloseOption options) {
  return OH_NetStack_WebSocketClient_Close(AsDraftClient(client), {options.code, options.reason});
}

int OH_WebSocketClient_Destroy(struct WebSocket* client) {
  return OH_NetStack_WebsocketClient_Destroy(AsDraftClient(client));
}

}  // extern "C"
