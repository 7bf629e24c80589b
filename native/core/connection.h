// One WebSocket client connection: name resolution off the loop thread, the lws
// client handshake, a queue of outgoing messages, reassembly of incoming ones and
// the closing handshake. Owned by its Engine.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "url.h"

struct lws;

namespace netstack {

class Engine;
class ConnectionSink;

struct ConnectRequest {
  WebSocketUrl url;
  std::vector<std::pair<std::string, std::string>> headers;  // extra handshake headers
  std::string origin;                 // "" sends no Origin header
  std::string protocols;              // comma-separated subprotocols, "" for none
  bool verify_tls = true;             // certificate and host name checks for wss
  size_t max_message_bytes = 100u * 1024 * 1024;
};

class Connection {
 public:
  enum class State { kResolving, kConnecting, kOpen, kClosing, kClosed };

  Connection(Engine& engine, ConnectRequest request, ConnectionSink* sink);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Start();

  // Copies the payload into the send queue; written once the connection is open.
  // False if the connection can no longer send.
  bool Send(const uint8_t* data, size_t length, bool binary);

  // Starts the closing handshake after the queued messages (at once if not open yet).
  void Close(uint16_t code, std::string reason);

  // No further sink calls; the connection closes (1001) and frees itself.
  void Detach();

  // The engine is being destroyed: tell the sink, drop it, cancel what is pending.
  void AbortForShutdown();

  State state() const { return state_; }
  size_t buffered_bytes() const { return queued_bytes_; }
  size_t queued_messages() const { return send_queue_.size(); }

  // Dispatch of the lws protocol callback for this connection's wsi.
  int HandleLwsEvent(lws* wsi, int reason, void* in, size_t len);

  static size_t LiveCount();

 private:
  struct OutgoingMessage {
    std::vector<uint8_t> bytes;  // LWS_PRE bytes of headroom, then the payload
    bool binary;
  };

  static void OnResolved(uv_getaddrinfo_t* req, int status, struct addrinfo* res);
  void ConnectToNextAddress();
  void Fail(const std::string& message);
  int WriteQueued(lws* wsi);
  int Receive(lws* wsi, const uint8_t* data, size_t len);
  void Finish();
  void ReleaseIfDone();
  void RequestWritable();
  std::string DescribeFailure() const;

  Engine& engine_;
  ConnectRequest request_;
  ConnectionSink* sink_;
  State state_ = State::kResolving;
  lws* wsi_ = nullptr;

  uv_getaddrinfo_t* resolve_req_ = nullptr;  // owned; freed in OnResolved
  std::vector<std::string> addresses_;
  size_t next_address_ = 0;
  std::string last_error_;
  int http_status_ = 0;
  bool retry_scheduled_ = false;
  bool in_connect_call_ = false;  // lws may report errors inside lws_client_connect_via_info
  bool aborted_ = false;          // the engine is shutting down

  std::deque<OutgoingMessage> send_queue_;
  size_t queued_bytes_ = 0;

  std::vector<uint8_t> rx_message_;
  bool rx_binary_ = false;
  bool rx_in_message_ = false;

  bool close_requested_ = false;
  uint16_t close_code_ = 1000;
  std::string close_reason_;
  bool peer_closed_ = false;
  uint16_t peer_close_code_ = 1005;
  std::string peer_close_reason_;
  bool close_sent_ = false;
  bool finished_ = false;
};

}  // namespace netstack
