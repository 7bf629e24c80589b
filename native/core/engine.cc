#include "engine.h"

#include <libwebsockets.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <unordered_set>
#include <vector>

#include "connection.h"
#include "connection_sink.h"
#include "tls_profile.h"

namespace netstack {
namespace {

// A vhost created without http_proxy_address takes the proxy from $http_proxy (lws's
// lws_create_vhost reads getenv("http_proxy")): every connection would silently go through
// it, whatever the caller asked for. This one parses as "no address, port 0": no proxy.
constexpr char kNoProxy[] = ":0";

std::atomic<size_t> g_live_engines{0};

int EngineLwsCallback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  if (static_cast<int>(reason) == Connection::kLwsReceivePing) {
    return user ? static_cast<Connection*>(user)->HandleLwsEvent(wsi, Connection::kLwsReceivePing, in, len) : 0;
  }
  switch (reason) {
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS: {
      auto* engine = static_cast<Engine*>(lws_context_user(lws_get_context(wsi)));
      if (engine) engine->LoadTrustStore(user);
      return 0;
    }
    case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION: {
      // Here `user` is the X509_STORE_CTX and `len` preverify_ok; 0 leaves lws's verdict.
      auto* connection = static_cast<Connection*>(lws_wsi_user(wsi));
      if (connection && len == 0) connection->NoteCertificateRefused(static_cast<x509_store_ctx_st*>(user));
      return 0;
    }
    case LWS_CALLBACK_CONNECTING:
    case LWS_CALLBACK_WSI_CREATE:
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
    case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH:
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
    case LWS_CALLBACK_CLIENT_RECEIVE:
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
    case LWS_CALLBACK_CLIENT_WRITEABLE:
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
    case LWS_CALLBACK_CLIENT_CLOSED:
    case LWS_CALLBACK_WSI_DESTROY:
      if (!user) return 0;
      return static_cast<Connection*>(user)->HandleLwsEvent(wsi, reason, in, len);
    default:
      return 0;
  }
}

const lws_protocols kProtocols[] = {
    // rx_buffer_size: how much lws hands us per RECEIVE callback. tx_packet_size: the most
    // lws writes per send(); lws's default (the rx_buffer_size) sent a 16 MiB message 64
    // KiB per loop wake-up.
    {"netstack-websocket", EngineLwsCallback, 0, 64 * 1024, 0, nullptr, 4 * 1024 * 1024},
    LWS_PROTOCOL_LIST_TERM,
};

void ConfigureLwsLogging() {
  // lws logs process-wide to stderr; stay silent unless asked (errors reach users
  // through the API). NETSTACK_WS_LWS_LOG=<lws log bitmask> turns it on.
  static std::atomic<bool> done{false};
  if (done.exchange(true)) return;
  const char* level = std::getenv("NETSTACK_WS_LWS_LOG");
  lws_set_log_level(level ? std::atoi(level) : 0, nullptr);
}

void CollectHandles(uv_handle_t* handle, void* arg) {
  static_cast<std::unordered_set<uv_handle_t*>*>(arg)->insert(handle);
}

struct DeferredTask {
  uv_timer_t timer;
  std::function<void()> fn;
};

}  // namespace

size_t Engine::LiveCount() { return g_live_engines.load(); }

Engine::Engine(uv_loop_t* loop, EngineConfig config)
    : loop_(loop), config_(std::move(config)), lingering_(loop, [this] {
        if (shutting_down_) MaybeFinishShutdown();
      }) {
  ++g_live_engines;
}

Engine::~Engine() {
  // Normally Shutdown() has finished; this is the last resort for an engine that
  // never started one (lws then frees what it can).
  connections_.clear();
  turn_batcher_.reset();
  idle_sweep_.reset();
  if (context_) lws_context_destroy(context_);
  --g_live_engines;
}

std::unique_ptr<Engine> Engine::Create(uv_loop_t* loop, EngineConfig config) {
  std::unique_ptr<Engine> engine(new Engine(loop, std::move(config)));
  if (!engine->Init()) return nullptr;
  return engine;
}

