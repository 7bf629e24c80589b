#include "client_record.h"

#include <atomic>
#include <mutex>
#include <unordered_map>

#include "connection.h"
#include "oh_client.h"
#include "oh_error_codes.h"

namespace netstack {
namespace {

std::mutex g_registry_mutex;
std::unordered_map<const void*, ClientRecord*> g_registry;
uint32_t g_client_limit = 100;  // OpenHarmony's
std::atomic<size_t> g_send_queue_bytes{kDefaultSendQueueBytes};
std::atomic<size_t> g_send_queue_messages{kDefaultSendQueueMessages};

}  // namespace

bool RegisterClient(ClientRecord* record) {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  if (g_registry.size() >= g_client_limit) return false;
  g_registry.emplace(record->pub(), record);
  return true;
}

void UnregisterClient(const void* client) {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  g_registry.erase(client);
}

ClientRecord* FindClient(const void* client) {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  auto it = g_registry.find(client);
  return it == g_registry.end() ? nullptr : it->second;
}

uint32_t SetClientLimit(uint32_t limit) {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  uint32_t previous = g_client_limit;
  g_client_limit = limit;
  return previous;
}

SendQueueLimits CurrentSendQueueLimits() { return {g_send_queue_bytes.load(), g_send_queue_messages.load()}; }

void SetSendQueueLimits(size_t bytes, size_t messages) {
  if (bytes) g_send_queue_bytes = bytes;
  if (messages) g_send_queue_messages = messages;
}

size_t RegisteredClientCount() {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  return g_registry.size();
}

void ClientRecord::AppendHeader(const char* name, const char* value) {
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

void ClientRecord::Destroy() {
  if (connection_) {
    connection_->Detach();
    connection_ = nullptr;
  }
  observer_ = nullptr;
  destroyed_ = true;
  if (callback_depth_ == 0) delete this;
}

void ClientRecord::OnOpen(const OpenInfo& info) {
  if (!pub_.onOpen) return;
  std::string reason(info.status_text);
  OH_NetStack_WebsocketClient_OpenResult result{static_cast<uint32_t>(info.http_status), reason.c_str()};
  CallbackScope scope(this);
  pub_.onOpen(&pub_, result);
}

uint8_t* ClientRecord::ReserveMessage(size_t length) {
  if (!pub_.onMessage) return nullptr;
  // Room for a large message and the NUL C callers get after it, reused from one message
  // to the next (warm, and no page faults), unless it grew past kKeepRoomBytes.
  if (room_capacity_ < length + 1) {
    room_.reset(new uint8_t[length + 1]);  // not zero-filled: every byte is written first
    room_capacity_ = length + 1;
  }
  return room_.get();
}

void ClientRecord::OnMessage(const uint8_t* data, size_t length, bool /*binary*/, std::vector<uint8_t>* owned) {
  if (!pub_.onMessage) return;
  // Once Close() was called nothing more is delivered, as OpenHarmony's client does.
  if (connection_ && connection_->state() == Connection::State::kClosing) return;
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

void ClientRecord::OnError(ConnectionError error, const std::string& message, const HttpResponse* /*response*/,
                           const ConnectFailure* /*failure*/) {
  if (!pub_.onError) return;
  OH_NetStack_WebsocketClient_ErrorResult result{static_cast<uint32_t>(OhErrorCode(error)), message.c_str()};
  CallbackScope scope(this);
  pub_.onError(&pub_, result);
}

void ClientRecord::OnClose(const CloseInfo& info) {
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

void ClientRecord::OnFinished() {
  connection_ = nullptr;
  if (observer_) observer_->OnConnectionFinished();
}

}  // namespace netstack
