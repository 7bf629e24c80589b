#include "js_bridge.h"

namespace netstack::addon {

void JsBridge::Pin() {
  if (pinned_ || !targets_[0]) return;
  pinned_ = true;
  for (napi_ref target : targets_) {
    if (target) napi_reference_ref(env_, target, nullptr);
  }
}

void JsBridge::Unpin() {
  // While the environment is torn down its references go with it: leave them alone.
  if (!pinned_ || blocked()) return;
  pinned_ = false;
  for (napi_ref target : targets_) {
    if (target) napi_reference_unref(env_, target, nullptr);
  }
}

bool JsBridge::Keep(const uint8_t* data, size_t length, bool binary, TurnBatcher* batcher) {
  if (!inbox_.Add(data, length, binary, batcher)) return false;
  if (inbox_.full()) Flush();
  return true;
}

void JsBridge::Flush() {
  if (inbox_.empty()) return;
  // Taken out first: the handlers may receive, send or destroy meanwhile (never
  // re-entrantly from lws, but the inbox stays consistent whatever they do).
  MessageInbox::Batch batch = inbox_.Take();
  owner_->DeliverMessages(batch);
  inbox_.Recycle(std::move(batch));
}

}  // namespace netstack::addon
