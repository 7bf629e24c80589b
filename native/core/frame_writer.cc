#include "frame_writer.h"

#include <cstring>

namespace netstack {

size_t WriteClientFrameHeader(uint8_t* out, uint8_t opcode, size_t length, const uint8_t mask[4]) {
  size_t at = 0;
  out[at++] = static_cast<uint8_t>(0x80 | opcode);
  if (length < 126) {
    out[at++] = static_cast<uint8_t>(0x80 | length);
  } else if (length <= 0xffff) {
    out[at++] = 0x80 | 126;
    out[at++] = static_cast<uint8_t>(length >> 8);
    out[at++] = static_cast<uint8_t>(length);
  } else {
    out[at++] = 0x80 | 127;
    for (int shift = 56; shift >= 0; shift -= 8) out[at++] = static_cast<uint8_t>(static_cast<uint64_t>(length) >> shift);
  }
  std::memcpy(out + at, mask, 4);
  return at + 4;
}

void CopyMasked(uint8_t* target, const uint8_t* source, size_t length, const uint8_t mask[4]) {
  // Eight bytes per step with the key repeated twice; memcpy keeps unaligned access legal.
  uint8_t key8[8];
  std::memcpy(key8, mask, 4);
  std::memcpy(key8 + 4, mask, 4);
  uint64_t key;
  std::memcpy(&key, key8, 8);
  size_t i = 0;
  for (; i + 8 <= length; i += 8) {
    uint64_t word;
    std::memcpy(&word, source + i, 8);
    word ^= key;
    std::memcpy(target + i, &word, 8);
  }
  for (; i < length; ++i) target[i] = static_cast<uint8_t>(source[i] ^ mask[i & 3]);
}

void MaskPayload(uint8_t* data, size_t length, const uint8_t mask[4]) { CopyMasked(data, data, length, mask); }

}  // namespace netstack
