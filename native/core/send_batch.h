// Small outgoing messages framed by us rather than by lws (masked as they are copied in),
// back to back in one buffer, so that the messages a program sends in one loop turn leave
// in one write(). Knows frames and bytes only: the Outbox decides what goes in and when it
// is written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "uninitialized_allocator.h"

namespace netstack {

class SendBatch {
 public:
  // Starts a frame of `length` payload bytes after those before it and returns where its
  // payload goes, with one spare byte after it (for a NUL the caller may write; never
  // sent). The frame is complete once Commit() is called; nothing else in between.
  uint8_t* Append(uint8_t opcode, size_t length, uint64_t id, const uint8_t mask[4]);
  // Between Append and Commit.
  bool pending() const { return pending_.id != 0; }
  const uint8_t* pending_mask() const { return pending_.mask; }
  // The caller masked the payload as it copied it in (CopyMasked with pending_mask()).
  void MarkPendingMasked() { pending_.masked = true; }
  // Masks the payload (unless it already is) and makes the frame part of the batch.
  void Commit();

  bool empty() const { return bytes_.empty(); }
  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }  // frame bytes, headers included
  size_t payload_bytes() const { return payload_bytes_; }
  uint64_t last_id() const { return last_id_; }  // of the last committed frame

  // Forgets the frames (written, or dropped); a buffer a burst grew beyond kKeepCapacity
  // is freed.
  void Clear();

  static constexpr size_t kKeepCapacity = 1024 * 1024;

 private:
  struct PendingFrame {
    size_t payload_at = 0;
    size_t length = 0;
    uint8_t mask[4] = {};
    bool masked = false;
    uint64_t id = 0;  // 0: none
  };

  std::vector<uint8_t, UninitializedAllocator<uint8_t>> bytes_;
  size_t payload_bytes_ = 0;
  uint64_t last_id_ = 0;
  PendingFrame pending_;
};

}  // namespace netstack
