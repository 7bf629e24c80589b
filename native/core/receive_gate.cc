#include "receive_gate.h"

#include <libwebsockets.h>

#include "engine.h"

namespace netstack {

ReceiveGate::~ReceiveGate() { Unschedule(); }

void ReceiveGate::Attach(lws* wsi) {
  wsi_ = wsi;
  applied_ = false;
  if (paused_) Schedule();
}

void ReceiveGate::Detach() {
  Unschedule();
  wsi_ = nullptr;
  applied_ = false;
}

void ReceiveGate::Pause() {
  paused_ = true;
  if (wsi_ && !applied_) Schedule();
}

void ReceiveGate::Resume() {
  paused_ = false;
  Unschedule();
  if (!wsi_ || !applied_) return;
  applied_ = false;
  lws_rx_flow_control(wsi_, 1);
  // lws may hold input it read before the pause (an inflater with output still to give,
  // TLS records already decrypted); it serves them from its idle handler, which only
  // starts after a socket event. When the peer sends nothing more that event never comes:
  // wake lws now (one write to its event pipe).
  lws_cancel_service(engine_.context());
}

void ReceiveGate::Schedule() {
  TurnBatcher* batcher = engine_.turn_batcher();
  if (scheduled_) return;
  if (!batcher) {  // the engine is shutting down: nothing more will be read anyway
    Apply();
    return;
  }
  scheduled_ = true;
  batcher->Schedule(this);
}

void ReceiveGate::Unschedule() {
  if (!scheduled_) return;
  scheduled_ = false;
  if (TurnBatcher* batcher = engine_.turn_batcher()) batcher->Cancel(this);
}

void ReceiveGate::FlushScheduledBatch() {
  scheduled_ = false;
  if (paused_) Apply();
}

void ReceiveGate::Apply() {
  if (!wsi_ || applied_) return;
  applied_ = true;
  lws_rx_flow_control(wsi_, 0);
}

}  // namespace netstack
