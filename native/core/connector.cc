#include "connector.h"

#include <libwebsockets.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "connect_failure.h"
#include "engine.h"
#include "extension_check.h"
#include "handshake_response.h"
#include "lws_netstack.h"

namespace netstack {
namespace {

// The default limit for the opening handshake when the caller sets none (lws's own
// per-step limits are as long; ours covers the whole handshake and says so).
constexpr uint32_t kDefaultHandshakeTimeoutMs = 20000;

// `host` as a lookup would give it back when it is an IP address literal; "" for a name
// (and for an IPv6 literal with a zone, which only the resolver maps to its interface).
std::string AddressLiteral(const std::string& host) {
  if (host.find('%') != std::string::npos) return {};
  unsigned char address[16];
  char text[64] = {0};
  for (int family : {AF_INET, AF_INET6}) {
    if (uv_inet_pton(family, host.c_str(), address) == 0 && uv_inet_ntop(family, address, text, sizeof text) == 0) {
      return text;
    }
  }
  return {};
}

}  // namespace

Connector::Connector(Engine& engine, ConnectRequest request, ConnectorOwner& owner, LoopHolds& holds, void* lws_user,
                     lws** socket)
    : engine_(engine),
      owner_(owner),
      holds_(holds),
      lws_user_(lws_user),
      socket_(socket),
      handshake_(std::make_unique<Handshake>(std::move(request))) {}

Connector::~Connector() = default;

// After ReleaseHandshakeData the accessors answer with empties (nothing reads them then).
namespace {
const ConnectFailure kNoFailure;
const HttpResponse kNoResponse;
const std::string kNone;
}  // namespace

const ConnectFailure& Connector::failure() const { return handshake_ ? handshake_->failure : kNoFailure; }
const HttpResponse& Connector::handshake_response() const { return handshake_ ? handshake_->response : kNoResponse; }
const std::string& Connector::protocol() const { return handshake_ ? handshake_->protocol : kNone; }
const std::string& Connector::extensions() const { return handshake_ ? handshake_->extensions : kNone; }

const std::string& Connector::LookupName() const {
  // Through a proxy, only the proxy's name is resolved here; the proxy resolves the target.
  return handshake_->request.proxy.host.empty() ? handshake_->request.url.host : handshake_->request.proxy.host;
}

template <typename Step>
void Connector::Defer(Step step) {
  holds_.Set(Hold::kDeferredStep, true);
  engine_.Defer([this, step] {
    holds_.Set(Hold::kDeferredStep, false);
    step();
  });
}

void Connector::Start() {
  if (handshake_->request.url.tls) LoadTrust();
  ++handshake_->pending_preparations;
  if (!handshake_->request.url.unix_socket.empty()) {
    // A unix socket: nothing to resolve (and no proxy). Connect on a later turn of the
    // loop, as after a name lookup: Start() runs inside the caller's Connect.
    handshake_->addresses.push_back("+" + handshake_->request.url.unix_socket);  // lws's mark for a unix socket
    Defer([this] { AfterPreparation(); });
    return;
  }
  handshake_->failure.step = ConnectFailure::Step::kResolve;
  std::string literal = AddressLiteral(LookupName());
  if (!literal.empty()) {
    // Nothing to look up: a lookup would only cost a trip through the thread pool (a
    // worker's wake-up, and its completion's wake-up of the loop) per connection.
    handshake_->addresses.push_back(std::move(literal));
    Defer([this] { AfterPreparation(); });
    return;
  }
  resolve_req_ = new uv_getaddrinfo_t;
  resolve_req_->data = this;
  struct addrinfo hints;
  std::memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  // On the libuv thread pool: a slow resolver never blocks the loop.
  const std::string& name = LookupName();
  int rc = uv_getaddrinfo(engine_.loop(), resolve_req_, OnResolved, name.c_str(), nullptr, &hints);
  if (rc != 0) {
    delete resolve_req_;
    resolve_req_ = nullptr;
    handshake_->resolve_status = rc;
    // Start() runs inside the caller's Connect: report on a later turn of the loop.
    Defer([this] { AfterPreparation(); });
    return;
  }
  holds_.Set(Hold::kNameLookup, true);
}

void Connector::LoadTrust() {
  const TlsProfile& tls = handshake_->request.vhost.tls;
  handshake_->trust = engine_.LoadedTrust(tls);
  if (handshake_->trust) return;
  // Made ready off the loop while the name is looked up: the loop never waits for it.
  ++handshake_->pending_preparations;
  holds_.Set(Hold::kTrustStore, true);
  engine_.LoadTrust(tls, [this](TrustStoreCache::Ready ready) {
    holds_.Set(Hold::kTrustStore, false);
    handshake_->trust = std::move(ready);
    AfterPreparation();
  });
}

void Connector::AfterPreparation() {
  if (--handshake_->pending_preparations > 0) return;  // the lookup or the trust store is still to come
  AfterResolve(handshake_->resolve_status);
}

void Connector::CancelLookup() {
  if (resolve_req_) uv_cancel(reinterpret_cast<uv_req_t*>(resolve_req_));  // OnResolved still comes
}

void Connector::Abandon() { abandoned_ = true; }

void Connector::OnResolved(uv_getaddrinfo_t* req, int status, struct addrinfo* res) {
  auto* self = static_cast<Connector*>(req->data);
  self->resolve_req_ = nullptr;
  self->holds_.Set(Hold::kNameLookup, false);
  delete req;
  if (status == 0) {
    for (struct addrinfo* ai = res; ai; ai = ai->ai_next) {
      char name[64] = {0};
      if (ai->ai_family == AF_INET) {
        uv_ip4_name(reinterpret_cast<const struct sockaddr_in*>(ai->ai_addr), name, sizeof name);
      } else if (ai->ai_family == AF_INET6) {
        uv_ip6_name(reinterpret_cast<const struct sockaddr_in6*>(ai->ai_addr), name, sizeof name);
      } else {
        continue;
      }
      self->handshake_->addresses.emplace_back(name);
    }
  }
  uv_freeaddrinfo(res);
  self->handshake_->resolve_status = status;
  self->AfterPreparation();
}

void Connector::AfterResolve(int status) {
  if (!owner_.OutcomeWanted()) {  // detached or aborted while resolving
    owner_.OnConnectAbandoned();
    return;
  }
  if (abandoned_) {
    handshake_->failure.abandoned = true;
    owner_.OnConnectFailed(DescribeFailure());
    return;
  }
  if (status != 0 || handshake_->addresses.empty()) {
    SetLookupError(&handshake_->failure, status, LookupName());
    owner_.OnConnectFailed(DescribeFailure());
    return;
  }
  owner_.OnConnecting();
  ConnectToNextAddress();
}

void Connector::ConnectToNextAddress() {
  const WebSocketUrl& url = handshake_->request.url;
  const std::string host_header = url.HostHeader();
  // The CONNECT target: the URL's host name as given (IPv6 literals in brackets).
  const std::string connect_target = url.host_is_ipv6 ? "[" + url.host + "]" : url.host;
  while (handshake_->next_address < handshake_->addresses.size()) {  // a `break` gives up with handshake_->failure
    const std::string& address = handshake_->addresses[handshake_->next_address++];
    handshake_->failure = ConnectFailure();
    handshake_->failure.step = ConnectFailure::Step::kConnect;
    handshake_->failure.address = url.unix_socket.empty() ? address : url.unix_socket;
    handshake_->failure.port = url.unix_socket.empty() ? (handshake_->request.proxy.host.empty() ? url.port : handshake_->request.proxy.port) : 0;
    lws_client_connect_info info;
    std::memset(&info, 0, sizeof info);
    info.context = engine_.context();
    info.address = address.c_str();
    VhostProfile profile = handshake_->request.vhost;
    profile.uses_tls = url.tls;
    if (!url.tls) profile.tls = TlsProfile();  // TLS material only matters for wss
    if (!handshake_->request.proxy.host.empty() && url.unix_socket.empty()) {
      // lws connects to the proxy (`address`) and asks it to CONNECT to info.address: the
      // target's name. Credentials go in front, as lws_set_proxy() takes them.
      const ProxyTarget& proxy = handshake_->request.proxy;
      bool v6 = address.find(':') != std::string::npos;
      profile.proxy = (v6 ? "[" + address + "]" : address) + ":" + std::to_string(proxy.port);
      if (!proxy.username.empty() || !proxy.password.empty()) {
        std::string why = proxy.CheckCredentials();
        if (!why.empty()) {
          SetReason(why);
          break;
        }
        profile.proxy = proxy.username + ":" + proxy.password + "@" + profile.proxy;
      }
      info.address = connect_target.c_str();
    }
    info.port = url.port;
    info.path = url.path.c_str();
    info.host = host_header.c_str();
    info.origin = handshake_->request.origin.empty() ? nullptr : handshake_->request.origin.c_str();
    info.protocol = handshake_->request.protocols.empty() ? nullptr : handshake_->request.protocols.c_str();
    info.local_protocol_name = "netstack-websocket";
    info.alpn = "http/1.1";
    info.userdata = lws_user_;
    info.pwsi = socket_;
    info.ssl_connection = LCCSCF_HTTP_NO_FOLLOW_REDIRECT;  // a redirect fails the handshake (RFC 6455 4.1)
    if (!profile.IsDefault()) {  // every wss:// profile has a vhost of its own (its trust store)
      std::string vhost_error;
      info.vhost = engine_.VhostFor(profile, handshake_->trust, &vhost_error);
      if (!info.vhost) {
        SetReason(vhost_error);
        break;
      }
    }
    if (handshake_->request.ping_interval_s || handshake_->request.pong_timeout_s) {
      if (!idle_policy_) {
        idle_policy_.reset(new lws_retry_bo_t{});
        // lws pings after this much silence and hangs up after the other.
        idle_policy_->secs_since_valid_ping = handshake_->request.ping_interval_s ? handshake_->request.ping_interval_s : UINT16_MAX;
        idle_policy_->secs_since_valid_hangup =
            handshake_->request.pong_timeout_s ? static_cast<uint16_t>(std::min<uint32_t>(
                                          UINT16_MAX, uint32_t{idle_policy_->secs_since_valid_ping} + handshake_->request.pong_timeout_s))
                                    : UINT16_MAX;
      }
      info.retry_and_idle_policy = idle_policy_.get();
    }
    if (url.tls) {
      info.ssl_connection |= LCCSCF_USE_SSL;
      if (!handshake_->request.verify_tls) {
        info.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                               LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
      }
    }
    in_connect_call_ = true;
    attempt_wsi_ = nullptr;
    lws* wsi = lws_client_connect_via_info(&info);
    in_connect_call_ = false;
    if (!wsi && attempt_wsi_) {  // still to be destroyed
      // lws reports no CONNECTION_ERROR for a failure inside the call (e.g. a unix socket
      // file that is not there): ask the wsi why, while it still exists.
      int error = handshake_->failure.code.empty() ? lws_netstack_connect_errno(attempt_wsi_) : 0;
      if (error != 0) SetSystemError(&handshake_->failure, error, "connect");
      abandoned_sockets_.push_back(attempt_wsi_);
      holds_.Set(Hold::kAbandonedSocket, true);
    }
    attempt_wsi_ = nullptr;
    if (wsi) {
      *socket_ = wsi;
      holds_.Set(Hold::kSocket, true);
      if (!handshake_timer_) StartHandshakeTimer();
      return;
    }
    *socket_ = nullptr;
    holds_.Set(Hold::kSocket, false);
  }
  owner_.OnConnectFailed(DescribeFailure());
}

bool Connector::InterceptAttemptEvent(lws* wsi, int reason_value, void* in) {
  const auto reason = static_cast<lws_callback_reasons>(reason_value);
  if (in_connect_call_) attempt_wsi_ = reason == LWS_CALLBACK_WSI_DESTROY ? nullptr : wsi;
  if (reason == LWS_CALLBACK_CONNECTING) {  // before TLS starts (also inside the connect call)
    if (handshake_ && !handshake_->request.servername.empty()) lws_netstack_set_servername(wsi, handshake_->request.servername.c_str());
    return true;
  }
  if (reason == LWS_CALLBACK_WSI_CREATE) {  // lws's mark of a connected socket (maybe inside the call)
    if (in_connect_call_ || wsi == *socket_) OnSocketConnected();
    return true;
  }
  if (in_connect_call_) {
    // Inside lws_client_connect_via_info: remember why, ConnectToNextAddress decides.
    if (reason == LWS_CALLBACK_CLIENT_CONNECTION_ERROR) NoteConnectionError(wsi, in);
    return true;
  }
  if (reason == LWS_CALLBACK_WSI_DESTROY && wsi != *socket_) {
    // A wsi whose connect failed inside the call (e.g. a unix socket that is not there):
    // lws closes it on a later turn and reports here; only then may the connection go.
    auto it = std::find(abandoned_sockets_.begin(), abandoned_sockets_.end(), wsi);
    if (it != abandoned_sockets_.end()) {
      abandoned_sockets_.erase(it);
      holds_.Set(Hold::kAbandonedSocket, !abandoned_sockets_.empty());
      owner_.ReleaseIfDone();  // may free the connection and this connector
    }
    return true;
  }
  return wsi != *socket_;  // a wsi of an earlier attempt
}

int Connector::AppendHeaders(lws* wsi, void* in, size_t len) {
  auto** cursor = static_cast<unsigned char**>(in);
  unsigned char* end = *cursor + len;
  if (!handshake_) return 0;  // only during the handshake, when it is there
  for (const auto& header : handshake_->request.headers) {
    std::string name = header.first + ":";
    if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name.c_str()),
                                    reinterpret_cast<const unsigned char*>(header.second.data()),
                                    static_cast<int>(header.second.size()), cursor, end)) {
      handshake_->filter_error = "the handshake headers do not fit in the request buffer";
      return -1;
    }
  }
  return 0;
}

