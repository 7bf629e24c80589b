// The OpenHarmony NetStack WebSocket client C API on top of Engine/Connection, under its
// draft names (OH_NetStack_*; the released names in released_names.cc call these). Each
// client belongs to one EngineHost, on whose loop thread all of its work runs.
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <string>

#include "client_record.h"
#include "closing_handshake.h"
#include "connection.h"
#include "engine.h"
#include "engine_host.h"
#include "frame_writer.h"
#include "net_websocket.h"
#include "oh_client.h"
#include "url.h"

namespace netstack {
namespace {

// Finds the client and runs fn(record) on its loop thread; the registry is checked
// again there because another thread may have destroyed the client meanwhile.
template <typename Fn>
int WithClient(const void* client, Fn&& fn) {
  if (!client) return WEBSOCKET_CLIENT_IS_NULL;
  ClientRecord* record = FindClient(client);
  if (!record) return WEBSOCKET_CLIENT_IS_NOT_CREAT;
  int result = WEBSOCKET_CLIENT_IS_NOT_CREAT;
  record->host()->RunOnLoop([&] {
    ClientRecord* current = FindClient(client);
    if (!current) return;
    try {
      result = fn(*current);
    } catch (const std::bad_alloc&) {
      result = WEBSOCKET_SEND_NO_MEMOERY_ERROR;
    }
  });
  return result;
}

bool IsTokenChar(unsigned char c) {
  if (c <= 0x20 || c >= 0x7f) return false;
  return std::strchr("()<>@,;:\\\"/[]?={}", c) == nullptr;
}

// A header that could split the request or smuggle another one is refused.
bool IsSafeHeader(const char* name, const char* value) {
  if (!name || !*name) return false;
  for (const char* p = name; *p; ++p) {
    if (!IsTokenChar(static_cast<unsigned char>(*p))) return false;
  }
  for (const char* p = value ? value : ""; *p; ++p) {
    if (*p == '\r' || *p == '\n') return false;
  }
  return true;
}

// A peer that reads slowly or not at all must not make Send queue without bound. A
// message is always taken when nothing waits, whatever its size.
bool SendQueueFull(const Connection& connection, size_t length) {
  const size_t waiting = connection.queued_messages();
  if (waiting == 0) return false;
  const SendQueueLimits limits = CurrentSendQueueLimits();
  return waiting >= limits.messages || connection.buffered_bytes() + length > limits.bytes;
}

bool TlsVerificationDisabledByEnvironment() {
  const char* value = std::getenv("NETSTACK_WS_INSECURE");
  return value && std::strcmp(value, "1") == 0;
}

}  // namespace

int ConnectClient(const void* client, const char* url, const OH_NetStack_WebsocketClient_Slist* headers) {
  return WithClient(client, [&](ClientRecord& record) -> int {
    if (!url) return WEBSOCKET_CONNECTION_PARSEURL_ERROR;
    std::optional<WebSocketUrl> parsed = ParseWebSocketUrl(url);
    if (!parsed) return WEBSOCKET_CONNECTION_PARSEURL_ERROR;

    ConnectRequest request;
    size_t count = 0;
    for (const auto* node = headers; node; node = node->next) {
      if (++count > kMaxHeaders) return WEBSOCKET_ERROR_NO_HEADR_EXCEEDS;
      if (!IsSafeHeader(node->FieldName, node->FieldValue)) return WEBSOCKET_CONNECTION_ERROR;
      request.headers.emplace_back(node->FieldName, node->FieldValue ? node->FieldValue : "");
    }
    if (record.connection()) return WEBSOCKET_CONNECTION_ERROR;  // already connecting or open

    Engine* engine = record.host()->GetEngine();
    if (!engine) return WEBSOCKET_CONNECTION_NO_MEMOERY;
    request.origin = std::string(parsed->tls ? "https://" : "http://") + parsed->HostHeader();
    request.verify_tls = !TlsVerificationDisabledByEnvironment();
    request.url = std::move(*parsed);
    Connection* connection = engine->Connect(std::move(request), &record);
    if (!connection) return WEBSOCKET_CONNECTION_NO_MEMOERY;
    record.set_connection(connection);
    return Websocket_OK;
  });
}

OH_NetStack_WebsocketClient* ConstructClientOn(EngineHost* host, OH_NetStack_WebsocketClient_OnOpenCallback onOpen,
                                               OH_NetStack_WebsocketClient_OnMessageCallback onMessage,
                                               OH_NetStack_WebsocketClient_OnErrorCallback onError,
                                               OH_NetStack_WebsocketClient_OnCloseCallback onClose) {
  if (!host) return nullptr;
  ClientRecord* record = new (std::nothrow) ClientRecord(host);
  if (!record) return nullptr;
  OH_NetStack_WebsocketClient* pub = record->pub();
  pub->onOpen = onOpen;
  pub->onMessage = onMessage;
  pub->onError = onError;
  pub->onClose = onClose;
  pub->RequestOptions.headers = nullptr;
  if (RegisterClient(record)) return pub;
  record->Destroy();
  return nullptr;
}

void SetClientObserver(OH_NetStack_WebsocketClient* client, ClientObserver* observer) {
  if (ClientRecord* record = FindClient(client)) record->set_observer(observer);
}

size_t LiveClientCount() { return RegisteredClientCount(); }

}  // namespace netstack

