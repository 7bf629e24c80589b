#include "connection.h"

#include <libwebsockets.h>

#include <atomic>

#include "engine.h"
#include "frame_writer.h"
#include "handshake_response.h"
#include "lws_netstack.h"

namespace netstack {
namespace {

std::atomic<size_t> g_live_connections{0};

// A detached connection (Destroy) gets this long to finish its closing handshake; then it
// is dropped, whatever state lws is in.
constexpr int kDetachedCloseSeconds = 5;

}  // namespace

size_t Connection::LiveCount() { return g_live_connections.load(); }

Connection::Connection(Engine& engine, ConnectRequest request, ConnectionSink* sink)
    : engine_(engine),
      sink_(sink),
      assembler_(request.max_message_bytes),
      receive_(engine),
      outbox_(engine, *this, request.compress_threshold),
      connector_(engine, std::move(request), *this, holds_, this, &wsi_) {
  ++g_live_connections;
}

// Only reached through Engine::Release (nothing held on the loop) or engine teardown.
Connection::~Connection() { --g_live_connections; }

void Connection::Start() { connector_.Start(); }

void Connection::SetState(State state) {
  state_ = state;
  if (state != State::kOpen) outbox_.Shut();  // the outbox writes only while open
}

bool Connection::TakesMessages() const {
  return !ended_ && !close_.requested && !close_.peer_closed && state_ != State::kClosing &&
         state_ != State::kClosed;
}

uint8_t* Connection::BeginSend(size_t length, bool binary, bool notify, uint64_t* id) {
  if (!TakesMessages()) return nullptr;
  return outbox_.BeginSend(length, binary, notify, id);
}

uint64_t Connection::Send(const uint8_t* data, size_t length, bool binary, bool notify) {
  if (!TakesMessages()) return 0;
  return outbox_.Send(data, length, binary, notify);
}

bool Connection::Ping(const uint8_t* data, size_t length) { return QueueControl(false, data, length); }

bool Connection::Pong(const uint8_t* data, size_t length) { return QueueControl(true, data, length); }

bool Connection::QueueControl(bool pong, const uint8_t* data, size_t length) {
  // (A ping is still taken after the peer's close, unlike a message; lws drops it.)
  if (length > kMaxControlPayload || ended_ || close_.requested || state_ == State::kClosing ||
      state_ == State::kClosed) {
    return false;
  }
  outbox_.QueueControl(pong, data, length);
  return true;
}

void Connection::Terminate() {
  connector_.Abandon();
  outbox_.DropBatch();
  switch (state_) {
    case State::kResolving:
      connector_.CancelLookup();  // the connector reports the end once it comes back
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

bool Connection::Close(uint16_t code, std::string reason) {
  if (ended_ || state_ == State::kClosed || close_.failure_code) return false;
  if (close_.requested || state_ == State::kClosing) return true;
  if (state_ == State::kResolving || state_ == State::kConnecting) {
    // No handshake to close yet: abandon the attempt (an error ends it, as for any
    // connection that never opened).
    Terminate();
    return true;
  }
  close_.requested = true;
  receive_.Resume();  // the peer's close frame must be read
  close_.code = code == 0 && !reason.empty() ? 1000 : code;  // a reason needs a status code
  close_.reason = std::move(reason);
  outbox_.RequestWritable();  // the close goes out once the outbox is drained
  return true;
}

void Connection::Detach() {
  sink_ = nullptr;
  assembler_.ForgetSinkRoom();  // the sink's memory: never touched again
  switch (state_) {
    case State::kResolving:
      connector_.CancelLookup();  // the connector ends it once the lookup comes back
      break;
    case State::kConnecting:
      KillSoon();
      break;
    case State::kOpen:
      Close(1001, "");
      KillSoon(kDetachedCloseSeconds);  // don't wait long for the peer
      break;
    case State::kClosing:
      KillSoon(kDetachedCloseSeconds);  // whatever lws is waiting for
      break;
    case State::kClosed:
      break;
  }
  if (ended_) ReleaseIfDone();
}

void Connection::AbortForShutdown() {
  ConnectionSink* sink = sink_;
  sink_ = nullptr;
  assembler_.ForgetSinkRoom();
  ended_ = true;
  SetState(State::kClosed);
  if (sink) sink->OnEngineShutdown();
  connector_.CancelLookup();
  // Its close callback releases the hold: left running, the timer held this connection
  // until it fired, and then did nothing (not connecting any more), so the engine's
  // shutdown waited for good (worker.terminate() never finished).
  connector_.StopHandshakeTimer();
  // lws_context_destroy closes the wsi; its WSI_DESTROY releases this connection.
  ReleaseIfDone();
}

size_t Connection::ReleaseIdleBuffers() {
  if (received_lately_) {
    received_lately_ = false;
    return 0;
  }
  if (state_ != State::kOpen || !wsi_) return 0;
  return lws_netstack_release_idle_buffers(wsi_) + assembler_.ReleaseIdleMemory();
}

void Connection::PauseReceiving() {
  if (ended_ || close_.requested || close_.peer_closed || state_ == State::kClosing || state_ == State::kClosed) {
    return;
  }
  receive_.Pause();
}

void Connection::ResumeReceiving() { receive_.Resume(); }

void Connection::Fail(const std::string& message) {
  SetState(State::kClosed);
  connector_.StopHandshakeTimer();
  if (sink_) sink_->OnError(ConnectionError::kConnectFailed, message, connector_.response(), &connector_.failure());
  Finish();
}

void Connection::Finish() {
  if (ended_) return;
  ended_ = true;
  connector_.StopHandshakeTimer();
  SetState(State::kClosed);
  outbox_.Clear();
  ConnectionSink* sink = sink_;
  sink_ = nullptr;
  assembler_.ForgetSinkRoom();  // the sink's memory: never touched again
  if (sink) sink->OnFinished();
}

void Connection::ReleaseIfDone() {
  if (ended_ && holds_.none()) engine_.Release(this);  // deletes this
}

void Connection::KillSoon(int within_seconds) {
  if (!wsi_) return;
  // A kill asked this way is final: lws may not postpone or cancel it (patches/lws/0023).
  lws_set_timeout(wsi_, PENDING_TIMEOUT_KILLED_BY_PARENT, within_seconds > 0 ? within_seconds : LWS_TO_KILL_ASYNC);
  // The timeout only takes effect when lws next looks at its timers: wake it now.
  lws_cancel_service(engine_.context());
}

void Connection::OnConnectFailed(const std::string& message) {
  Fail(message);
  ReleaseIfDone();  // may delete this
}

void Connection::OnConnectAbandoned() {
  Finish();
  ReleaseIfDone();  // may delete this
}

void Connection::OnHandshakeTimeout(const std::string& message) {
  Fail(message);
  KillSoon();
}

void Connection::OnSent(uint64_t up_to_id) {
  if (sink_) sink_->OnSent(up_to_id);
}

int Connection::HandleLwsEvent(lws* wsi, int reason_value, void* in, size_t len) {
  // Events of the connect call and of earlier attempts are the connector's (it may free
  // this connection then).
  if (connector_.InterceptAttemptEvent(wsi, reason_value, in)) return 0;
  if (reason_value == kLwsReceivePing) {  // not one of lws's own reasons (patches/lws/0081)
    if (sink_) sink_->OnPing(static_cast<const uint8_t*>(in), len);
    return 0;
  }

  switch (static_cast<lws_callback_reasons>(reason_value)) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
      return connector_.AppendHeaders(wsi, in, len);

    case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH:
      return connector_.CheckResponse(wsi);

    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      connector_.NoteConnectionError(wsi, in);
      if (!sink_) {
        Finish();
      } else if (state_ == State::kConnecting && connector_.CanRetry()) {
        connector_.RetrySoon();
      } else {
        Fail(connector_.DescribeFailure());
        // After a refused handshake (e.g. a 302) lws may keep the socket for HTTP
        // keep-alive: this connection is over, so make sure the socket goes too.
        KillSoon();
      }
      return 0;

    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      OnEstablished(wsi);
      return 0;

    case LWS_CALLBACK_CLIENT_RECEIVE:
      received_lately_ = true;
      return Receive(wsi, static_cast<const uint8_t*>(in), len);

    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
      if (sink_) sink_->OnPong(static_cast<const uint8_t*>(in), len);
      return 0;

    case LWS_CALLBACK_CLIENT_WRITEABLE:
      return OnWriteable(wsi);

    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
      if (!close_.peer_closed) close_.peer_answered = close_.sent;
      close_.peer_closed = true;
      outbox_.StopDataFrames();
      const auto* payload = static_cast<const uint8_t*>(in);
      if (payload && len >= 2) {
        close_.peer_code = static_cast<uint16_t>((payload[0] << 8) | payload[1]);
        close_.peer_reason.assign(reinterpret_cast<const char*>(payload) + 2, len - 2);
      }
      return 0;  // lws answers with the close frame
    }

    case LWS_CALLBACK_CLIENT_CLOSED:
      OnClosed(wsi);
      return 0;

    case LWS_CALLBACK_WSI_DESTROY:
      OnSocketDestroyed();  // may delete this
      return 0;

    default:
      return 0;
  }
}

void Connection::OnEstablished(lws* wsi) {
  SetState(State::kOpen);
  lws_netstack_set_rx_limit(wsi, assembler_.max_message_bytes());
  if (!connector_.auto_pong()) lws_netstack_set_auto_pong(wsi, 0);
  connector_.OnEstablished();
  const bool compressed = !connector_.extensions().empty();
  if (compressed) {
    // lws inflates and deflates 1 KiB per step by default, and each deflated KiB becomes a
    // frame of its own sent on a later POLLOUT: use 64 KiB steps (the buffers are
    // allocated only once a message is compressed; fails harmlessly when
    // permessage-deflate was not negotiated).
    lws_set_extension_option(wsi, "permessage-deflate", "rx_buf_size", "16");
    lws_set_extension_option(wsi, "permessage-deflate", "tx_buf_size", "16");
  }
  assembler_.set_compressed(compressed);
  outbox_.Open(wsi, compressed);
  receive_.Attach(wsi);
  if (sink_) {
    const HttpResponse& response = connector_.handshake_response();
    OpenInfo info;
    info.http_status = response.status ? response.status : 101;
    info.status_text = StatusText(info.http_status);
    info.protocol = connector_.protocol();
    info.extensions = connector_.extensions();
    info.response = &response;
    sink_->OnOpen(info);
  }
  connector_.ReleaseHandshakeData();
  if (outbox_.has_queued() || close_.requested) outbox_.RequestWritable();
}

int Connection::Receive(lws* wsi, const uint8_t* data, size_t len) {
  if (!sink_) return 0;  // detached: nobody to deliver to
  IncomingPiece piece;
  piece.binary = lws_frame_is_binary(wsi);
  piece.frame_remaining = lws_remaining_packet_payload(wsi);
  piece.message_complete = lws_is_final_fragment(wsi) && piece.frame_remaining == 0;
  piece.frame_final = lws_netstack_frame_is_final(wsi);
  const MessageAssembler::Result result = assembler_.Add(data, len, piece, *sink_);
  // (What is left may be nothing: then only empty frames may follow.)
  if (result.limit_changed) lws_netstack_set_rx_room(wsi, result.frame_limit);
  if (!result.too_large) return 0;
  close_.failure_code = LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE;  // failing: nothing left to close
  if (sink_) {
    sink_->OnError(ConnectionError::kMessageTooBig,
                   "a received message exceeds the limit of " + std::to_string(assembler_.max_message_bytes()) +
                       " bytes",
                   nullptr, nullptr);
  }
  static const char kReason[] = "message too big";
  lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                   reinterpret_cast<unsigned char*>(const_cast<char*>(kReason)), sizeof kReason - 1);
  return -1;
}

