// One WebSocket client connection: name resolution off the loop thread, the lws
// client handshake, a queue of outgoing messages, reassembly of incoming ones and
// the closing handshake. Owned by its Engine.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "connection_sink.h"
#include "lazy_queue.h"
#include "uninitialized_allocator.h"
#include "turn_batcher.h"
#include "url.h"

struct lws;
struct lws_retry_bo;

namespace netstack {

class Engine;
class ConnectionSink;

// TLS settings of a connection beyond verify on/off (PEM strings; empty: unset).
struct TlsProfile {
  std::string ca;          // trusted CAs; empty: the engine's default store
  std::string cert;        // client certificate chain
  std::string key;         // client private key
  std::string passphrase;  // for an encrypted key
  bool tls13_only = false; // refuse TLS versions before 1.3 (ArkTS minSupportTlsProtocol)

  bool IsDefault() const { return ca.empty() && cert.empty() && key.empty() && !tls13_only; }
  std::string CacheKey() const {
    return ca + '\0' + cert + '\0' + key + '\0' + passphrase + '\0' + (tls13_only ? "tls13" : "");
  }
};

// Everything of a connection that lws keeps per vhost: connections that share these
// share a vhost (and its SSL_CTX).
struct VhostProfile {
  TlsProfile tls;
  std::string deflate_offer;  // permessage-deflate offer with its parameters; "" = off
  // An HTTP proxy (CONNECT) in lws's form: "ip:port" or "user:password@ip:port" (lws sends
  // the credentials as Proxy-Authorization: Basic); "" = direct.
  std::string proxy;

  bool IsDefault() const { return tls.IsDefault() && deflate_offer.empty() && proxy.empty(); }
  std::string CacheKey() const { return tls.CacheKey() + '\0' + deflate_offer + '\0' + proxy; }
};

struct ProxyTarget {
  std::string host;  // "" = no proxy
  uint16_t port = 0;
  std::string username;  // Basic proxy authentication when not empty (no ':' in it)
  std::string password;

  // lws keeps "user:password" in a 96-byte buffer (lws_set_proxy); longer ones would be
  // dropped with the proxy itself, so they are refused before.
  static constexpr size_t kMaxCredentialBytes = 95;
  // "" if the credentials can be used, else why not (never quoting them).
  std::string CheckCredentials() const;
};

struct ConnectRequest {
  WebSocketUrl url;
  std::vector<std::pair<std::string, std::string>> headers;  // extra handshake headers
  std::string origin;                 // "" sends no Origin header
  std::string protocols;              // comma-separated subprotocols, "" for none
  bool verify_tls = true;             // certificate and host name checks for wss
  std::string servername;             // SNI and the name the certificate must match; "" = URL's host
  VhostProfile vhost;                 // TLS material (wss only) and permessage-deflate
  ProxyTarget proxy;                  // tunnel through this HTTP proxy (CONNECT)
  uint16_t ping_interval_s = 0;       // idle time before lws sends a ping (0: never)
  uint16_t pong_timeout_s = 0;        // idle time after which the connection is dropped (0: never)
  size_t max_message_bytes = 100u * 1024 * 1024;  // 0: no limit
  size_t compress_threshold = 0;      // permessage-deflate: smaller messages go uncompressed
  uint32_t handshake_timeout_ms = 0;  // 0: lws's own timeouts only
  bool auto_pong = true;              // false: pings are reported (sink OnPing), not answered
};

class Connection : private TurnBatcher::Client {
 public:
  enum class State { kResolving, kConnecting, kOpen, kClosing, kClosed };

  Connection(Engine& engine, ConnectRequest request, ConnectionSink* sink);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Start();

  // Copies the payload and sends it, at once when nothing is queued before it, else once
  // the socket can take it (also before open: then once open). Returns the message's id
  // (> 0; ids grow by one), or 0 if the connection can no longer send. With notify,
  // the sink's OnSent reports when it has left the process.
  uint64_t Send(const uint8_t* data, size_t length, bool binary, bool notify = false);
  // The same in two steps, for callers that fill the payload themselves (e.g. encode a
  // string straight into it): BeginSend returns `length` bytes to fill, plus one spare
  // byte for a terminating NUL that is not sent (nullptr if the connection can no longer
  // send); EndSend hands them on. Nothing else in between.
  uint8_t* BeginSend(size_t length, bool binary, bool notify, uint64_t* id);
  void EndSend();