void Connector::OnSocketConnected() {
  if (!handshake_) return;
  // Through a proxy, its CONNECT exchange comes first; its failures have texts of their own.
  handshake_->failure.step = handshake_->request.url.tls ? ConnectFailure::Step::kTls : ConnectFailure::Step::kHandshake;
}

int Connector::CheckResponse(lws* wsi) {
  if (!handshake_) return -1;  // only during the handshake, when it is there
  // The response headers are still parsed here (gone once established).
  handshake_->failure.step = ConnectFailure::Step::kHandshake;
  CaptureResponse(wsi);
  handshake_->filter_error = CheckSubprotocol();
  if (handshake_->filter_error.empty()) handshake_->filter_error = CheckExtensionAnswer(handshake_->request.vhost.deflate_offer, handshake_->extensions);
  return handshake_->filter_error.empty() ? 0 : -1;  // -1: lws fails the handshake
}

bool Connector::CanRetry() const {
  return handshake_ && handshake_->next_address < handshake_->addresses.size() && !abandoned_ && !handshake_->proxy_refused;
}

void Connector::RetrySoon() {
  // Try the next address of the name (e.g. ::1 refused, then 127.0.0.1).
  Defer([this] {
    if (!owner_.OutcomeWanted()) {
      owner_.OnConnectAbandoned();
    } else if (abandoned_) {
      owner_.OnConnectFailed(DescribeFailure());
    } else {
      ConnectToNextAddress();
    }
  });
}

