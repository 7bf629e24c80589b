#include "connection.h"

#include <libwebsockets.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <sys/stat.h>

#include "connection_sink.h"
#include "engine.h"
#include "extension_check.h"
#include "frame_writer.h"
#include "oh_error_codes.h"

// Added by patches/lws/0010: "a new frame may not start yet": part of an earlier frame
// is still in lws's buffer, or permessage-deflate is still sending the fragments of the
// previous message (a write now would be glued to it). The public
// lws_send_pipe_choked() tests the same plus a poll() syscall.
extern "C" int lws_netstack_write_pending(struct lws* wsi);
// Added by patches/lws/0011: data frames written while set go out uncompressed.
extern "C" void lws_netstack_set_no_compress(struct lws* wsi, int no_compress);
// Added by patches/lws/0006: fail a data frame whose declared length exceeds this, as
// soon as its header is read.
extern "C" void lws_netstack_set_rx_limit(struct lws* wsi, size_t limit);
// Added by patches/lws/0006: the status code of the close frame lws prepared (0: none);
// the frame's own payload is masked in place once sent.
extern "C" int lws_netstack_close_code(struct lws* wsi);
// Added by patches/lws/0017: while set, lws writes no frame of its own (they wait).
extern "C" void lws_netstack_hold_control(struct lws* wsi, int hold);
// Added by patches/lws/0018: the FIN bit of the frame being received.
extern "C" int lws_netstack_frame_is_final(struct lws* wsi);
// Added by patches/lws/0007: TLS server name other than the Host header's.
extern "C" void lws_netstack_set_servername(struct lws* wsi, const char* name);
// Added by patches/lws/0081: on = 0: lws answers no ping; the user sends the pongs.
extern "C" void lws_netstack_set_auto_pong(struct lws* wsi, int on);
// Added by patches/lws/0082: bytes read past the response headers, not yet consumed.
extern "C" size_t lws_netstack_pending_input(struct lws* wsi, const uint8_t** data);

