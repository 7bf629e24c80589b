// One WebSocket client connection: its state machine and the dispatch of its lws events.
// The work is done by the units it owns: the Connector (name lookup, connect attempts,
// the opening handshake), the Outbox (everything sent, and "left the process" reports),
// the MessageAssembler (whole messages out of received pieces) and the ReceiveGate
// (whether the socket is read: receive flow control). The Connection
// decides what a message or a close may do in each state, and when its story ends.
//
// Lifecycle: the sink hears OnOpen (maybe), messages, OnError (maybe), OnClose (once it
// was open) and last OnFinished, exactly once (or OnEngineShutdown instead, when the
// engine goes away). The object itself is freed once that story has ended and the loop
// holds nothing of it any more (LoopHolds): never under a callback still to come.
// Owned by its Engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "closing_handshake.h"
#include "connect_request.h"
#include "connection_sink.h"
#include "connector.h"
#include "loop_holds.h"
#include "message_assembler.h"
#include "outbox.h"
#include "receive_gate.h"

struct lws;

namespace netstack {

class Engine;

class Connection : private ConnectorOwner, private OutboxEvents {
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
  void EndSend() { outbox_.EndSend(); }

  // A ping with up to kMaxControlPayload bytes of payload, after the queued messages.
  bool Ping(const uint8_t* data, size_t length);
  // A pong (up to kMaxControlPayload bytes), after the queued messages: for auto_pong = false.
  bool Pong(const uint8_t* data, size_t length);

  // Drops the connection without a closing handshake (OnClose 1006 follows).
  void Terminate();

  // Starts the closing handshake after the queued messages (not open yet: abandons the
  // attempt). False when there is nothing left to close: the connection ended, or is
  // being failed (e.g. called from OnError or OnClose); true when it closes (or already
  // does).
  bool Close(uint16_t code, std::string reason);

  // No further sink calls; the connection closes (1001) and frees itself.
  void Detach();

  // The engine is being destroyed: tell the sink, drop it, cancel what is pending.
  void AbortForShutdown();

  // Receive flow control: stop reading the socket (the peer's writes stall once the
  // kernel's buffers are full) / read again where it stopped. A pause takes effect at the
  // end of the loop turn, between two reads (ReceiveGate). A closing connection always
  // reads (its closing handshake needs the peer's close frame): Close() resumes, and a
  // pause asked for afterwards is ignored.
  // The engine's IdleSweep tick: when nothing arrived since the previous tick, the receive
  // buffers (lws's frame buffer, permessage-deflate's, the reassembly buffer) are freed;
  // they are made again by the next frame.
  // Returns the bytes freed.
  size_t ReleaseIdleBuffers();
  void PauseReceiving();
  void ResumeReceiving();
  bool receiving_paused() const { return receive_.paused(); }

  State state() const { return state_; }
  size_t buffered_bytes() const { return outbox_.buffered_bytes(); }
  size_t queued_messages() const { return outbox_.queued_messages(); }

  // Dispatch of the lws protocol callback for this connection's wsi.
  int HandleLwsEvent(lws* wsi, int reason, void* in, size_t len);
  // The server certificate check refused a certificate (an X509_STORE_CTX*).
  void NoteCertificateRefused(x509_store_ctx_st* ctx) { connector_.NoteCertificateRefused(ctx); }

  static size_t LiveCount();

  // The callback reason of a received ping (in, len: its payload), added by
  // patches/lws/0081 above lws's own reasons.
  static constexpr int kLwsReceivePing = 1101;

 private:
  // May it take another message?
  bool TakesMessages() const;
  bool QueueControl(bool pong, const uint8_t* data, size_t length);
  void SetState(State state);
  int Receive(lws* wsi, const uint8_t* data, size_t len);
  int OnWriteable(lws* wsi);
  void OnEstablished(lws* wsi);
  void OnClosed(lws* wsi);
  void OnSocketDestroyed();
  // The connection failed (before or without a close): OnError, then the end.
  void Fail(const std::string& message);
  // The end of the story: the sink's last call (OnFinished), once.
  void Finish();
  // Drops the socket within `within_seconds` (0: on the next loop turn), whatever lws waits for.
  void KillSoon(int within_seconds = 0);

  // ConnectorOwner
  bool OutcomeWanted() const override { return sink_ != nullptr; }
  void OnConnecting() override { SetState(State::kConnecting); }
  bool StillConnecting() const override { return state_ == State::kConnecting; }
  void OnConnectFailed(const std::string& message) override;
  void OnConnectAbandoned() override;
  void OnHandshakeTimeout(const std::string& message) override;
  void ReleaseIfDone() override;

  // OutboxEvents
  void OnSent(uint64_t up_to_id) override;
  void OnWriteFailed() override { KillSoon(); }

  Engine& engine_;
  ConnectionSink* sink_;  // null once detached or finished
  State state_ = State::kResolving;
  lws* wsi_ = nullptr;  // the current attempt's socket (Hold::kSocket while set)
  LoopHolds holds_;
  bool ended_ = false;  // the sink got its last call (OnFinished or OnEngineShutdown)
  bool received_lately_ = false;  // input since the last IdleSweep tick
  ClosingHandshake close_;
  MessageAssembler assembler_;
  ReceiveGate receive_;
  Outbox outbox_;
  Connector connector_;
};

}  // namespace netstack
