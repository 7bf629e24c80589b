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
      request_(std::make_unique<ConnectRequest>(std::move(request))) {}

Connector::~Connector() = default;

const std::string& Connector::LookupName() const {
  // Through a proxy, only the proxy's name is resolved here; the proxy resolves the target.
  return request_->proxy.host.empty() ? request_->url.host : request_->proxy.host;
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
  if (request_->url.tls) LoadTrust();
  ++pending_preparations_;
  if (!request_->url.unix_socket.empty()) {
    // A unix socket: nothing to resolve (and no proxy). Connect on a later turn of the
    // loop, as after a name lookup: Start() runs inside the caller's Connect.
    addresses_.push_back("+" + request_->url.unix_socket);  // lws's mark for a unix socket
    Defer([this] { AfterPreparation(); });
    return;
  }
  failure_.step = ConnectFailure::Step::kResolve;
  std::string literal = AddressLiteral(LookupName());
  if (!literal.empty()) {
    // Nothing to look up: a lookup would only cost a trip through the thread pool (a
    // worker's wake-up, and its completion's wake-up of the loop) per connection.
    addresses_.push_back(std::move(literal));
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
    resolve_status_ = rc;
    // Start() runs inside the caller's Connect: report on a later turn of the loop.
    Defer([this] { AfterPreparation(); });
    return;
  }
  holds_.Set(Hold::kNameLookup, true);
}

void Connector::LoadTrust() {
  const TlsProfile& tls = request_->vhost.tls;
  trust_ = engine_.LoadedTrust(tls);
  if (trust_) return;
  // Made ready off the loop while the name is looked up: the loop never waits for it.
  ++pending_preparations_;
  holds_.Set(Hold::kTrustStore, true);
  engine_.LoadTrust(tls, [this](TrustStoreCache::Ready ready) {
    holds_.Set(Hold::kTrustStore, false);
    trust_ = std::move(ready);
    AfterPreparation();
  });
}

void Connector::AfterPreparation() {
  if (--pending_preparations_ > 0) return;  // the lookup or the trust store is still to come
  AfterResolve(resolve_status_);
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
      self->addresses_.emplace_back(name);
    }
  }
  uv_freeaddrinfo(res);
  self->resolve_status_ = status;
  self->AfterPreparation();
}

void Connector::AfterResolve(int status) {
  if (!owner_.OutcomeWanted()) {  // detached or aborted while resolving
    owner_.OnConnectAbandoned();
    return;
  }
  if (abandoned_) {
    failure_.abandoned = true;
    owner_.OnConnectFailed(DescribeFailure());
    return;
  }
  if (status != 0 || addresses_.empty()) {
    SetLookupError(&failure_, status, LookupName());
    owner_.OnConnectFailed(DescribeFailure());
    return;
  }
  owner_.OnConnecting();
  ConnectToNextAddress();
}