namespace netstack {
static_assert(Connection::LWS_PRE_BYTES == LWS_PRE, "the send headroom must be lws's LWS_PRE");

namespace {

std::atomic<size_t> g_live_connections{0};

// Messages up to this size are framed by us (masked while they are copied from the
// caller) and written together with the others of the same loop turn; larger ones go to
// lws one by one. (Framing 1 MiB messages ourselves measured no faster, and 16 MiB ones
// slower: a batch buffer that large is not kept, the one for lws is.)
constexpr size_t kBatchMaxMessage = 16 * 1024;
// Larger messages are handed to lws this much at a time (StreamedFrame): when the socket
// takes only part of a piece, lws copies the rest of that piece, not of the message.
constexpr size_t kStreamPiece = 256 * 1024;
// A batch this large is written at once rather than at the end of the loop turn.
constexpr size_t kBatchFlushBytes = 256 * 1024;
// The batch buffer is freed after a burst that grew it beyond this.
constexpr size_t kBatchKeepCapacity = 1024 * 1024;

std::string LwsErrorText(const void* in) {
  if (!in) return std::string();
  const char* text = static_cast<const char*>(in);
  return std::string(text, strnlen(text, 512));
}

const char* StatusText(int status) {
  switch (status) {
    case 101: return "Switching Protocols";
    default: return "";
  }
}

}  // namespace

size_t Connection::LiveCount() { return g_live_connections.load(); }

Connection::Connection(Engine& engine, ConnectRequest request, ConnectionSink* sink)
    : engine_(engine),
      request_(std::make_unique<ConnectRequest>(std::move(request))),
      max_message_bytes_(request_->max_message_bytes),
      compress_threshold_(request_->compress_threshold),
      sink_(sink) {
  ++g_live_connections;
}

Connection::~Connection() {
  // Only reached through Engine::Release (nothing pending on the loop) or engine teardown.
  if (batch_scheduled_ && engine_.turn_batcher()) engine_.turn_batcher()->Cancel(this);
  --g_live_connections;
}

std::string ProxyTarget::CheckCredentials() const {
  if (username.empty() && password.empty()) return std::string();
  if (username.find(':') != std::string::npos) return "the proxy user name cannot contain ':' (HTTP Basic authentication)";
  if (username.find('\0') != std::string::npos || password.find('\0') != std::string::npos) {
    return "the proxy user name and password cannot contain NUL";
  }
  if (username.size() + 1 + password.size() > kMaxCredentialBytes) {
    return "the proxy user name and password are too long (libwebsockets takes at most " +
           std::to_string(kMaxCredentialBytes) + " bytes of user:password)";
  }
  return std::string();
}

void Connection::Start() {
  if (!request_->url.unix_socket.empty()) {
    // A unix socket: nothing to resolve (and no proxy). Connect on a later turn of the
    // loop, as after a name lookup: Start() runs inside the caller's Connect.
    addresses_.push_back("+" + request_->url.unix_socket);  // lws's mark for a unix socket
    retry_scheduled_ = true;
    engine_.Defer([this] {
      retry_scheduled_ = false;
      AfterResolve(0);
    });
    return;
  }
  resolve_req_ = new uv_getaddrinfo_t;
  resolve_req_->data = this;
  struct addrinfo hints;
  std::memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  // On the libuv thread pool: a slow resolver never blocks the loop.
  // Through a proxy, only the proxy's name is resolved here; the proxy resolves the target.
  const std::string& name = request_->proxy.host.empty() ? request_->url.host : request_->proxy.host;
  int rc = uv_getaddrinfo(engine_.loop(), resolve_req_, OnResolved, name.c_str(), nullptr, &hints);
  if (rc != 0) {
    delete resolve_req_;
    resolve_req_ = nullptr;
    last_error_ = std::string("cannot resolve ") + name + ": " + uv_strerror(rc);
    // Start() runs inside the caller's Connect: report on a later turn of the loop.
    retry_scheduled_ = true;
    engine_.Defer([this] {
      retry_scheduled_ = false;
      Fail(last_error_);
      ReleaseIfDone();
    });
  }
}

void Connection::OnResolved(uv_getaddrinfo_t* req, int status, struct addrinfo* res) {
  auto* self = static_cast<Connection*>(req->data);
  self->resolve_req_ = nullptr;
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
  self->AfterResolve(status);
}

void Connection::AfterResolve(int status) {
  if (!sink_) {  // detached or aborted while resolving
    Finish();
    ReleaseIfDone();
    return;
  }
  if (terminated_) {
    last_error_ = "closed before the connection was established";
    Fail(DescribeFailure());
    ReleaseIfDone();
    return;
  }
  if (status != 0 || addresses_.empty()) {
    Fail("cannot resolve host '" + (request_->proxy.host.empty() ? request_->url.host : request_->proxy.host) + "': " +
         (status != 0 ? uv_strerror(status) : "no address"));
    ReleaseIfDone();
    return;
  }
  state_ = State::kConnecting;
  ConnectToNextAddress();
}

void Connection::ConnectToNextAddress() {
  const WebSocketUrl& url = request_->url;
  const std::string host_header = url.HostHeader();
  // The CONNECT target: the URL's host name as given (IPv6 literals in brackets).
  const std::string connect_target = url.host_is_ipv6 ? "[" + url.host + "]" : url.host;
  while (next_address_ < addresses_.size()) {  // a `break` gives up with last_error_
    const std::string& address = addresses_[next_address_++];
    lws_client_connect_info info;
    std::memset(&info, 0, sizeof info);
    info.context = engine_.context();
    info.address = address.c_str();
    VhostProfile profile = request_->vhost;
    if (!url.tls) profile.tls = TlsProfile();  // TLS material only matters for wss
    if (!request_->proxy.host.empty() && url.unix_socket.empty()) {
      // lws connects to the proxy (`address`) and asks it to CONNECT to info.address: the
      // target's name. Credentials go in front, as lws_set_proxy() takes them.
      const ProxyTarget& proxy = request_->proxy;
      bool v6 = address.find(':') != std::string::npos;
      profile.proxy = (v6 ? "[" + address + "]" : address) + ":" + std::to_string(proxy.port);
      if (!proxy.username.empty() || !proxy.password.empty()) {
        last_error_ = proxy.CheckCredentials();
        if (!last_error_.empty()) break;
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
    info.userdata = this;
    info.pwsi = &wsi_;
    info.ssl_connection = LCCSCF_HTTP_NO_FOLLOW_REDIRECT;  // a redirect fails the handshake (RFC 6455 4.1)
    if (!profile.IsDefault()) {
      std::string vhost_error;
      info.vhost = engine_.VhostFor(profile, &vhost_error);
      if (!info.vhost) {
        last_error_ = vhost_error;
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
    if (!wsi && attempt_wsi_) failed_attempt_wsis_.push_back(attempt_wsi_);  // still to be destroyed
    attempt_wsi_ = nullptr;
    if (wsi) {
      wsi_ = wsi;
      if (!handshake_timer_ && request_->handshake_timeout_ms) StartHandshakeTimer();
      return;
    }
    wsi_ = nullptr;
  }
  Fail(DescribeFailure());
  ReleaseIfDone();
}

// "" if the server's choice of subprotocol is acceptable, else why not. Like ws, undici
// and browsers: when some were offered, exactly one of them must be chosen.
std::string Connection::CheckSubprotocol() const {
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

std::string Connection::DescribeFailure() const {
  if (!request_) return "the connection failed";  // only before open, when it is there
  std::string message = "cannot connect to " + request_->url.Describe();
  std::string detail = last_error_;
  const std::string& socket_path = request_->url.unix_socket;
  if (!socket_path.empty() && !terminated_) {
    // lws only says "Unable to connect" (or nothing): say what is wrong with the socket file.
    std::string why;
    struct stat info;
    if (stat(socket_path.c_str(), &info) != 0) {
      why = socket_path + ": " + std::strerror(errno);
    } else if (!S_ISSOCK(info.st_mode)) {
      why = socket_path + " is not a socket";
    } else if (detail.empty() || detail == "Unable to connect") {
      why = "nothing accepts connections on " + socket_path;
    }
    if (!why.empty()) detail = detail.empty() ? why : detail + " (" + why + ")";
  } else if (!request_->proxy.host.empty() && !proxy_refused_ && !terminated_ && !detail.empty()) {
    detail += " (through the proxy " + request_->proxy.host + ":" + std::to_string(request_->proxy.port) + ")";
  }
  if (!detail.empty()) message += ": " + detail;
  return message;
}

// lws's terse texts for a failed CONNECT, made clear. A refusal (e.g. 407) is kept as the
// response's status and is final: the proxy's other addresses would answer the same.
void Connection::DescribeProxyFailure() {
  if (!request_ || request_->proxy.host.empty() || !request_->url.unix_socket.empty()) return;
  const std::string proxy = "the proxy " + request_->proxy.host + ":" + std::to_string(request_->proxy.port);
  static const char kRefused[] = "http_proxy -> ";  // lws: the status of a CONNECT answer other than 200
  if (last_error_.rfind(kRefused, 0) == 0) {
    int status = std::atoi(last_error_.c_str() + sizeof kRefused - 1);
    proxy_refused_ = true;
    if (!have_response_) {
      have_response_ = true;
      response_.status = status;
    }
    last_error_ = proxy + " refused the tunnel: it answered CONNECT with HTTP " + std::to_string(status);
    if (status == 407) {
      last_error_ += request_->proxy.username.empty() && request_->proxy.password.empty()
                         ? " Proxy Authentication Required (give the proxy's user name and password)"
                         : " Proxy Authentication Required (it did not accept the user name and password)";
    }
  } else if (last_error_ == "http_proxy fail") {
    last_error_ = proxy + " did not answer CONNECT with HTTP/1.x (is it an HTTP proxy?)";
  } else if (last_error_ == "proxy conn dead") {
    last_error_ = proxy + " closed the connection before answering CONNECT";
  }
}

void Connection::Fail(const std::string& message) {
  state_ = State::kClosed;
  StopHandshakeTimer();
  if (sink_) sink_->OnError(WEBSOCKET_CONNECTION_ERROR, message, have_response_ ? &response_ : nullptr);
  Finish();
}

void Connection::Finish() {
  if (finished_) return;
  finished_ = true;
  StopHandshakeTimer();
  state_ = State::kClosed;
  send_queue_.clear();
  queued_bytes_ = 0;
  stream_ = StreamedFrame{};
  DropBatch();
  ConnectionSink* sink = sink_;
  sink_ = nullptr;
  rx_sink_room_ = nullptr;  // the sink's memory: never touched again
  if (sink) sink->OnFinished();
}

void Connection::ReleaseIfDone() {
  if (finished_ && !wsi_ && !resolve_req_ && !retry_scheduled_ && !handshake_timer_ && failed_attempt_wsis_.empty()) {
    engine_.Release(this);  // deletes this
  }
}

void Connection::StartHandshakeTimer() {
  handshake_timer_ = new uv_timer_t;
  uv_timer_init(engine_.loop(), handshake_timer_);
  handshake_timer_->data = this;
  uv_timer_start(
      handshake_timer_,
      [](uv_timer_t* timer) {
        auto* self = static_cast<Connection*>(timer->data);
        if (self->state_ != State::kConnecting) return;
        self->last_error_ = "the opening handshake timed out after " +
                            std::to_string(self->request_->handshake_timeout_ms) + " ms";
        self->next_address_ = self->addresses_.size();  // no other address either
        self->Fail(self->DescribeFailure());
        self->KillSoon();
      },
      request_->handshake_timeout_ms, 0);
}

void Connection::StopHandshakeTimer() {
  if (!handshake_timer_ || timer_closing_) return;
  timer_closing_ = true;
  uv_timer_stop(handshake_timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(handshake_timer_), [](uv_handle_t* handle) {
    auto* self = static_cast<Connection*>(handle->data);
    delete reinterpret_cast<uv_timer_t*>(handle);
    self->handshake_timer_ = nullptr;
    self->timer_closing_ = false;
    self->ReleaseIfDone();  // may delete self
  });
}

void Connection::KillSoon() {
  if (!wsi_) return;
  lws_set_timeout(wsi_, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
  // The timeout only takes effect when lws next looks at its timers: wake it now.
  lws_cancel_service(engine_.context());
}

void Connection::RequestWritable() {
  if (wsi_ && state_ == State::kOpen) lws_callback_on_writable(wsi_);
}

bool Connection::CanWriteNow() const {
  // Nothing queued before it and nothing of an earlier frame still in lws's buffer: the
  // frame can go to the socket right away, without a round through POLLOUT.
  return state_ == State::kOpen && wsi_ && send_queue_.empty() && !stream_.id && !close_requested_ &&
         !peer_closed_ && !lws_netstack_write_pending(wsi_);
}

bool Connection::CompressionApplies(size_t length) const {
  // permessage-deflate is the only extension we offer.
  return !extensions_.empty() && !(compress_threshold_ != 0 && length < compress_threshold_);
}

bool Connection::CanBatch(size_t length) const {
  // Our frames are never compressed (lws compresses the others).
  return length <= kBatchMaxMessage && engine_.turn_batcher() && !CompressionApplies(length);
}

bool Connection::CanStream(size_t length) const { return length > kBatchMaxMessage && !CompressionApplies(length); }

bool Connection::PrepareStream(std::unique_ptr<uint8_t[]>&& storage, size_t length, FrameKind kind, uint64_t id) {
  StreamedFrame frame;
  if (!engine_.NextMask(frame.mask)) return false;
  frame.storage = std::move(storage);
  frame.payload_length = length;
  frame.kind = kind;
  frame.id = id;
  stream_ = std::move(frame);
  return true;
}

void Connection::StartStream() {
  uint8_t* payload = stream_.storage.get() + LWS_PRE;
  if (!stream_.masked) MaskPayload(payload, stream_.payload_length, stream_.mask);
  const size_t header = ClientFrameHeaderSize(stream_.payload_length);  // <= LWS_PRE
  stream_.frame = payload - header;
  WriteClientFrameHeader(stream_.frame, stream_.kind == FrameKind::kBinary ? kOpcodeBinary : kOpcodeText,
                         stream_.payload_length, stream_.mask);
  stream_.frame_size = header + stream_.payload_length;
  stream_.handed = 0;
  lws_netstack_hold_control(wsi_, 1);
}

bool Connection::ContinueStream() {
  while (stream_.handed < stream_.frame_size) {
    if (lws_netstack_write_pending(wsi_)) {  // lws holds the end of the last piece
      lws_callback_on_writable(wsi_);
      return true;
    }
    const size_t piece = std::min(kStreamPiece, stream_.frame_size - stream_.handed);
    if (lws_write(wsi_, stream_.frame + stream_.handed, piece, LWS_WRITE_RAW) < 0) return false;
    stream_.handed += piece;
  }
  lws_netstack_hold_control(wsi_, 0);
  const uint64_t id = stream_.id;
  const size_t payload_length = stream_.payload_length;
  stream_ = StreamedFrame{};
  NoteWritten(id, payload_length);
  // Whatever lws held back goes first (it writes in the next POLLOUT), then the queue.
  lws_callback_on_writable(wsi_);
  return true;
}

uint8_t* Connection::AppendToBatch(FrameKind kind, size_t length, uint64_t id) {
  BatchedFrame frame;
  if (!engine_.NextMask(frame.mask)) return nullptr;
  const size_t header_at = batch_.size();
  // + 1: the spare byte BeginSend promises (a NUL terminator), dropped again on commit.
  batch_.resize(header_at + ClientFrameHeaderSize(length) + length + 1);
  const size_t header = WriteClientFrameHeader(batch_.data() + header_at,
                                               kind == FrameKind::kBinary ? kOpcodeBinary : kOpcodeText, length, frame.mask);
  frame.payload_at = header_at + header;
  frame.length = length;
  frame.id = id;
  batching_ = frame;
  return batch_.data() + frame.payload_at;
}

void Connection::CommitBatchedFrame() {
  BatchedFrame frame = batching_;
  batching_ = BatchedFrame{};
  batch_.resize(frame.payload_at + frame.length);
  if (!frame.masked) MaskPayload(batch_.data() + frame.payload_at, frame.length, frame.mask);
  batch_payload_bytes_ += frame.length;
  batch_last_id_ = frame.id;
}

bool Connection::WriteBatch() {
  if (batch_.empty()) return true;
  if (!wsi_ || state_ != State::kOpen || close_sent_ || peer_closed_) {
    DropBatch();  // no data frame may follow a close
    return true;
  }
  // Complete frames, so lws passes them on as they are (it keeps what the socket does
  // not take yet, in order with anything it writes later).
  const int written = lws_write(wsi_, batch_.data(), batch_.size(), LWS_WRITE_RAW);
  const size_t payload_bytes = batch_payload_bytes_;
  DropBatch();
  if (written < 0) {
    KillSoon();  // the socket failed: lws reports the close
    return false;
  }
  NoteWritten(batch_last_id_, payload_bytes);
  return true;
}

bool Connection::NoteWritten(uint64_t id, size_t payload_bytes) {
  last_written_id_ = id;
  // Left the process unless lws had to keep part of it (then it counts as buffered until
  // lws has flushed it), or permessage-deflate is still compressing it.
  const bool kept = lws_netstack_write_pending(wsi_);
  unflushed_bytes_ = kept ? payload_bytes : 0;
  return kept;
}

void Connection::AwaitWriteableIfNeeded() {
  // OnSent is reported from a WRITEABLE callback, never from inside the caller's send().
  if (wsi_ && (notify_up_to_ > last_reported_sent_ || unflushed_bytes_)) lws_callback_on_writable(wsi_);
}

void Connection::FlushBatch() {
  if (batch_.empty()) return;
  if (WriteBatch()) AwaitWriteableIfNeeded();
}

void Connection::FlushScheduledBatch() {
  batch_scheduled_ = false;
  FlushBatch();
}

void Connection::DropBatch() {
  batch_.clear();
  batch_payload_bytes_ = 0;
  if (batch_.capacity() > kBatchKeepCapacity) decltype(batch_)().swap(batch_);
}

uint8_t* Connection::BeginSend(size_t length, bool binary, bool notify, uint64_t* id) {
  if (finished_ || close_requested_ || peer_closed_ || state_ == State::kClosing || state_ == State::kClosed) {
    return nullptr;
  }
  *id = next_message_id_++;
  if (notify) notify_up_to_ = *id;
  if (CanWriteNow() && CanBatch(length)) {
    uint8_t* payload = AppendToBatch(binary ? FrameKind::kBinary : FrameKind::kText, length, *id);
    if (payload) return payload;
  }
  FlushBatch();  // the frames batched so far go before this one
  if (CanWriteNow() && CanStream(length) &&
      PrepareStream(std::unique_ptr<uint8_t[]>(new uint8_t[LWS_PRE + length + 1]), length,
                    binary ? FrameKind::kBinary : FrameKind::kText, *id)) {
    return stream_.storage.get() + LWS_PRE;
  }
  if (CanWriteNow()) {
    // Written in EndSend from a buffer kept for this (lws masks in place, so the
    // caller's memory cannot be handed to it).
    if (direct_buffer_.size() < LWS_PRE + length + 1) direct_buffer_.resize(LWS_PRE + length + 1);
    direct_ = {binary ? FrameKind::kBinary : FrameKind::kText, *id, length};
    return direct_buffer_.data() + LWS_PRE;
  }
  OutgoingMessage message;
  message.kind = binary ? FrameKind::kBinary : FrameKind::kText;
  message.id = *id;
  message.bytes.reset(new uint8_t[LWS_PRE + length + 1]);
  message.length = length;
  send_queue_.push_back(std::move(message));
  queued_bytes_ += length;
  RequestWritable();
  return send_queue_.back().payload();
}

void Connection::EndSend() {
  if (batching_.id) {
    CommitBatchedFrame();
    if (batch_.size() >= kBatchFlushBytes) {
      FlushBatch();
    } else if (!batch_scheduled_) {
      batch_scheduled_ = true;
      engine_.turn_batcher()->Schedule(this);
    }
    return;
  }
  if (stream_.preparing()) {
    StartStream();
    // (ContinueStream asks for WRITEABLE itself: for the rest, or for what follows.)
    if (!ContinueStream()) KillSoon();  // the socket failed: lws reports the close
    return;
  }
  if (!direct_.id) return;
  DirectFrame frame = direct_;
  direct_ = DirectFrame{};
  SetCompression(wsi_, frame.length);
  int written = lws_write(wsi_, direct_buffer_.data() + LWS_PRE, frame.length,
                          frame.kind == FrameKind::kBinary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
  if (written < 0) {
    KillSoon();  // the socket failed: lws reports the close
    return;
  }
  // Maybe still being compressed from direct_buffer_: keep it alive, the next frame gets
  // the buffer whose drain has ended (CanWriteNow() was true, so none is running).
  if (NoteWritten(frame.id, frame.length)) draining_direct_buffer_.swap(direct_buffer_);
  AwaitWriteableIfNeeded();
}

uint64_t Connection::Send(const uint8_t* data, size_t length, bool binary, bool notify) {
  uint64_t id = 0;
  uint8_t* payload = BeginSend(length, binary, notify, &id);
  if (!payload) return 0;
  if (batching_.id) {
    CopyMasked(payload, data, length, batching_.mask);  // one pass instead of two
    batching_.masked = true;
  } else if (stream_.preparing()) {
    CopyMasked(payload, data, length, stream_.mask);
    stream_.masked = true;
  } else if (length) {
    std::memcpy(payload, data, length);
  }
  EndSend();
  return id;
}

bool Connection::Ping(const uint8_t* data, size_t length) {
  return QueueControl(FrameKind::kPing, data, length);
}

bool Connection::Pong(const uint8_t* data, size_t length) {
  return QueueControl(FrameKind::kPong, data, length);
}

bool Connection::QueueControl(FrameKind kind, const uint8_t* data, size_t length) {
  if (length > 125 || finished_ || close_requested_ || state_ == State::kClosing || state_ == State::kClosed) {
    return false;
  }
  OutgoingMessage message;
  message.kind = kind;
  message.id = 0;
  message.bytes.reset(new uint8_t[LWS_PRE + length]);
  message.length = length;
  if (length) std::memcpy(message.payload(), data, length);
  send_queue_.push_back(std::move(message));
  RequestWritable();
  return true;
}

void Connection::ReleaseHandshakeData() {
  // Only the handshake needs these (and a retry on the next address); an open connection
  // may idle for hours, thousands of them: give the memory back.
  HttpResponse().headers.swap(response_.headers);
  std::string().swap(response_.body);
  request_.reset();
  std::vector<std::string>().swap(addresses_);
}

void Connection::Terminate() {
  terminated_ = true;
  DropBatch();
  switch (state_) {
    case State::kResolving:
      if (resolve_req_) uv_cancel(reinterpret_cast<uv_req_t*>(resolve_req_));
      last_error_ = "terminated";
      break;
    case State::kConnecting:
    case State::kOpen:
    case State::kClosing:
      KillSoon();
      break;
    case State::kClosed:
      break;
  }
}

void Connection::Close(uint16_t code, std::string reason) {
  if (finished_ || close_requested_ || state_ == State::kClosing || state_ == State::kClosed) return;
  if (state_ == State::kResolving || state_ == State::kConnecting) {
    // No handshake to close yet: abandon the attempt (an error ends it, as for any
    // connection that never opened).
    Terminate();
    return;
  }
  close_requested_ = true;
  close_code_ = code == 0 && !reason.empty() ? 1000 : code;  // a reason needs a status code
  close_reason_ = std::move(reason);
  RequestWritable();  // if not open yet, the close is sent as soon as it is
}

void Connection::Detach() {
  sink_ = nullptr;
  rx_sink_room_ = nullptr;  // the sink's memory: never touched again
  switch (state_) {
    case State::kResolving:
      if (resolve_req_) uv_cancel(reinterpret_cast<uv_req_t*>(resolve_req_));
      break;  // OnResolved releases
    case State::kConnecting:
      KillSoon();
      break;
    case State::kOpen:
      Close(1001, "");
      if (wsi_) lws_set_timeout(wsi_, PENDING_TIMEOUT_CLOSE_SEND, 5);  // don't wait long for the peer
      break;
    case State::kClosing:
    case State::kClosed:
      break;
  }
  if (finished_) ReleaseIfDone();
}

void Connection::AbortForShutdown() {
  aborted_ = true;
  ConnectionSink* sink = sink_;
  sink_ = nullptr;
  rx_sink_room_ = nullptr;
  finished_ = true;
  state_ = State::kClosed;
  if (sink) sink->OnEngineShutdown();
  if (resolve_req_) uv_cancel(reinterpret_cast<uv_req_t*>(resolve_req_));
  // lws_context_destroy closes the wsi; its WSI_DESTROY releases this connection.
  ReleaseIfDone();
}

int Connection::HandleLwsEvent(lws* wsi, int reason_value, void* in, size_t len) {
  if (reason_value == kLwsReceivePing) {  // not one of lws's own reasons
    if (sink_) sink_->OnPing(static_cast<const uint8_t*>(in), len);
    return 0;
  }
  const auto reason = static_cast<lws_callback_reasons>(reason_value);
  if (in_connect_call_) attempt_wsi_ = reason == LWS_CALLBACK_WSI_DESTROY ? nullptr : wsi;
  if (reason == LWS_CALLBACK_CONNECTING) {  // before TLS starts (also inside the connect call)
    if (request_ && !request_->servername.empty()) lws_netstack_set_servername(wsi, request_->servername.c_str());
    return 0;
  }
  if (in_connect_call_) {
    // Inside lws_client_connect_via_info: remember why, ConnectToNextAddress decides.
    if (reason == LWS_CALLBACK_CLIENT_CONNECTION_ERROR) last_error_ = LwsErrorText(in);
    return 0;
  }
  if (reason == LWS_CALLBACK_WSI_DESTROY && wsi != wsi_) {
    // A wsi whose connect failed inside the call (e.g. a unix socket that is not there):
    // lws closes it on a later turn and reports here; only then may this object go.
    auto it = std::find(failed_attempt_wsis_.begin(), failed_attempt_wsis_.end(), wsi);
    if (it != failed_attempt_wsis_.end()) {
      failed_attempt_wsis_.erase(it);
      ReleaseIfDone();  // may delete this
    }
    return 0;
  }
  if (wsi != wsi_) return 0;  // a wsi of an earlier attempt

  switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
      auto** cursor = static_cast<unsigned char**>(in);
      unsigned char* end = *cursor + len;
      if (!request_) return 0;  // only during the handshake, when it is there
      for (const auto& header : request_->headers) {
        std::string name = header.first + ":";
        if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name.c_str()),
                                        reinterpret_cast<const unsigned char*>(header.second.data()),
                                        static_cast<int>(header.second.size()), cursor, end)) {
          last_error_ = "the handshake headers do not fit in the request buffer";
          return -1;
        }
      }
      return 0;
    }

    case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH:
      // The response headers are still parsed here (gone once established).
      CaptureResponse(wsi);
      if (!request_) return -1;  // only during the handshake, when it is there
      filter_error_ = CheckSubprotocol();
      if (filter_error_.empty()) filter_error_ = CheckExtensionAnswer(request_->vhost.deflate_offer, extensions_);
      return filter_error_.empty() ? 0 : -1;  // -1: lws fails the handshake

    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
      if (sink_) sink_->OnPong(static_cast<const uint8_t*>(in), len);
      return 0;

    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
      last_error_ = terminated_               ? std::string("closed before the connection was established")
                    : !filter_error_.empty() ? filter_error_
                                             : LwsErrorText(in);
      if (!terminated_ && filter_error_.empty()) DescribeProxyFailure();
      CaptureResponse(wsi);  // a refused handshake (e.g. 401) still has its headers here
      if (!sink_ || aborted_) {
        Finish();
        return 0;
      }
      if (state_ == State::kConnecting && next_address_ < addresses_.size() && !terminated_ && !proxy_refused_) {
        // Try the next address of the name (e.g. ::1 refused, then 127.0.0.1).
        retry_scheduled_ = true;
        engine_.Defer([this] {
          retry_scheduled_ = false;
          if (!sink_ || terminated_) {
            if (sink_) Fail(DescribeFailure());
            Finish();
            ReleaseIfDone();
            return;
          }
          ConnectToNextAddress();
        });
        return 0;
      }
      Fail(DescribeFailure());
      // After a refused handshake (e.g. a 302) lws may keep the socket for HTTP keep-alive:
      // this connection is over, so make sure the socket goes too.
      KillSoon();
      return 0;
    }

    case LWS_CALLBACK_CLIENT_ESTABLISHED: {
      state_ = State::kOpen;
      lws_netstack_set_rx_limit(wsi, max_message_bytes_);
      if (!request_->auto_pong) lws_netstack_set_auto_pong(wsi, 0);
      StopHandshakeTimer();
      if (!extensions_.empty()) {
        // lws inflates and deflates 1 KiB per step by default, and each deflated KiB
        // becomes a frame of its own sent on a later POLLOUT: use 64 KiB steps (the
        // buffers are allocated only once a message is compressed; fails harmlessly when
        // permessage-deflate was not negotiated).
        lws_set_extension_option(wsi, "permessage-deflate", "rx_buf_size", "16");
        lws_set_extension_option(wsi, "permessage-deflate", "tx_buf_size", "16");
      }
      if (sink_) {
        OpenInfo info;
        info.http_status = response_.status ? response_.status : 101;
        info.status_text = StatusText(info.http_status);
        info.protocol = protocol_;
        info.extensions = extensions_;
        info.response = &response_;
        sink_->OnOpen(info);
      }
      ReleaseHandshakeData();
      if (!send_queue_.empty() || close_requested_) RequestWritable();
      return 0;
    }

    case LWS_CALLBACK_CLIENT_RECEIVE:
      return Receive(wsi, static_cast<const uint8_t*>(in), len);

    case LWS_CALLBACK_CLIENT_WRITEABLE:
      return WriteQueued(wsi);

    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
      peer_closed_ = true;
      const auto* payload = static_cast<const uint8_t*>(in);
      if (payload && len >= 2) {
        peer_close_code_ = static_cast<uint16_t>((payload[0] << 8) | payload[1]);
        peer_close_reason_.assign(reinterpret_cast<const char*>(payload) + 2, len - 2);
      }
      return 0;  // lws answers with the close frame
    }

    case LWS_CALLBACK_CLIENT_CLOSED: {
      state_ = State::kClosed;  // what was not handed to the kernel by now is lost, not sent
      const int lws_close_code = lws_netstack_close_code(wsi);
      if (!peer_closed_ && !close_sent_ && lws_close_code && !failure_code_) {
        failure_code_ = static_cast<uint16_t>(lws_close_code);
        // lws failed the connection itself (the peer broke the protocol) and told the
        // peer why in its close frame: report that code as an error.
        const int code = lws_close_code;
        if (sink_) {
          sink_->OnError(code == LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE ? WEBSOCKET_DATA_LENGTH_EXCEEDS
                                                                    : WEBSOCKET_PROTOCOL_ERROR,
                         "the connection was failed with close code " + std::to_string(code) +
                             (code == 1007 ? " (invalid UTF-8 in a text message or close reason)"
                              : code == 1002 ? " (the server violated the WebSocket protocol)"
                                             : ""),
                         nullptr);
        }
      }
      if (sink_) {
        CloseInfo info;
        if (peer_closed_) {
          info.code = peer_close_code_;
          info.reason = peer_close_reason_;
          info.clean = true;
        } else if (close_sent_) {
          info.code = close_code_ != 0 ? close_code_ : 1005;  // our close had no status code
          info.reason = close_reason_;
          info.clean = true;
        } else if (failure_code_) {
          // We failed the connection (RFC 6455 7.1.7): the code we sent, not a clean close.
          info.code = failure_code_;
          info.clean = false;
        } else {
          info.code = 1006;
          info.clean = false;
        }
        sink_->OnClose(info);
      }
      Finish();
      return 0;
    }

    case LWS_CALLBACK_WSI_DESTROY: {
      wsi_ = nullptr;
      if (retry_scheduled_) return 0;
      if (!finished_) {
        // Destroyed without a CLOSED or CONNECTION_ERROR report: still end cleanly.
        if (state_ == State::kOpen || state_ == State::kClosing) {
          CloseInfo info;
          info.code = 1006;
          if (sink_) sink_->OnClose(info);
          Finish();
        } else {
          Fail(DescribeFailure());
        }
      }
      ReleaseIfDone();  // may delete this
      return 0;
    }

    default:
      return 0;
  }
}

int Connection::Receive(lws* wsi, const uint8_t* data, size_t len) {
  if (!sink_) return 0;  // detached: nobody to deliver to
  const bool message_complete = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
  if (rx_sink_room_) {
    const size_t room_left = rx_sink_room_size_ - rx_sink_room_filled_;
    if (len > room_left || (message_complete && len != room_left)) {  // cannot be: the frame's size was known
      rx_sink_room_ = nullptr;
      rx_in_message_ = false;
      goto too_large;
    }
    std::memcpy(rx_sink_room_ + rx_sink_room_filled_, data, len);
    rx_sink_room_filled_ += len;
    if (message_complete) {
      uint8_t* room = rx_sink_room_;
      rx_sink_room_ = nullptr;
      rx_in_message_ = false;
      sink_->OnMessage(room, rx_sink_room_size_, rx_binary_, nullptr);
    }
    return 0;
  }
  if (!rx_in_message_) {
    rx_binary_ = lws_frame_is_binary(wsi);
    if (message_complete) {  // the whole message in one piece: no reassembly
      if (max_message_bytes_ && len > max_message_bytes_) goto too_large;
      if (sink_) sink_->OnMessage(data, len, rx_binary_, nullptr);
      return 0;
    }
    rx_in_message_ = true;
    rx_message_.clear();
    // Room for the rest of this frame at once (more frames may follow, rarely).
    size_t expected = len + lws_remaining_packet_payload(wsi);
    if (max_message_bytes_ && expected > max_message_bytes_) goto too_large;
    // One uncompressed frame is the whole message: its size is known now, so the sink may
    // give the room for it (it is written there once instead of copied there at the end).
    if (lws_netstack_frame_is_final(wsi) && extensions_.empty()) {
      if (uint8_t* room = sink_->ReserveMessage(expected)) {
        rx_sink_room_ = room;
        rx_sink_room_size_ = expected;
        rx_sink_room_filled_ = 0;
        return Receive(wsi, data, len);
      }
    }
    rx_message_.reserve(expected);
  }
  if (max_message_bytes_ && rx_message_.size() + len > max_message_bytes_) goto too_large;
  rx_message_.insert(rx_message_.end(), data, data + len);
  if (max_message_bytes_) {  // the next frame of this message may bring only the rest
    lws_netstack_set_rx_limit(wsi, message_complete ? max_message_bytes_
                                                    : max_message_bytes_ - rx_message_.size());
  }
  if (message_complete) {
    rx_in_message_ = false;
    if (sink_) sink_->OnMessage(rx_message_.data(), rx_message_.size(), rx_binary_, &rx_message_);
    rx_message_.clear();  // keeps its capacity for the next message (unless the sink took it)
  }
  return 0;

too_large:
  rx_in_message_ = false;
  rx_message_.clear();
  rx_message_.shrink_to_fit();
  if (sink_) {
    sink_->OnError(WEBSOCKET_DATA_LENGTH_EXCEEDS,
                   "a received message exceeds the limit of " + std::to_string(max_message_bytes_) +
                       " bytes",
                   nullptr);
  }
  static const char kReason[] = "message too big";
  failure_code_ = LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE;
  lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                   reinterpret_cast<unsigned char*>(const_cast<char*>(kReason)), sizeof kReason - 1);
  return -1;
}