bool Engine::Init() {
  ConfigureLwsLogging();

  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  void* foreign_loops[1] = {loop_};
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = kProtocols;
  // DISABLE_OS_CA_CERTS: lws would load the system's CA file into every client SSL_CTX it
  // makes (tens of ms on the loop each time); each gets the trust store we choose instead.
  // ADOPT_APPLY_LISTEN_ACCEPT_CONFIG: its only effect on a client-only context (no listen
  // role is named) is that lws makes no client SSL_CTX for the context's own vhost, which
  // carries ws:// only (every wss:// profile has a vhost of its own): about a millisecond
  // of OpenSSL set-up less on the first connect.
  info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
                 LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_JUST_USE_RAW_ORIGIN |
                 LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS | LWS_SERVER_OPTION_ADOPT_APPLY_LISTEN_ACCEPT_CONFIG;
  info.foreign_loops = foreign_loops;
  info.user = this;
  info.pcontext = &context_;
  info.timeout_secs = kLwsStepTimeoutSeconds;
  // lws reads from a socket into this per-thread buffer: at lws's default of 4 KiB a
  // 1 MiB message took about 260 recv() calls and as many loop wake-ups.
  info.pt_serv_buf_size = 256 * 1024;
  info.http_proxy_address = kNoProxy;  // the default vhost: never $http_proxy

  std::unordered_set<uv_handle_t*> before;
  if (config_.unref_idle_handles) uv_walk(loop_, CollectHandles, &before);

  context_ = lws_create_context(&info);
  if (!context_) return false;

  turn_batcher_ = std::make_unique<TurnBatcher>(loop_);
  // A connection is quiet after a whole tick without input: it frees its buffers between
  // 5 and 10 s after its last message.
  idle_sweep_ = std::make_unique<IdleSweep>(loop_, kIdleSweepIntervalMs, [this] {
    size_t freed = 0;
    for (auto& entry : connections_) freed += entry.first->ReleaseIdleBuffers();
    return freed;
  });

  if (config_.unref_idle_handles) {
    // lws puts its own ref'd handles (idle, timer, event pipe) on the loop; they
    // must not keep Node alive. Sockets of connections stay ref'd.
    std::unordered_set<uv_handle_t*> after;
    uv_walk(loop_, CollectHandles, &after);
    for (uv_handle_t* handle : after) {
      if (!before.count(handle)) uv_unref(handle);
    }
  }
  return true;
}

void Engine::LoadTrustStore(void* ssl_ctx_ptr) {
  auto* ssl_ctx = static_cast<ssl_ctx_st*>(ssl_ctx_ptr);
  if (trust_being_loaded_) {
    trust_being_loaded_->UseIn(ssl_ctx);
  } else {
    // The context's own vhost (ws:// only): it trusts nothing, not even a directory lws guessed.
    TrustNothing(ssl_ctx);
  }
  if (profile_being_loaded_ && profile_being_loaded_->tls13_only) SSL_CTX_set_min_proto_version(ssl_ctx, TLS1_3_VERSION);
  if (profile_being_loaded_) profile_error_ = UseClientCertificate(ssl_ctx, *profile_being_loaded_);
}

TrustStoreCache::Ready Engine::LoadedTrust(const TlsProfile& tls) {
  return tls.ca.empty() ? default_trust_ : TrustStoreCache::Find(tls.ca);
}

void Engine::LoadTrust(const TlsProfile& tls, std::function<void(TrustStoreCache::Ready)> done) {
  if (!tls.ca.empty()) {
    if (!TrustStoreCache::Load(loop_, tls.ca, done)) Defer([done] { done(nullptr); });
    return;
  }
  default_trust_waiters_.push_back(std::move(done));
  if (default_trust_loading_) return;
  default_trust_loading_ = true;
  // Every waiter is told, also while the engine shuts down (each holds its connection).
  auto parsed = [this](TrustStoreCache::Ready ready) {
    default_trust_loading_ = false;
    default_trust_ = ready;
    std::vector<std::function<void(TrustStoreCache::Ready)>> waiters;
    waiters.swap(default_trust_waiters_);
    for (auto& waiter : waiters) waiter(ready);
  };
  auto with_pem = [this, parsed](std::string pem) {
    if (shutting_down_) {  // nobody will connect: tell the waiters without parsing anything
      Defer([parsed] { parsed(nullptr); });
      return;
    }
    TrustStoreCache::Ready known = TrustStoreCache::Find(pem);  // parsed already (another engine)
    if (known) {
      Defer([parsed, known] { parsed(known); });
    } else if (!TrustStoreCache::Load(loop_, pem, parsed)) {
      Defer([parsed] { parsed(nullptr); });
    }
  };
  if (config_.trusted_ca_pem) {
    config_.trusted_ca_pem(with_pem);
  } else {
    with_pem(std::string());
  }
}

// A vhost made for one profile, and what lws keeps pointers to while it lives.
struct Engine::ProfileVhost {
  lws_vhost* vhost = nullptr;
  TrustStoreCache::Ready trust;  // shared with its SSL_CTX; keeps the cache's entry
  std::string deflate_offer;
  std::string proxy;
  lws_extension extensions[2] = {};
};