void Connector::ReleaseHandshakeData() { handshake_.reset(); }

void Connector::StartHandshakeTimer() {
  handshake_timer_ = new uv_timer_t;
  uv_timer_init(engine_.loop(), handshake_timer_);
  handshake_timer_->data = this;
  holds_.Set(Hold::kHandshakeTimer, true);
  uv_timer_start(
      handshake_timer_,
      [](uv_timer_t* timer) {
        auto* self = static_cast<Connector*>(timer->data);
        if (!self->owner_.StillConnecting() || !self->handshake_) {
          self->StopHandshakeTimer();  // fired once, for nothing: it must still release its hold
          return;
        }
        SetTimedOut(&self->handshake_->failure, self->HandshakeTimeoutMs());
        self->handshake_->next_address = self->handshake_->addresses.size();  // no other address either
        self->owner_.OnHandshakeTimeout(self->DescribeFailure());
      },
      HandshakeTimeoutMs(), 0);
}

void Connector::StopHandshakeTimer() {
  if (!handshake_timer_ || timer_closing_) return;
  timer_closing_ = true;
  uv_timer_stop(handshake_timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(handshake_timer_), [](uv_handle_t* handle) {
    auto* self = static_cast<Connector*>(handle->data);
    delete reinterpret_cast<uv_timer_t*>(handle);
    self->handshake_timer_ = nullptr;
    self->timer_closing_ = false;
    self->holds_.Set(Hold::kHandshakeTimer, false);
    self->owner_.ReleaseIfDone();  // may free the connection and this connector
  });
}

