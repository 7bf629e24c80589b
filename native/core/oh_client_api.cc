// The OpenHarmony NetStack WebSocket client C API on top of Engine/Connection.
// Every client lives in a process-wide registry (so a pointer not made by Construct,
// or already destroyed, is recognised) and belongs to one EngineHost, on whose loop
// thread all of its work runs.
#include <cstdlib>
#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "connection.h"
#include "connection_sink.h"
#include "engine.h"
#include "engine_host.h"
#include "net_websocket.h"
#include "oh_client.h"
#include "url.h"

namespace netstack {
namespace {

class ClientRecord;

std::mutex g_registry_mutex;
std::unordered_map<const void*, ClientRecord*> g_registry;
uint32_t g_client_limit = 100;

ClientRecord* FindRecord(const void* client) {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  auto it = g_registry.find(client);
  return it == g_registry.end() ? nullptr : it->second;
}

struct HeaderCopy {
  OH_NetStack_WebsocketClient_Slist node{};
  std::string name;
  std::string value;
};

// One client of the C API and the sink of its current connection.
class ClientRecord final : public ConnectionSink {
 public:
  explicit ClientRecord(EngineHost* host) : host_(host) {}

  OH_NetStack_WebsocketClient* pub() { return &pub_; }
  EngineHost* host() const { return host_; }
  Connection* connection() const { return connection_; }
  void set_connection(Connection* connection) { connection_ = connection; }
  void set_observer(ClientObserver* observer) { observer_ = observer; }

  void AppendHeader(const char* name, const char* value) {
    headers_.emplace_back();
    HeaderCopy& copy = headers_.back();
    copy.name = name;
    copy.value = value ? value : "";
    copy.node.FieldName = copy.name.c_str();
    copy.node.FieldValue = copy.value.c_str();
    copy.node.next = nullptr;
    OH_NetStack_WebsocketClient_Slist** tail = &pub_.RequestOptions.headers;
    while (*tail) tail = &(*tail)->next;
    *tail = &copy.node;
  }
  size_t header_count() const { return headers_.size(); }

  // Unregistered already. Frees now, or when the outermost callback of this client returns.
  void Destroy() {
    if (connection_) {
      connection_->Detach();
      connection_ = nullptr;
    }
    observer_ = nullptr;
    destroyed_ = true;
    if (callback_depth_ == 0) delete this;
  }

  // ConnectionSink
  void OnOpen(const OpenInfo& info) override {
    if (!pub_.onOpen) return;
    std::string reason(info.status_text);
    OH_NetStack_WebsocketClient_OpenResult result{static_cast<uint32_t>(info.http_status), reason.c_str()};
    CallbackScope scope(this);
    pub_.onOpen(&pub_, result);
  }

  uint8_t* ReserveMessage(size_t length) override {
    if (!pub_.onMessage) return nullptr;
    // Room for a large message and the NUL C callers get after it, reused from one message
    // to the next (warm, and no page faults), unless it grew past kKeepRoomBytes.
    if (room_capacity_ < length + 1) {
      room_.reset(new uint8_t[length + 1]);  // not zero-filled: every byte is written first
      room_capacity_ = length + 1;
    }
    return room_.get();
  }

  void OnMessage(const uint8_t* data, size_t length, bool /*binary*/, std::vector<uint8_t>* owned) override {
    if (!pub_.onMessage) return;
    if (room_ && data == room_.get()) {  // received straight into ReserveMessage's room
      room_[length] = 0;
      {
        CallbackScope scope(this);
        pub_.onMessage(&pub_, reinterpret_cast<char*>(room_.get()), static_cast<uint32_t>(length));
        if (destroyed_) return;  // `this` may be gone once the scope ends
      }
      if (room_capacity_ > kKeepRoomBytes) {
        room_.reset();
        room_capacity_ = 0;
      }
      return;
    }
    // C callers get a NUL-terminated buffer they may even write to: the reassembled
    // message itself when there is one, else a copy.
    if (owned) {
      message_scratch_ = std::move(*owned);
    } else {
      message_scratch_.assign(data, data + length);
    }
    message_scratch_.push_back(0);
    CallbackScope scope(this);
    pub_.onMessage(&pub_, reinterpret_cast<char*>(message_scratch_.data()), static_cast<uint32_t>(length));
  }