int Connection::OnWriteable(lws* wsi) {
  switch (outbox_.OnWriteable(wsi)) {
    case Outbox::WriteResult::kFailed:
      return -1;
    case Outbox::WriteResult::kWaiting:
      return 0;
    case Outbox::WriteResult::kDrained:
      break;
  }
  if (close_.requested && state_ == State::kOpen) {
    SetState(State::kClosing);
    close_.sent = true;
    // Code 0: a close frame without a status code (patches/lws/0080); the peer sees 1005.
    lws_close_reason(wsi, static_cast<lws_close_status>(close_.code),
                     reinterpret_cast<unsigned char*>(close_.reason.data()), close_.reason.size());
    return -1;  // lws sends the close frame and waits for the peer's
  }
  return 0;
}

void Connection::OnClosed(lws* wsi) {
  SetState(State::kClosed);  // what was not handed to the kernel by now is lost, not sent
  // lws closes the socket after this: it lingers instead, so that the peer gets our FIN
  // after what we sent last, not a reset (LingeringSockets).
  const lws_sockfd_type fd = lws_get_socket_fd(wsi);
  if (fd != LWS_SOCK_INVALID && !engine_.shutting_down()) engine_.lingering_sockets().Adopt(fd, close_.peer_answered);
  receive_.Detach();
  const int lws_close_code = lws_netstack_close_code(wsi);
  if (close_.NoteClosedWith(lws_close_code) && sink_) {
    const uint16_t code = close_.failure_code;
    sink_->OnError(ClosingHandshake::FailureError(code), ClosingHandshake::FailureMessage(code), nullptr, nullptr);
  }
  if (sink_) sink_->OnClose(close_.Outcome());
  Finish();
}

void Connection::OnSocketDestroyed() {
  wsi_ = nullptr;
  holds_.Set(Hold::kSocket, false);
  outbox_.Shut();
  receive_.Detach();
  if (holds_.Has(Hold::kDeferredStep)) return;  // a retry on the next address follows
  if (!ended_) {
    // Destroyed without a CLOSED or CONNECTION_ERROR report: still end cleanly.
    if (state_ == State::kOpen || state_ == State::kClosing) {
      SetState(State::kClosed);
      CloseInfo info;
      info.code = 1006;
      if (sink_) sink_->OnClose(info);
      Finish();
    } else {
      Fail(connector_.DescribeFailure());
    }
  }
  ReleaseIfDone();  // may delete this
}

}  // namespace netstack
