#include "connection.h"

#include <libwebsockets.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "connection_sink.h"
#include "engine.h"
#include "oh_error_codes.h"

namespace netstack {
namespace {

std::atomic<size_t> g_live_connections{0};

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
    : engine_(engine), request_(std::move(request)), sink_(sink) {
  ++g_live_connections;
}

Connection::~Connection() {
  // Only reached through Engine::Release (nothing pending on the loop) or engine teardown.
  --g_live_connections;
}

void Connection::Start() {
  resolve_req_ = new uv_getaddrinfo_t;
  resolve_req_->data = this;
  struct addrinfo hints;
  std::memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  // On the libuv thread pool: a slow resolver never blocks the loop.
  int rc = uv_getaddrinfo(engine_.loop(), resolve_req_, OnResolved, request_.url.host.c_str(), nullptr, &hints);
  if (rc != 0) {
    delete resolve_req_;
    resolve_req_ = nullptr;
    last_error_ = std::string("cannot resolve ") + request_.url.host + ": " + uv_strerror(rc);
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

  if (!self->sink_) {  // detached or aborted while resolving
    self->Finish();
    self->ReleaseIfDone();
    return;
  }
  if (status != 0 || self->addresses_.empty()) {
    self->Fail("cannot resolve host '" + self->request_.url.host + "': " +
               (status != 0 ? uv_strerror(status) : "no address"));
    self->ReleaseIfDone();
    return;
  }
  self->state_ = State::kConnecting;
  self->ConnectToNextAddress();
}

void Connection::ConnectToNextAddress() {
  const WebSocketUrl& url = request_.url;
  const std::string host_header = url.HostHeader();
  while (next_address_ < addresses_.size()) {
    const std::string& address = addresses_[next_address_++];
    lws_client_connect_info info;
    std::memset(&info, 0, sizeof info);
    info.context = engine_.context();
    info.address = address.c_str();
    info.port = url.port;
    info.path = url.path.c_str();
    info.host = host_header.c_str();
    info.origin = request_.origin.empty() ? nullptr : request_.origin.c_str();
    info.protocol = request_.protocols.empty() ? nullptr : request_.protocols.c_str();
    info.local_protocol_name = "netstack-websocket";
    info.alpn = "http/1.1";
    info.userdata = this;
    info.pwsi = &wsi_;
    if (url.tls) {
      info.ssl_connection = LCCSCF_USE_SSL;
      if (!request_.verify_tls) {
        info.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                               LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
      }
    }
    in_connect_call_ = true;
    lws* wsi = lws_client_connect_via_info(&info);
    in_connect_call_ = false;
    if (wsi) {
      wsi_ = wsi;
      return;
    }
    wsi_ = nullptr;
  }
  Fail(DescribeFailure());
  ReleaseIfDone();
}

std::string Connection::DescribeFailure() const {
  std::string message = "cannot connect to " + std::string(request_.url.tls ? "wss://" : "ws://") +
                        request_.url.HostHeader();
  if (!last_error_.empty()) message += ": " + last_error_;
  return message;
}

void Connection::Fail(const std::string& message) {
  state_ = State::kClosed;
  if (sink_) sink_->OnError(WEBSOCKET_CONNECTION_ERROR, message);
  Finish();
}

void Connection::Finish() {
  if (finished_) return;
  finished_ = true;
  state_ = State::kClosed;
  send_queue_.clear();
  queued_bytes_ = 0;
  ConnectionSink* sink = sink_;
  sink_ = nullptr;
  if (sink) sink->OnFinished();
}

void Connection::ReleaseIfDone() {
  if (finished_ && !wsi_ && !resolve_req_ && !retry_scheduled_) engine_.Release(this);  // deletes this
}

void Connection::RequestWritable() {
  if (wsi_ && state_ == State::kOpen) lws_callback_on_writable(wsi_);
}

bool Connection::Send(const uint8_t* data, size_t length, bool binary) {
  if (finished_ || close_requested_ || state_ == State::kClosing || state_ == State::kClosed) return false;
  OutgoingMessage message;
  message.binary = binary;
  message.bytes.resize(LWS_PRE + length);  // lws masks in place and writes its header before the payload
  if (length) std::memcpy(message.bytes.data() + LWS_PRE, data, length);
  send_queue_.push_back(std::move(message));
  queued_bytes_ += length;
  RequestWritable();
  return true;
}

void Connection::Close(uint16_t code, std::string reason) {
  if (finished_ || close_requested_ || state_ == State::kClosing || state_ == State::kClosed) return;
  close_requested_ = true;
  close_code_ = code;
  close_reason_ = std::move(reason);
  RequestWritable();  // if not open yet, the close is sent as soon as it is
}

void Connection::Detach() {
  sink_ = nullptr;
  switch (state_) {
    case State::kResolving:
      if (resolve_req_) uv_cancel(reinterpret_cast<uv_req_t*>(resolve_req_));
      break;  // OnResolved releases
    case State::kConnecting:
      if (wsi_) {
        lws_set_timeout(wsi_, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
        // The timeout only takes effect when lws next looks at its timers: wake it now.
        lws_cancel_service(engine_.context());
      }
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
  finished_ = true;
  state_ = State::kClosed;
  if (sink) sink->OnEngineShutdown();
  if (resolve_req_) uv_cancel(reinterpret_cast<uv_req_t*>(resolve_req_));
  // lws_context_destroy closes the wsi; its WSI_DESTROY releases this connection.
  ReleaseIfDone();
}

int Connection::HandleLwsEvent(lws* wsi, int reason_value, void* in, size_t len) {
  const auto reason = static_cast<lws_callback_reasons>(reason_value);
  if (in_connect_call_) {
    // Inside lws_client_connect_via_info: remember why, ConnectToNextAddress decides.
    if (reason == LWS_CALLBACK_CLIENT_CONNECTION_ERROR) last_error_ = LwsErrorText(in);
    return 0;
  }
  if (wsi != wsi_) return 0;  // a wsi of an earlier attempt

  switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
      auto** cursor = static_cast<unsigned char**>(in);
      unsigned char* end = *cursor + len;
      for (const auto& header : request_.headers) {
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

    case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH: {
      // The response headers are still parsed here (gone once established).
      char status[64] = {0};  // lws_hdr_copy fails outright if the value does not fit
      if (lws_hdr_copy(wsi, status, sizeof status, WSI_TOKEN_HTTP) > 0) http_status_ = std::atoi(status);
      return 0;
    }

    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
      last_error_ = LwsErrorText(in);
      if (!sink_ || aborted_) {
        Finish();
        return 0;
      }
      if (state_ == State::kConnecting && next_address_ < addresses_.size()) {
        // Try the next address of the name (e.g. ::1 refused, then 127.0.0.1).
        retry_scheduled_ = true;
        engine_.Defer([this] {
          retry_scheduled_ = false;
          if (!sink_) {
            Finish();
            ReleaseIfDone();
            return;
          }
          ConnectToNextAddress();
        });
        return 0;
      }
      Fail(DescribeFailure());
      return 0;
    }

    case LWS_CALLBACK_CLIENT_ESTABLISHED: {
      state_ = State::kOpen;
      if (sink_) {
        OpenInfo info;
        info.http_status = http_status_;
        info.status_text = StatusText(info.http_status);
        sink_->OnOpen(info);
      }
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
      state_ = State::kClosed;
      if (sink_) {
        CloseInfo info;
        if (peer_closed_) {
          info.code = peer_close_code_;
          info.reason = peer_close_reason_;
          info.clean = true;
        } else if (close_sent_) {
          info.code = close_code_;
          info.reason = close_reason_;
          info.clean = true;
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
  const bool message_complete = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
  if (!rx_in_message_) {
    rx_binary_ = lws_frame_is_binary(wsi);
    if (message_complete) {  // the whole message in one piece: no copy
      if (len > request_.max_message_bytes) goto too_large;
      if (sink_) sink_->OnMessage(data, len, rx_binary_);
      return 0;
    }
    rx_in_message_ = true;
    rx_message_.clear();
  }
  if (rx_message_.size() + len > request_.max_message_bytes) goto too_large;
  rx_message_.insert(rx_message_.end(), data, data + len);
  if (message_complete) {
    rx_in_message_ = false;
    if (sink_) sink_->OnMessage(rx_message_.data(), rx_message_.size(), rx_binary_);
    rx_message_.clear();
  }
  return 0;

too_large:
  rx_in_message_ = false;
  rx_message_.clear();
  rx_message_.shrink_to_fit();
  if (sink_) {
    sink_->OnError(WEBSOCKET_DATA_LENGTH_EXCEEDS,
                   "a received message exceeds the limit of " + std::to_string(request_.max_message_bytes) +
                       " bytes");
  }
  static const char kReason[] = "message too big";
  close_sent_ = true;
  close_code_ = LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE;
  close_reason_ = kReason;
  lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                   reinterpret_cast<unsigned char*>(const_cast<char*>(kReason)), sizeof kReason - 1);
  return -1;
}

int Connection::WriteQueued(lws* wsi) {
  while (!send_queue_.empty()) {
    if (lws_send_pipe_choked(wsi)) {
      lws_callback_on_writable(wsi);
      return 0;
    }
    OutgoingMessage& message = send_queue_.front();
    const size_t length = message.bytes.size() - LWS_PRE;
    int written = lws_write(wsi, message.bytes.data() + LWS_PRE, length,
                            message.binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
    if (written < 0) return -1;
    queued_bytes_ -= length;
    send_queue_.pop_front();
  }
  if (close_requested_ && state_ == State::kOpen) {
    state_ = State::kClosing;
    close_sent_ = true;
    lws_close_reason(wsi, static_cast<lws_close_status>(close_code_),
                     reinterpret_cast<unsigned char*>(close_reason_.data()), close_reason_.size());
    return -1;  // lws sends the close frame and waits for the peer's
  }
  return 0;
}

}  // namespace netstack