void Connector::ConnectToNextAddress() {
  const WebSocketUrl& url = request_->url;
  const std::string host_header = url.HostHeader();
  // The CONNECT target: the URL's host name as given (IPv6 literals in brackets).
  const std::string connect_target = url.host_is_ipv6 ? "[" + url.host + "]" : url.host;
  while (next_address_ < addresses_.size()) {  // a `break` gives up with failure_
    const std::string& address = addresses_[next_address_++];
    failure_ = ConnectFailure();
    failure_.step = ConnectFailure::Step::kConnect;
    failure_.address = url.unix_socket.empty() ? address : url.unix_socket;
    failure_.port = url.unix_socket.empty() ? (request_->proxy.host.empty() ? url.port : request_->proxy.port) : 0;
    lws_client_connect_info info;
    std::memset(&info, 0, sizeof info);
    info.context = engine_.context();
    info.address = address.c_str();
    VhostProfile profile = request_->vhost;
    profile.uses_tls = url.tls;
    if (!url.tls) profile.tls = TlsProfile();  // TLS material only matters for wss
    if (!request_->proxy.host.empty() && url.unix_socket.empty()) {
      // lws connects to the proxy (`address`) and asks it to CONNECT to info.address: the
      // target's name. Credentials go in front, as lws_set_proxy() takes them.
      const ProxyTarget& proxy = request_->proxy;
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
    info.origin = request_->origin.empty() ? nullptr : request_->origin.c_str();
    info.protocol = request_->protocols.empty() ? nullptr : request_->protocols.c_str();
    info.local_protocol_name = "netstack-websocket";
    info.alpn = "http/1.1";
    info.userdata = lws_user_;
    info.pwsi = socket_;
    info.ssl_connection = LCCSCF_HTTP_NO_FOLLOW_REDIRECT;  // a redirect fails the handshake (RFC 6455 4.1)
    if (!profile.IsDefault()) {  // every wss:// profile has a vhost of its own (its trust store)
      std::string vhost_error;
      info.vhost = engine_.VhostFor(profile, trust_, &vhost_error);
      if (!info.vhost) {
        SetReason(vhost_error);
        break;
      }
    }
    if (request_->ping_interval_s || request_->pong_timeout_s) {
      if (!idle_policy_) {
        idle_policy_.reset(new lws_retry_bo_t{});
        // lws pings after this much silence and hangs up after the other.
        idle_policy_->secs_since_valid_ping = request_->ping_interval_s ? request_->ping_interval_s : UINT16_MAX;
        idle_policy_->secs_since_valid_hangup =
            request_->pong_timeout_s ? static_cast<uint16_t>(std::min<uint32_t>(
                                          UINT16_MAX, uint32_t{idle_policy_->secs_since_valid_ping} + request_->pong_timeout_s))
                                    : UINT16_MAX;
      }
      info.retry_and_idle_policy = idle_policy_.get();
    }
    if (url.tls) {
      info.ssl_connection |= LCCSCF_USE_SSL;
      if (!request_->verify_tls) {
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
      int error = failure_.code.empty() ? lws_netstack_connect_errno(attempt_wsi_) : 0;
      if (error != 0) SetSystemError(&failure_, error, "connect");
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
    if (request_ && !request_->servername.empty()) lws_netstack_set_servername(wsi, request_->servername.c_str());
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
  if (!request_) return 0;  // only during the handshake, when it is there
  for (const auto& header : request_->headers) {
    std::string name = header.first + ":";
    if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name.c_str()),
                                    reinterpret_cast<const unsigned char*>(header.second.data()),
                                    static_cast<int>(header.second.size()), cursor, end)) {
      filter_error_ = "the handshake headers do not fit in the request buffer";
      return -1;
    }
  }
  return 0;
}

void Connector::OnSocketConnected() {
  if (!request_) return;
  // Through a proxy, its CONNECT exchange comes first; its failures have texts of their own.
  failure_.step = request_->url.tls ? ConnectFailure::Step::kTls : ConnectFailure::Step::kHandshake;
}

int Connector::CheckResponse(lws* wsi) {
  // The response headers are still parsed here (gone once established).
  failure_.step = ConnectFailure::Step::kHandshake;
  CaptureResponse(wsi);
  if (!request_) return -1;  // only during the handshake, when it is there
  filter_error_ = CheckSubprotocol();
  if (filter_error_.empty()) filter_error_ = CheckExtensionAnswer(request_->vhost.deflate_offer, extensions_);
  return filter_error_.empty() ? 0 : -1;  // -1: lws fails the handshake
}

bool Connector::CanRetry() const { return next_address_ < addresses_.size() && !abandoned_ && !proxy_refused_; }

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

void Connector::ReleaseHandshakeData() {
  HttpResponse().headers.swap(response_.headers);
  std::string().swap(response_.body);
  request_.reset();
  std::vector<std::string>().swap(addresses_);
}

void Connector::StartHandshakeTimer() {
  handshake_timer_ = new uv_timer_t;
  uv_timer_init(engine_.loop(), handshake_timer_);
  handshake_timer_->data = this;
  holds_.Set(Hold::kHandshakeTimer, true);
  uv_timer_start(
      handshake_timer_,
      [](uv_timer_t* timer) {
        auto* self = static_cast<Connector*>(timer->data);
        if (!self->owner_.StillConnecting()) {
          self->StopHandshakeTimer();  // fired once, for nothing: it must still release its hold
          return;
        }
        SetTimedOut(&self->failure_, self->HandshakeTimeoutMs());
        self->next_address_ = self->addresses_.size();  // no other address either
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
  if (have_response_) return;
  if (!ReadHandshakeResponse(wsi, &response_)) return;
  have_response_ = true;
  extensions_.clear();
  for (const auto& header : response_.headers) {
    if (header.first == "sec-websocket-protocol") protocol_ = header.second;
    // Several header lines make one list (RFC 7230 3.2.2); CheckExtensionAnswer judges it.
    if (header.first == "sec-websocket-extensions") {
      extensions_ += (extensions_.empty() ? "" : ", ") + header.second;
    }
  }
}

// "" if the server's choice of subprotocol is acceptable, else why not. Like ws, undici
// and browsers: when some were offered, exactly one of them must be chosen.
std::string Connector::CheckSubprotocol() const {
  if (request_->protocols.empty()) {
    return protocol_.empty() ? std::string() : "the server chose subprotocol '" + protocol_ + "', none was offered";
  }
  if (protocol_.empty()) return "the server chose none of the offered subprotocols (" + request_->protocols + ")";
  size_t start = 0;
  while (start <= request_->protocols.size()) {
    size_t end = request_->protocols.find(", ", start);
    if (end == std::string::npos) end = request_->protocols.size();
    if (request_->protocols.compare(start, end - start, protocol_) == 0) return std::string();
    start = end + 2;
  }
  return "the server chose subprotocol '" + protocol_ + "', which was not offered (" + request_->protocols + ")";
}

uint32_t Connector::HandshakeTimeoutMs() const {
  return request_ && request_->handshake_timeout_ms ? request_->handshake_timeout_ms : kDefaultHandshakeTimeoutMs;
}

}  // namespace netstack