void Connector::CaptureResponse(lws* wsi) {
  if (!handshake_ || handshake_->have_response) return;
  if (!ReadHandshakeResponse(wsi, &handshake_->response)) return;
  handshake_->have_response = true;
  handshake_->extensions.clear();
  for (const auto& header : handshake_->response.headers) {
    if (header.first == "sec-websocket-protocol") handshake_->protocol = header.second;
    // Several header lines make one list (RFC 7230 3.2.2); CheckExtensionAnswer judges it.
    if (header.first == "sec-websocket-extensions") {
      handshake_->extensions += (handshake_->extensions.empty() ? "" : ", ") + header.second;
    }
  }
}

// "" if the server's choice of subprotocol is acceptable, else why not. Like ws, undici
// and browsers: when some were offered, exactly one of them must be chosen.
std::string Connector::CheckSubprotocol() const {
  if (handshake_->request.protocols.empty()) {
    return handshake_->protocol.empty() ? std::string() : "the server chose subprotocol '" + handshake_->protocol + "', none was offered";
  }
  if (handshake_->protocol.empty()) return "the server chose none of the offered subprotocols (" + handshake_->request.protocols + ")";
  size_t start = 0;
  while (start <= handshake_->request.protocols.size()) {
    size_t end = handshake_->request.protocols.find(", ", start);
    if (end == std::string::npos) end = handshake_->request.protocols.size();
    if (handshake_->request.protocols.compare(start, end - start, handshake_->protocol) == 0) return std::string();
    start = end + 2;
  }
  return "the server chose subprotocol '" + handshake_->protocol + "', which was not offered (" + handshake_->request.protocols + ")";
}

uint32_t Connector::HandshakeTimeoutMs() const {
  return handshake_ && handshake_->request.handshake_timeout_ms ? handshake_->request.handshake_timeout_ms : kDefaultHandshakeTimeoutMs;
}

}  // namespace netstack
