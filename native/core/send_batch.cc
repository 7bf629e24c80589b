#include "send_batch.h"

#include <cstring>

#include "frame_writer.h"

namespace netstack {

uint8_t* SendBatch::Append(uint8_t opcode, size_t length, uint64_t id, const uint8_t mask[4]) {
  PendingFrame frame;
  std::memcpy(frame.mask, mask, 4);
  const size_t header_at = bytes_.size();
  // + 1: the spare byte for a NUL terminator, dropped again on commit.
  bytes_.resize(header_at + ClientFrameHeaderSize(length) + length + 1);
  const size_t header = WriteClientFrameHeader(bytes_.data() + header_at, opcode, length, frame.mask);
  frame.payload_at = header_at + header;
  frame.length = length;
  frame.id = id;
  pending_ = frame;
  return bytes_.data() + frame.payload_at;
}

void SendBatch::Commit() {
  PendingFrame frame = pending_;
  pending_ = PendingFrame{};
  bytes_.resize(frame.payload_at + frame.length);
  if (!frame.masked) MaskPayload(bytes_.data() + frame.payload_at, frame.length, frame.mask);
  payload_bytes_ += frame.length;
  last_id_ = frame.id;
}

void SendBatch::Clear() {
  bytes_.clear();
  payload_bytes_ = 0;
  if (bytes_.capacity() > kKeepCapacity) decltype(bytes_)().swap(bytes_);
}

}  // namespace netstack