  // A ping with up to 125 bytes of payload, after the queued messages.
  bool Ping(const uint8_t* data, size_t length);
  // A pong (up to 125 bytes), after the queued messages: for auto_pong = false.
  bool Pong(const uint8_t* data, size_t length);

  // Drops the connection without a closing handshake (OnClose 1006 follows).
  void Terminate();

  // Starts the closing handshake after the queued messages (at once if not open yet).
  void Close(uint16_t code, std::string reason);

  // No further sink calls; the connection closes (1001) and frees itself.
  void Detach();

  // The engine is being destroyed: tell the sink, drop it, cancel what is pending.
  void AbortForShutdown();

  State state() const { return state_; }
  // Bytes not yet handed to the kernel: queued, plus a written frame lws still holds part
  // of, or a large one we are still writing (all of it until its last byte is out, as it
  // is for a frame lws holds part of).
  size_t buffered_bytes() const {
    return queued_bytes_ + unflushed_bytes_ + batch_payload_bytes_ + (stream_.id ? stream_.payload_length : 0);
  }
  size_t queued_messages() const { return send_queue_.size(); }

  // Dispatch of the lws protocol callback for this connection's wsi.
  int HandleLwsEvent(lws* wsi, int reason, void* in, size_t len);

  static size_t LiveCount();

  static constexpr size_t LWS_PRE_BYTES = 16;  // lws's LWS_PRE (checked in connection.cc)
  // The callback reason of a received ping (in, len: its payload), added by
  // patches/lws/0081 above lws's own reasons.
  static constexpr int kLwsReceivePing = 1101;

 private:
  enum class FrameKind : uint8_t { kText, kBinary, kPing, kPong };
  struct OutgoingMessage {
    // LWS_PRE bytes of headroom (lws writes the frame header there), then the payload,
    // which lws masks in place. Not zero-filled: every payload byte is written first.
    std::unique_ptr<uint8_t[]> bytes;
    size_t length;  // of the payload
    FrameKind kind;
    uint64_t id;

    uint8_t* payload() { return bytes.get() + LWS_PRE_BYTES; }
  };


  static void OnResolved(uv_getaddrinfo_t* req, int status, struct addrinfo* res);
  void AfterResolve(int status);
  void ConnectToNextAddress();
  void Fail(const std::string& message);
  bool QueueControl(FrameKind kind, const uint8_t* data, size_t length);
  int WriteQueued(lws* wsi);
  void ReportSent();
  void SetCompression(lws* wsi, size_t length);
  bool CompressionApplies(size_t length) const;
  bool CanBatch(size_t length) const;
  bool CanStream(size_t length) const;
  // Takes `storage` (LWS_PRE headroom + payload) as the stream; false (storage left as
  // it was): no mask to be had.
  bool PrepareStream(std::unique_ptr<uint8_t[]>&& storage, size_t length, FrameKind kind, uint64_t id);
  void StartStream();
  bool ContinueStream();
  uint8_t* AppendToBatch(FrameKind kind, size_t length, uint64_t id);
  void CommitBatchedFrame();
  bool WriteBatch();
  bool NoteWritten(uint64_t id, size_t payload_bytes);
  void AwaitWriteableIfNeeded();
  void FlushBatch();
  void FlushScheduledBatch() override;
  void DropBatch();
  int Receive(lws* wsi, const uint8_t* data, size_t len);
  void Finish();
  void ReleaseIfDone();
  void RequestWritable();
  bool CanWriteNow() const;
  void KillSoon();
  std::string DescribeFailure() const;
  void DescribeProxyFailure();
  std::string CheckSubprotocol() const;
  void CaptureResponse(lws* wsi);
  void ReleaseHandshakeData();
  void StartHandshakeTimer();
  void StopHandshakeTimer();

  Engine& engine_;
  // Only the handshake (and a retry on the next address) reads it: freed once open, as an
  // open connection may idle for hours, thousands of them. What later code needs is below.
  std::unique_ptr<ConnectRequest> request_;
  const size_t max_message_bytes_;  // request_->max_message_bytes
  const size_t compress_threshold_;  // request_->compress_threshold
  ConnectionSink* sink_;
  State state_ = State::kResolving;
  lws* wsi_ = nullptr;