void Connection::SetCompression(lws* wsi, size_t length) {
  // Only matters once permessage-deflate is negotiated; lws ignores it otherwise.
  if (compress_threshold_ == 0 || extensions_.empty()) return;
  const bool small = length < compress_threshold_;
  if (small != compression_off_) {
    lws_netstack_set_no_compress(wsi, small);
    compression_off_ = small;
  }
}

void Connection::ReportSent() {
  // Only when someone waits for it: an OnSent per message would cost a JS call each.
  if (last_written_id_ > last_reported_sent_ && notify_up_to_ > last_reported_sent_) {
    last_reported_sent_ = last_written_id_;
    if (sink_) sink_->OnSent(last_reported_sent_);
  }
}

int Connection::WriteQueued(lws* wsi) {
  // lws only calls WRITEABLE once its own buffer of a partial write is flushed and
  // permessage-deflate has compressed all of the last message, so everything written
  // before has left the process now and its payload is no longer read.
  unflushed_bytes_ = 0;
  draining_queued_bytes_.reset();
  if (stream_.frame) {
    // The rest of a large frame first; once it is complete, the next WRITEABLE carries on
    // (after what lws held back meanwhile).
    return ContinueStream() ? 0 : -1;
  }
  if (!WriteBatch()) return -1;  // left from before (e.g. a ping or close was asked for)
  ReportSent();
  while (!send_queue_.empty()) {
    // Stop as soon as lws holds part of a frame or is still compressing a message (our
    // frames must not go between its fragments); WRITEABLE comes again once it is done.
    // (lws_send_pipe_choked would cost a poll() each.) The batch is empty here: it is
    // written before anything else is.
    if (lws_netstack_write_pending(wsi)) {
      lws_callback_on_writable(wsi);
      return 0;
    }
    OutgoingMessage& message = send_queue_.front();
    const size_t length = message.length;
    // Small frames are framed into one batch, written as one (up to kBatchFlushBytes).
    const bool control = message.kind == FrameKind::kPing || message.kind == FrameKind::kPong;
    if (!control && CanBatch(length) && batch_.size() < kBatchFlushBytes) {
      if (uint8_t* payload = AppendToBatch(message.kind, length, message.id)) {
        if (length) std::memcpy(payload, message.payload(), length);
        CommitBatchedFrame();
        queued_bytes_ -= length;
        send_queue_.pop_front();
        continue;
      }
    }
    if (!batch_.empty()) {
      if (!WriteBatch()) return -1;
      continue;  // this message again, once the batch is out
    }
    if (!control && CanStream(length) &&
        PrepareStream(std::move(message.bytes), length, message.kind, message.id)) {
      queued_bytes_ -= length;
      send_queue_.pop_front();
      StartStream();
      return ContinueStream() ? 0 : -1;
    }
    lws_write_protocol protocol = message.kind == FrameKind::kPing     ? LWS_WRITE_PING
                                  : message.kind == FrameKind::kPong   ? LWS_WRITE_PONG
                                  : message.kind == FrameKind::kBinary ? LWS_WRITE_BINARY
                                                                       : LWS_WRITE_TEXT;
    if (!control) SetCompression(wsi, length);
    int written = lws_write(wsi, message.payload(), length, protocol);
    if (written < 0) return -1;
    if (!control) {
      queued_bytes_ -= length;
      if (NoteWritten(message.id, length)) draining_queued_bytes_ = std::move(message.bytes);
    }
    send_queue_.pop_front();
  }
  if (!WriteBatch()) return -1;
  if (lws_netstack_write_pending(wsi)) {
    lws_callback_on_writable(wsi);  // report OnSent once lws has flushed the rest
  } else {
    ReportSent();
  }
  if (close_requested_ && state_ == State::kOpen) {
    state_ = State::kClosing;
    close_sent_ = true;
    // Code 0: a close frame without a status code (patches/lws/0080); the peer sees 1005.
    lws_close_reason(wsi, static_cast<lws_close_status>(close_code_),
                     reinterpret_cast<unsigned char*>(close_reason_.data()), close_reason_.size());
    return -1;  // lws sends the close frame and waits for the peer's
  }
  return 0;
}