lws_vhost* Engine::VhostFor(const VhostProfile& profile, const TrustStoreCache::Ready& trust, std::string* error) {
  std::string key = profile.CacheKey();
  auto found = vhosts_.find(key);
  if (found != vhosts_.end()) return found->second->vhost;

  auto entry = std::make_unique<ProfileVhost>();
  entry->deflate_offer = profile.deflate_offer;
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  std::string name = "profile-" + std::to_string(vhosts_.size() + 1);
  info.vhost_name = name.c_str();
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = kProtocols;
  // Only a wss:// vhost gets a client SSL_CTX (made by lws, with our trust store).
  info.options = LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
  if (profile.uses_tls) {
    if (!trust) {
      *error = "the trusted certificates could not be loaded";
      return nullptr;
    }
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    entry->trust = trust;
  }
  if (!profile.proxy.empty()) {
    entry->proxy = profile.proxy;
    // "[user:password@]ip:port": lws_set_proxy() splits it (and keeps the credentials as a
    // Basic token for Proxy-Authorization).
    info.http_proxy_address = entry->proxy.c_str();
  } else {
    info.http_proxy_address = kNoProxy;
  }
  if (!entry->deflate_offer.empty()) {
    entry->extensions[0] = {"permessage-deflate", lws_extension_callback_pm_deflate, entry->deflate_offer.c_str()};
    info.extensions = entry->extensions;
  }
  profile_being_loaded_ = &profile.tls;
  trust_being_loaded_ = entry->trust.get();
  profile_error_.clear();
  lws_vhost* vhost = lws_create_vhost(context_, &info);
  profile_being_loaded_ = nullptr;
  trust_being_loaded_ = nullptr;
  if (!vhost || !profile_error_.empty()) {
    *error = profile_error_.empty() ? "the TLS settings could not be applied" : profile_error_;
    // A vhost that failed its TLS set-up is left to lws; it is never used.
    return nullptr;
  }
  entry->vhost = vhost;
  vhosts_.emplace(std::move(key), std::move(entry));
  return vhost;
}

Connection* Engine::Connect(ConnectRequest request, ConnectionSink* sink) {
  if (shutting_down_ || !context_) return nullptr;
  auto connection = std::make_unique<Connection>(*this, std::move(request), sink);
  Connection* raw = connection.get();
  connections_.emplace(raw, std::move(connection));
  raw->Start();
  return raw;
}

bool Engine::NextMask(uint8_t mask[4]) {
  if (mask_pool_left_ < 4) {
    if (!context_ || lws_get_random(context_, mask_pool_, sizeof mask_pool_) != sizeof mask_pool_) return false;
    mask_pool_left_ = sizeof mask_pool_;
  }
  std::memcpy(mask, mask_pool_ + sizeof mask_pool_ - mask_pool_left_, 4);
  mask_pool_left_ -= 4;
  return true;
}

void Engine::Release(Connection* connection) {
  connections_.erase(connection);
  if (shutting_down_) MaybeFinishShutdown();
}

void Engine::Defer(std::function<void()> fn) {
  auto* task = new DeferredTask{};
  task->fn = std::move(fn);
  uv_timer_init(loop_, &task->timer);
  task->timer.data = task;
  uv_timer_start(
      &task->timer,
      [](uv_timer_t* timer) {
        auto* task = static_cast<DeferredTask*>(timer->data);
        std::function<void()> fn = std::move(task->fn);
        uv_close(reinterpret_cast<uv_handle_t*>(timer),
                 [](uv_handle_t* handle) { delete static_cast<DeferredTask*>(handle->data); });
        fn();
      },
      0, 0);
}

void Engine::Shutdown(std::function<void()> done) {
  if (shutting_down_) return;
  shutting_down_ = true;
  shutdown_done_ = std::move(done);

  std::vector<Connection*> live;
  live.reserve(connections_.size());
  for (auto& entry : connections_) live.push_back(entry.first);
  for (Connection* connection : live) connection->AbortForShutdown();
  turn_batcher_.reset();  // every connection dropped its batch above
  idle_sweep_.reset();
  lingering_.CloseAll();

  // lws's destroy on a foreign loop is two-phase: it finishes by itself once its
  // handles have closed, and then clears context_ through info.pcontext.
  if (context_) lws_context_destroy(context_);

  // An idle handle keeps the loop turning (without blocking in poll) until then.
  shutdown_check_ = new uv_idle_t;
  uv_idle_init(loop_, shutdown_check_);
  shutdown_check_->data = this;
  uv_idle_start(shutdown_check_, [](uv_idle_t* idle) {
    auto* engine = static_cast<Engine*>(idle->data);
    // Each call advances lws's staged destroy once its handles have closed; the last
    // one frees the context and clears context_.
    if (engine->context_) lws_context_destroy(engine->context_);
    engine->MaybeFinishShutdown();
  });
}

void Engine::MaybeFinishShutdown() {
  if (!shutdown_check_ || context_ || !connections_.empty() || !lingering_.empty()) return;
  uv_idle_t* idle = shutdown_check_;
  shutdown_check_ = nullptr;
  uv_idle_stop(idle);
  // The done callback may delete this engine: run it from the handle's close callback,
  // after which nothing of the engine is touched.
  idle->data = new std::function<void()>(std::move(shutdown_done_));
  uv_close(reinterpret_cast<uv_handle_t*>(idle), [](uv_handle_t* handle) {
    auto* done = static_cast<std::function<void()>*>(handle->data);
    delete reinterpret_cast<uv_idle_t*>(handle);
    if (*done) (*done)();
    delete done;
  });
}

}  // namespace netstack
