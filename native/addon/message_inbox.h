// The small messages one connection receives during a turn of the loop, kept to reach JS
// in one call at its end (a call into JS costs more than a small message). JsBridge uses
// it; this keeps the bytes, the layout and the place in the TurnBatcher.
#pragma once

#include <napi.h>

#include <cstdint>
#include <vector>

#include "turn_batcher.h"

namespace netstack::addon {

class MessageInbox {
 public:
  // A batch taken out for delivery: the messages' bytes back to back, and per message
  // its end offset, | kBinaryFlag for a binary one.
  struct Batch {
    std::vector<uint8_t> bytes;
    std::vector<uint32_t> layout;
  };
  static constexpr uint32_t kBinaryFlag = 0x80000000u;
  // Messages up to this size wait for the end of the loop turn; a larger one is delivered
  // on its own (after those before it), without the extra copy.
  static constexpr size_t kMaxBatchedMessage = 4 * 1024;

  // `owner` is scheduled on the batcher while messages wait; its FlushScheduledBatch
  // must call Unscheduled() and deliver.
  explicit MessageInbox(TurnBatcher::Client* owner) : owner_(owner) {}
  ~MessageInbox() { Drop(); }
  MessageInbox(const MessageInbox&) = delete;
  MessageInbox& operator=(const MessageInbox&) = delete;

  // Keeps the message if it is small and there is a batcher; false: deliver it on its
  // own (after Take()-ing what waits). When full() afterwards, deliver now.
  bool Add(const uint8_t* data, size_t length, bool binary, TurnBatcher* batcher);
  bool full() const;
  bool empty() const { return layout_.empty(); }

  // Takes the waiting messages out (their delivery may receive more meanwhile).
  Batch Take();
  // The buffers of a delivered batch, kept for the next turn when small and nothing
  // arrived meanwhile.
  void Recycle(Batch batch);
  // Forgets the waiting messages.
  void Drop();
  void Unscheduled() { batcher_ = nullptr; }

  // (Buffer bytes, Uint32Array layout): the arguments JS gets for a batch.
  static std::vector<napi_value> ToJs(Napi::Env env, const Batch& batch);

 private:
  void Unschedule();

  TurnBatcher::Client* owner_;
  std::vector<uint8_t> bytes_;
  std::vector<uint32_t> layout_;
  TurnBatcher* batcher_ = nullptr;  // the engine's, while owner_ waits in it
};

}  // namespace netstack::addon