namespace {

std::string LowerCaseHeaderName(const char* name, size_t length) {
  std::string out(name, length);
  while (!out.empty() && (out.back() == ':' || out.back() == ' ')) out.pop_back();
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct CustomHeaderCollector {
  lws* wsi;
  HttpResponse* response;
};

}  // namespace

void Connection::CaptureResponse(lws* wsi) {
  if (have_response_) return;
  char status[64] = {0};  // lws_hdr_copy fails outright if the value does not fit
  if (lws_hdr_copy(wsi, status, sizeof status, WSI_TOKEN_HTTP) <= 0) return;  // no response (yet)
  have_response_ = true;
  response_.status = std::atoi(status);
  std::vector<char> value;
  for (int token = 0; token < static_cast<int>(_WSI_TOKEN_CLIENT_SENT_PROTOCOLS); ++token) {
    const auto index = static_cast<lws_token_indexes>(token);
    if (index == WSI_TOKEN_HTTP) continue;
    int length = lws_hdr_total_length(wsi, index);
    if (length <= 0) continue;
    const char* name = reinterpret_cast<const char*>(lws_token_to_string(index));
    if (!name || !*name || name[std::strlen(name) - 1] != ':' || name[0] == ':') continue;
    value.assign(static_cast<size_t>(length) + 1, '\0');
    if (lws_hdr_copy(wsi, value.data(), length + 1, index) < 0) continue;
    response_.headers.emplace_back(LowerCaseHeaderName(name, std::strlen(name)), std::string(value.data()));
  }
  CustomHeaderCollector collector{wsi, &response_};
  lws_hdr_custom_name_foreach(
      wsi,
      [](const char* name, int name_length, void* opaque) {
        auto* c = static_cast<CustomHeaderCollector*>(opaque);
        int length = lws_hdr_custom_length(c->wsi, name, name_length);
        if (length < 0) return;
        std::vector<char> buffer(static_cast<size_t>(length) + 1, '\0');
        if (lws_hdr_custom_copy(c->wsi, buffer.data(), length + 1, name, name_length) < 0) return;
        c->response->headers.emplace_back(LowerCaseHeaderName(name, static_cast<size_t>(name_length)),
                                          std::string(buffer.data()));
      },
      &collector);
  if (response_.status != 101) {
    // The upgrade was refused: keep the start of the body (a 401's or 403's explanation).
    const uint8_t* body = nullptr;
    size_t length = lws_netstack_pending_input(wsi, &body);
    if (body && length) response_.body.assign(reinterpret_cast<const char*>(body), std::min(length, HttpResponse::kMaxBodyBytes));
  }
  extensions_.clear();
  for (const auto& header : response_.headers) {
    if (header.first == "sec-websocket-protocol") protocol_ = header.second;
    // Several header lines make one list (RFC 7230 3.2.2); CheckExtensionAnswer judges it.
    if (header.first == "sec-websocket-extensions") {
      extensions_ += (extensions_.empty() ? "" : ", ") + header.second;
    }
  }
}

}  // namespace netstack