  uv_getaddrinfo_t* resolve_req_ = nullptr;  // owned; freed in OnResolved
  std::vector<std::string> addresses_;
  size_t next_address_ = 0;
  std::string last_error_;
  std::string filter_error_;  // why we refused the server's handshake response
  bool proxy_refused_ = false;  // the proxy answered CONNECT with something other than 200
  HttpResponse response_;
  bool have_response_ = false;
  std::string protocol_;
  std::string extensions_;
  bool compression_off_ = false;  // what lws_netstack_set_no_compress was last told
  uv_timer_t* handshake_timer_ = nullptr;  // owned; freed in its close callback
  std::unique_ptr<lws_retry_bo> idle_policy_;  // keepalive; lws keeps a pointer to it
  bool timer_closing_ = false;
  bool retry_scheduled_ = false;
  bool in_connect_call_ = false;  // lws may report errors inside lws_client_connect_via_info
  lws* attempt_wsi_ = nullptr;    // the wsi lws made inside that call, if it reported one
  std::vector<lws*> failed_attempt_wsis_;  // failed inside the call; their WSI_DESTROY is due
  bool aborted_ = false;          // the engine is shutting down
  bool terminated_ = false;       // Terminate(): no retry, no more waiting

  LazyQueue<OutgoingMessage> send_queue_;
  size_t queued_bytes_ = 0;
  size_t unflushed_bytes_ = 0;  // the last written frame, while lws holds part of it
  uint64_t next_message_id_ = 1;
  uint64_t notify_up_to_ = 0;      // the last id whose sending someone waits for
  struct DirectFrame {
    FrameKind kind = FrameKind::kText;
    uint64_t id = 0;  // 0: none pending
    size_t length = 0;
  };
  DirectFrame direct_;                  // between BeginSend and EndSend
  // Small frames we framed ourselves, written together once per loop turn (TurnBatcher).
  std::vector<uint8_t, UninitializedAllocator<uint8_t>> batch_;
  size_t batch_payload_bytes_ = 0;
  uint64_t batch_last_id_ = 0;
  bool batch_scheduled_ = false;
  struct BatchedFrame {  // between BeginSend and EndSend
    size_t payload_at = 0;
    size_t length = 0;
    uint8_t mask[4] = {};
    bool masked = false;  // the payload was masked as it was copied in
    uint64_t id = 0;      // 0: none pending
  };
  BatchedFrame batching_;
  // A message too large to batch, framed by us and handed to lws a piece at a time: lws
  // copies at most the part of one piece the socket does not take, never the rest of the
  // message (patches/lws/0017 keeps lws's own pongs, pings and closes out of it).
  struct StreamedFrame {
    std::unique_ptr<uint8_t[]> storage;  // LWS_PRE headroom (the header goes there) + payload
    uint8_t* frame = nullptr;            // header + masked payload, once started
    size_t frame_size = 0;
    size_t handed = 0;                   // bytes of the frame handed to lws
    size_t payload_length = 0;
    FrameKind kind = FrameKind::kBinary;
    uint8_t mask[4] = {};
    bool masked = false;                 // the payload was masked as it was copied in
    uint64_t id = 0;                     // 0: none

    bool preparing() const { return id && !frame; }  // between BeginSend and EndSend
  };
  StreamedFrame stream_;
  std::vector<uint8_t> direct_buffer_;  // LWS_PRE headroom + payload, reused
  // permessage-deflate reads a message's payload from the caller's buffer until all of it
  // is compressed, over several POLLOUTs when it does not fit one step: the buffer of the
  // last written message is kept here until lws calls WRITEABLE again (it does not while
  // that message is still draining).
  std::vector<uint8_t> draining_direct_buffer_;
  std::unique_ptr<uint8_t[]> draining_queued_bytes_;
  uint64_t last_written_id_ = 0;   // handed to lws (maybe still in lws's own buffer)
  uint64_t last_reported_sent_ = 0;

  std::vector<uint8_t> rx_message_;
  uint8_t* rx_sink_room_ = nullptr;  // ConnectionSink::ReserveMessage, while it is being filled
  size_t rx_sink_room_size_ = 0;
  size_t rx_sink_room_filled_ = 0;
  bool rx_binary_ = false;
  bool rx_in_message_ = false;

  bool close_requested_ = false;
  uint16_t close_code_ = 1000;
  std::string close_reason_;
  bool peer_closed_ = false;
  uint16_t peer_close_code_ = 1005;
  std::string peer_close_reason_;
  bool close_sent_ = false;
  uint16_t failure_code_ = 0;  // we failed the connection with this close code (reported once)
  bool finished_ = false;
};

}  // namespace netstack
