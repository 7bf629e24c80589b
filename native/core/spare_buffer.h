// The buffer of the last large message sent, kept for the next one (one per engine, so
// per thread). A fresh buffer of a few MiB is faulted in page by page on every message
// (the kernel zeroes each page): 1 MiB echoes took up to three times the CPU for it. One
// buffer of at most kMaxBytes is kept, so a program that sent a large message once holds
// no more than that afterwards. A new buffer has its pages asked for in one call (prefault.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "prefault.h"

namespace netstack {

class SpareBuffer {
 public:
  static constexpr size_t kMaxBytes = 4 * 1024 * 1024 + 64;

  // A buffer of at least `size` bytes (*capacity: how many): the spare when it is big enough.
  std::unique_ptr<uint8_t[]> Take(size_t size, size_t* capacity) {
    if (buffer_ && capacity_ >= size) {
      *capacity = capacity_;
      capacity_ = 0;
      return std::move(buffer_);
    }
    *capacity = size;
    std::unique_ptr<uint8_t[]> fresh(new uint8_t[size]);
    PrefaultForWrite(fresh.get(), size);  // larger than any kept: often freshly mapped
    return fresh;
  }

  // `buffer` (of `capacity` bytes) is free again: kept when it is the larger one and not too large.
  void Give(std::unique_ptr<uint8_t[]> buffer, size_t capacity) {
    if (!buffer || capacity > kMaxBytes || capacity <= capacity_) return;
    buffer_ = std::move(buffer);
    capacity_ = capacity;
  }

 private:
  std::unique_ptr<uint8_t[]> buffer_;
  size_t capacity_ = 0;
};

}  // namespace netstack
