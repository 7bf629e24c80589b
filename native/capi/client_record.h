// One client of the C API: the OH_NetStack_WebsocketClient struct handed to the caller,
// its headers, and the sink of its current connection, which turns engine events into
// the caller's four callbacks (with OpenHarmony's numbering and conventions). Every client
// is in a process-wide registry, so that a pointer not made by Construct, or already
// destroyed, is recognised.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "connection_sink.h"
#include "net_websocket.h"

namespace netstack {

class ClientObserver;
class Connection;
class EngineHost;

class ClientRecord final : public ConnectionSink {
 public:
  explicit ClientRecord(EngineHost* host) : host_(host) {}

  OH_NetStack_WebsocketClient* pub() { return &pub_; }
  EngineHost* host() const { return host_; }
  Connection* connection() const { return connection_; }
  void set_connection(Connection* connection) { connection_ = connection; }
  void set_observer(ClientObserver* observer) { observer_ = observer; }

  void AppendHeader(const char* name, const char* value);
  size_t header_count() const { return headers_.size(); }

  // Unregistered already. Frees now, or when the outermost callback of this client returns.
  void Destroy();

  // ConnectionSink
  void OnOpen(const OpenInfo& info) override;
  uint8_t* ReserveMessage(size_t length) override;
  void OnMessage(const uint8_t* data, size_t length, bool binary, std::vector<uint8_t>* owned) override;
  void OnError(ConnectionError error, const std::string& message, const HttpResponse* response,
               const ConnectFailure* failure) override;
  void OnClose(const CloseInfo& info) override;
  void OnFinished() override;
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
  struct HeaderCopy {
    OH_NetStack_WebsocketClient_Slist node{};
    std::string name;
    std::string value;
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

// The registry of live clients (any thread).
// Adds the client unless the limit is reached (false: the caller destroys it).
bool RegisterClient(ClientRecord* record);
void UnregisterClient(const void* client);
// The record of a registered client, or nullptr.
ClientRecord* FindClient(const void* client);
// Sets how many clients may exist at once; returns the previous limit.
uint32_t SetClientLimit(uint32_t limit);
size_t RegisteredClientCount();

}  // namespace netstack