  void OnError(int oh_code, const std::string& message, const HttpResponse* /*response*/) override {
    if (!pub_.onError) return;
    OH_NetStack_WebsocketClient_ErrorResult result{static_cast<uint32_t>(oh_code), message.c_str()};
    CallbackScope scope(this);
    pub_.onError(&pub_, result);
  }

  void OnClose(const CloseInfo& info) override {
    if (!pub_.onClose) return;
    uint32_t code = info.code;
    std::string reason(info.reason);
    if (code == 1005 || code == 1006) {  // no code known (OpenHarmony's convention)
      code = 1001;
      reason = info.clean ? "closed without a status code" : "connection closed abnormally";
    }
    OH_NetStack_WebsocketClient_CloseResult result{code, reason.c_str()};
    CallbackScope scope(this);
    pub_.onClose(&pub_, result);
  }

  void OnFinished() override {
    connection_ = nullptr;
    if (observer_) observer_->OnConnectionFinished();
  }

  void OnEngineShutdown() override { connection_ = nullptr; }

 private:
  ~ClientRecord() = default;  // only through Destroy()

  struct CallbackScope {
    explicit CallbackScope(ClientRecord* record) : record(record) { ++record->callback_depth_; }
    ~CallbackScope() {
      if (--record->callback_depth_ == 0 && record->destroyed_) delete record;
    }
    ClientRecord* record;
  };

