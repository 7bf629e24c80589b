// An Engine is one libwebsockets context running on one libuv loop (Node's loop in
// the addon, a library-owned loop in libnet_websocket.so). It owns every Connection
// made on it. Every method must be called on the loop's thread.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "socket_linger.h"
#include "trust_store.h"
#include "spare_buffer.h"
#include "idle_sweep.h"
#include "turn_batcher.h"

struct lws;
struct lws_context;
struct lws_vhost;

namespace netstack {

class Connection;
class ConnectionSink;
struct ConnectRequest;
struct TlsProfile;
struct VhostProfile;

struct EngineConfig {
  // The PEM certificates trusted for wss:// (Node's store in the addon), asked for once, on
  // the first wss:// connect without a `ca` of its own: call `done` with them, on the loop
  // thread, later or at once. Unset, or an empty bundle: the OpenSSL default paths of the
  // system (libnet_websocket.so).
  std::function<void(std::function<void(std::string)> done)> trusted_ca_pem;
  // Let the loop exit while the engine only idles (the addon: Node must be able to exit).
  bool unref_idle_handles = false;
};

class Engine {
 public:
  // lws's own limit for each step of getting connected (its context's timeout_secs).
  static constexpr uint32_t kLwsStepTimeoutSeconds = 20;
  // How often quiet connections are asked to free their receive buffers (IdleSweep).
  static constexpr uint64_t kIdleSweepIntervalMs = 5000;

  // nullptr if lws could not create its context.
  static std::unique_ptr<Engine> Create(uv_loop_t* loop, EngineConfig config);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The connection belongs to the engine; it stays valid until its sink got
  // OnFinished/OnEngineShutdown, or, once Detach()ed, must not be used any more.
  Connection* Connect(ConnectRequest request, ConnectionSink* sink);

  // Detaches every connection, destroys the lws context and calls done() once every
  // handle on the loop is closed. After this call the engine accepts no connection.
  void Shutdown(std::function<void()> done);

  uv_loop_t* loop() const { return loop_; }
  lws_context* context() const { return context_; }
  bool shutting_down() const { return shutting_down_; }

  // Runs fn on a later turn of the loop (never re-entrantly from an lws callback).
  void Defer(std::function<void()> fn);

  // Called by Connection when it has nothing left on the loop.
  void Release(Connection* connection);

  static size_t LiveCount();

  // Batches of small frames written once per loop turn (nullptr once shutting down).
  TurnBatcher* turn_batcher() const { return turn_batcher_.get(); }

  // Where the sockets of ended connections linger until the peer closes too.
  LingeringSockets& lingering_sockets() { return lingering_; }

  // The buffer of the last large message sent, for the next one.
  SpareBuffer& spare_send_buffer() { return spare_send_buffer_; }

  // A fresh 4-byte masking key for a frame we build ourselves; false if no random bytes
  // could be had (then the frame must go through lws, which fails the write).
  bool NextMask(uint8_t mask[4]);

  // lws made a client SSL_CTX (an SSL_CTX*): give it its trust store and client certificate.
  void LoadTrustStore(void* ssl_ctx);

  // The trust store of a wss:// connection with these settings (its `ca`, else the engine's
  // default) if it is ready, else nullptr: then LoadTrust.
  TrustStoreCache::Ready LoadedTrust(const TlsProfile& tls);
  // Gets it ready off the loop thread (the default bundle is asked for once, parsed once)
  // and calls done on the loop thread, never from inside this call (nullptr: no store).
  void LoadTrust(const TlsProfile& tls, std::function<void(TrustStoreCache::Ready)> done);

  // The lws vhost for this profile: for wss://, its client SSL_CTX trusts `trust` and carries
  // the profile's client certificate; its extensions make the deflate offer (made once per
  // distinct profile; `trust` is only read then). nullptr with *error set if they cannot be used.
  lws_vhost* VhostFor(const VhostProfile& profile, const TrustStoreCache::Ready& trust, std::string* error);

 private:
  explicit Engine(uv_loop_t* loop, EngineConfig config);
  bool Init();
  void MaybeFinishShutdown();

  uv_loop_t* loop_;
  EngineConfig config_;
  struct ProfileVhost;
  std::unordered_map<std::string, std::unique_ptr<ProfileVhost>> vhosts_;
  const TlsProfile* profile_being_loaded_ = nullptr;  // set while lws builds a vhost's SSL_CTX
  const TrustStore* trust_being_loaded_ = nullptr;    // the trust store for that SSL_CTX
  std::string profile_error_;
  TrustStoreCache::Ready default_trust_;  // parsed once; kept while the engine lives
  bool default_trust_loading_ = false;
  std::vector<std::function<void(TrustStoreCache::Ready)>> default_trust_waiters_;
  lws_context* context_ = nullptr;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
  bool shutting_down_ = false;
  std::function<void()> shutdown_done_;
  uv_idle_t* shutdown_check_ = nullptr;  // turns the loop until lws has finished destroying
  std::unique_ptr<TurnBatcher> turn_batcher_;
  std::unique_ptr<IdleSweep> idle_sweep_;  // frees the receive buffers of quiet connections
  LingeringSockets lingering_;  // the shutdown waits until none is left
  // Random bytes for masking keys, taken from lws's generator 1 KiB at a time.
  uint8_t mask_pool_[1024];
  size_t mask_pool_left_ = 0;
  SpareBuffer spare_send_buffer_;
};

}  // namespace netstack
