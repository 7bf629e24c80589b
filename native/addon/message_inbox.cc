#include "message_inbox.h"

#include <cstring>

namespace netstack::addon {
namespace {

// An inbox this full is delivered at once.
constexpr size_t kDeliverBytes = 256 * 1024;

}  // namespace

bool MessageInbox::Add(const uint8_t* data, size_t length, bool binary, TurnBatcher* batcher) {
  if (length > kMaxBatchedMessage || !batcher) return false;
  bytes_.insert(bytes_.end(), data, data + length);
  layout_.push_back(static_cast<uint32_t>(bytes_.size()) | (binary ? kBinaryFlag : 0));
  if (!batcher_) {
    batcher_ = batcher;
    batcher->Schedule(owner_);
  }
  return true;
}

bool MessageInbox::full() const { return bytes_.size() >= kDeliverBytes; }

MessageInbox::Batch MessageInbox::Take() {
  Unschedule();
  Batch batch;
  batch.bytes.swap(bytes_);
  batch.layout.swap(layout_);
  return batch;
}

void MessageInbox::Recycle(Batch batch) {
  if (!bytes_.empty() || batch.bytes.capacity() > kDeliverBytes * 2) return;
  batch.bytes.clear();
  batch.layout.clear();
  bytes_.swap(batch.bytes);
  layout_.swap(batch.layout);
}

void MessageInbox::Drop() {
  bytes_.clear();
  layout_.clear();
  Unschedule();
}

void MessageInbox::Unschedule() {
  if (!batcher_) return;
  batcher_->Cancel(owner_);
  batcher_ = nullptr;
}

std::vector<napi_value> MessageInbox::ToJs(Napi::Env env, const Batch& batch) {
  Napi::ArrayBuffer ends = Napi::ArrayBuffer::New(env, batch.layout.size() * sizeof(uint32_t));
  std::memcpy(ends.Data(), batch.layout.data(), batch.layout.size() * sizeof(uint32_t));
  return {Napi::Buffer<uint8_t>::Copy(env, batch.bytes.data(), batch.bytes.size()),
          Napi::Uint32Array::New(env, batch.layout.size(), ends, 0)};
}

}  // namespace netstack::addon