  OH_NetStack_WebsocketClient pub_{};
  EngineHost* host_;
  std::list<HeaderCopy> headers_;  // list: node addresses stay put
  std::vector<uint8_t> message_scratch_;
  static constexpr size_t kKeepRoomBytes = 4 * 1024 * 1024;
  std::unique_ptr<uint8_t[]> room_;
  size_t room_capacity_ = 0;
  Connection* connection_ = nullptr;
  ClientObserver* observer_ = nullptr;
  int callback_depth_ = 0;
  bool destroyed_ = false;
};

// Finds the client and runs fn(record) on its loop thread; the registry is checked
// again there because another thread may have destroyed the client meanwhile.
template <typename Fn>
int WithClient(const void* client, Fn&& fn) {
  if (!client) return WEBSOCKET_CLIENT_IS_NULL;
  ClientRecord* record = FindRecord(client);
  if (!record) return WEBSOCKET_CLIENT_IS_NOT_CREAT;
  int result = WEBSOCKET_CLIENT_IS_NOT_CREAT;
  record->host()->RunOnLoop([&] {
    ClientRecord* current = FindRecord(client);
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

bool IsSendableCloseCode(uint32_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006;
}

bool TlsVerificationDisabledByEnvironment() {
  const char* value = std::getenv("NETSTACK_WS_INSECURE");
  return value && std::strcmp(value, "1") == 0;
}

int ConnectImpl(const void* client, const char* url, const OH_NetStack_WebsocketClient_Slist* headers) {
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

}  // namespace

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
  {
    std::lock_guard<std::mutex> lock(g_registry_mutex);
    if (g_registry.size() < g_client_limit) {
      g_registry.emplace(pub, record);
      return pub;
    }
  }
  record->Destroy();
  return nullptr;
}

void SetClientObserver(OH_NetStack_WebsocketClient* client, ClientObserver* observer) {
  if (ClientRecord* record = FindRecord(client)) record->set_observer(observer);
}

size_t LiveClientCount() {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  return g_registry.size();
}

}  // namespace netstack

using netstack::ClientRecord;
using netstack::WithClient;

// The callback types differ only in the (identically laid out) client struct they point to.
template <typename To, typename From>
static To AsSeedCallback(From callback) {
  using Generic = void (*)(void);
  return reinterpret_cast<To>(reinterpret_cast<Generic>(callback));
}


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
  return netstack::ConnectImpl(client, url, options.headers);
}

int OH_NetStack_WebSocketClient_Send(OH_NetStack_WebsocketClient* client, char* data, size_t length) {
  return WithClient(client, [&](ClientRecord& record) -> int {
    if (!data) return WEBSOCKET_SEND_DATA_NULL;
    if (length == 0) return Websocket_OK;
    if (length > netstack::kMaxSendBytes) return WEBSOCKET_DATA_LENGTH_EXCEEDS;
    netstack::Connection* connection = record.connection();
    if (!connection) return WEBSOCKET_ERROR_HAVE_NO_CONNECT;
    if (connection->queued_messages() >= netstack::kMaxQueuedMessages) return WEBSOCKET_QUEUE_LENGTH_EXCEEDS;
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
    if (!netstack::IsSendableCloseCode(code) || std::strlen(reason) > 123) return WEBSOCKET_PROTOCOL_ERROR;
    connection->Close(static_cast<uint16_t>(code), reason);
    return Websocket_OK;
  });
}

int OH_NetStack_WebsocketClient_Destroy(OH_NetStack_WebsocketClient* client) {
  return WithClient(client, [&](ClientRecord& record) -> int {
    {
      std::lock_guard<std::mutex> lock(netstack::g_registry_mutex);
      netstack::g_registry.erase(client);
    }
    record.Destroy();
    return Websocket_OK;
  });
}

uint32_t NetStack_WebSocket_SetClientLimit(uint32_t limit) {
  std::lock_guard<std::mutex> lock(netstack::g_registry_mutex);
  uint32_t previous = netstack::g_client_limit;
  netstack::g_client_limit = limit;
  return previous;
}

// ---- Later OpenHarmony names: the same clients, the same functions. ----
// struct WebSocket has the layout of struct OH_NetStack_WebsocketClient.

static OH_NetStack_WebsocketClient* AsSeedClient(struct WebSocket* client) {
  return reinterpret_cast<OH_NetStack_WebsocketClient*>(client);
}

struct WebSocket* OH_WebSocketClient_Constructor(WebSocket_OnOpenCallback onOpen, WebSocket_OnMessageCallback onMessage,
                                                 WebSocket_OnErrorCallback onError, WebSocket_OnCloseCallback onClose) {
  return reinterpret_cast<struct WebSocket*>(OH_NetStack_WebsocketClient_Construct(
      AsSeedCallback<OH_NetStack_WebsocketClient_OnOpenCallback>(onOpen),
      AsSeedCallback<OH_NetStack_WebsocketClient_OnMessageCallback>(onMessage),
      AsSeedCallback<OH_NetStack_WebsocketClient_OnErrorCallback>(onError),
      AsSeedCallback<OH_NetStack_WebsocketClient_OnCloseCallback>(onClose)));
}

int OH_WebSocketClient_AddHeader(struct WebSocket* client, struct WebSocket_Header header) {
  OH_NetStack_WebsocketClient_Slist seed{header.fieldName, header.fieldValue, nullptr};
  return OH_NetStack_WebSocketClient_AddHeader(AsSeedClient(client), seed);
}

int OH_WebSocketClient_Connect(struct WebSocket* client, const char* url, struct WebSocket_RequestOptions options) {
  // Copy the list into the seed's node type rather than aliasing one struct as another.
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
  return netstack::ConnectImpl(client, url, nodes.empty() ? nullptr : nodes.data());
}

int OH_WebSocketClient_Send(struct WebSocket* client, char* data, size_t length) {
  return OH_NetStack_WebSocketClient_Send(AsSeedClient(client), data, length);
}

int OH_WebSocketClient_Close(struct WebSocket* client, WebSocket_CloseOption options) {
  return OH_NetStack_WebSocketClient_Close(AsSeedClient(client), {options.code, options.reason});
}

int OH_WebSocketClient_Destroy(struct WebSocket* client) {
  return OH_NetStack_WebsocketClient_Destroy(AsSeedClient(client));
}

}  // extern "C"