using netstack::ClientRecord;
using netstack::WithClient;

extern "C" {

OH_NetStack_WebsocketClient* OH_NetStack_WebsocketClient_Construct(
    OH_NetStack_WebsocketClient_OnOpenCallback onOpen, OH_NetStack_WebsocketClient_OnMessageCallback onMessage,
    OH_NetStack_WebsocketClient_OnErrorCallback onError, OH_NetStack_WebsocketClient_OnCloseCallback onClose) {
  try {
    return netstack::ConstructClientOn(netstack::CurrentEngineHost(), onOpen, onMessage, onError, onClose);
  } catch (...) {
    return nullptr;
  }
}

int OH_NetStack_WebSocketClient_AddHeader(OH_NetStack_WebsocketClient* client,
                                          OH_NetStack_WebsocketClient_Slist header) {
  return WithClient(client, [&](ClientRecord& record) -> int {
    if (!header.FieldName) return WEBSOCKET_ERROR_NO_HEADR_CONTEXT;
    if (record.header_count() >= netstack::kMaxHeaders) return WEBSOCKET_ERROR_NO_HEADR_EXCEEDS;
    record.AppendHeader(header.FieldName, header.FieldValue);
    return Websocket_OK;
  });
}

int OH_NetStack_WebSocketClient_Connect(OH_NetStack_WebsocketClient* client, const char* url,
                                        OH_NetStack_WebsocketClient_RequestOptions options) {
  return netstack::ConnectClient(client, url, options.headers);
}

int OH_NetStack_WebSocketClient_Send(OH_NetStack_WebsocketClient* client, char* data, size_t length) {
  return WithClient(client, [&](ClientRecord& record) -> int {
    if (!data) return WEBSOCKET_SEND_DATA_NULL;
    if (length == 0) return Websocket_OK;
    if (length > netstack::kMaxSendBytes) return WEBSOCKET_DATA_LENGTH_EXCEEDS;
    netstack::Connection* connection = record.connection();
    if (!connection) return WEBSOCKET_ERROR_HAVE_NO_CONNECT;
    if (netstack::SendQueueFull(*connection, length)) return WEBSOCKET_QUEUE_LENGTH_EXCEEDS;
    // OpenHarmony's rule: TEXT when strlen(data) == length, i.e. no NUL byte inside.
    const bool binary = std::memchr(data, 0, length) != nullptr;
    if (!connection->Send(reinterpret_cast<const uint8_t*>(data), length, binary)) {
      return WEBSOCKET_ERROR_HAVE_NO_CONNECT;  // closing or closed
    }
    return Websocket_OK;
  });
}

int OH_NetStack_WebSocketClient_Close(OH_NetStack_WebsocketClient* client,
                                      OH_NetStack_WebsocketClient_CloseOption options) {
  return WithClient(client, [&](ClientRecord& record) -> int {
    netstack::Connection* connection = record.connection();
    if (!connection) return WEBSOCKET_ERROR_HAVE_NO_CONNECT;
    uint32_t code = options.code;
    const char* reason = options.reason;
    if (code == 0 || !reason) {
      code = 1000;
      reason = "";
    }
    // Never put a reserved code or an over-long reason on the wire (RFC 6455 5.5, 7.4).
    if (!netstack::IsSendableCloseCode(code) || std::strlen(reason) > netstack::kMaxCloseReasonBytes) {
      return WEBSOCKET_PROTOCOL_ERROR;
    }
    // Gone already (e.g. called from onError or onClose): nothing to close.
    if (!connection->Close(static_cast<uint16_t>(code), reason)) return WEBSOCKET_ERROR_HAVE_NO_CONNECT;
    return Websocket_OK;
  });
}

int OH_NetStack_WebsocketClient_Destroy(OH_NetStack_WebsocketClient* client) {
  return WithClient(client, [&](ClientRecord& record) -> int {
    netstack::UnregisterClient(client);
    record.Destroy();
    return Websocket_OK;
  });
}

uint32_t NetStack_WebSocket_SetClientLimit(uint32_t limit) { return netstack::SetClientLimit(limit); }

void NetStack_WebSocket_SetSendQueueLimits(size_t maxBytes, size_t maxMessages) {
  netstack::SetSendQueueLimits(maxBytes, maxMessages);
}

}  // extern "C"
