// Whether a connection reads from its socket: receive flow control at the source. The
// application pauses reading when it consumes more slowly than the peer sends and resumes
// when it has caught up. A pause stops lws polling the socket for input
// (lws_rx_flow_control), so the kernel's receive buffer fills, the TCP window closes and
// the peer's writes stall; a resume polls again and lws goes on exactly where it stopped
// (the bytes wait in the kernel, in order).
//
// A pause takes effect at the end of the loop turn (TurnBatcher), never in the middle of a
// read: flow control set while lws hands over the pieces of a read makes lws keep the rest
// of the read on its "rxflow" list and replay it from its idle handler, a path we stay out
// of (its wake-up is lost when the rest is all there is, and a TLS read loops on it).
// Until then the rest of that read is delivered as usual: at most one read (the
// protocol's rx buffer, 64 KiB, engine.cc; with permessage-deflate, what that inflates to)
// past the pause. A pause undone in the same turn costs nothing. A resume applies at once.
//
// Owned by its Connection; every call on the engine's loop thread.
#pragma once

#include "turn_batcher.h"

struct lws;

namespace netstack {

class Engine;

class ReceiveGate : private TurnBatcher::Client {
 public:
  explicit ReceiveGate(Engine& engine) : engine_(engine) {}
  ~ReceiveGate();
  ReceiveGate(const ReceiveGate&) = delete;
  ReceiveGate& operator=(const ReceiveGate&) = delete;

  // The open connection's socket (a pause asked for before takes effect at the end of the turn).
  void Attach(lws* wsi);
  // The socket is going (closed or destroyed): nothing more is done to it.
  void Detach();

  // Stop reading (from the end of this loop turn on).
  void Pause();
  // Read again (at once).
  void Resume();

  bool paused() const { return paused_; }

 private:
  void Schedule();
  void Unschedule();
  void Apply();
  void FlushScheduledBatch() override;

  Engine& engine_;
  lws* wsi_ = nullptr;
  bool paused_ = false;    // what the application asked for
  bool applied_ = false;   // what lws was told
  bool scheduled_ = false; // a pause waits for the end of the turn (in the TurnBatcher)
};

}  // namespace netstack
