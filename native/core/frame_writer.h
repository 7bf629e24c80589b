// Client data frames built by us rather than by lws, so that several small messages can
// leave in one write() (RFC 6455 5.2: FIN, opcode, payload length, and a masking key,
// because a client masks everything it sends).
#pragma once

#include <cstddef>
#include <cstdint>

namespace netstack {

constexpr uint8_t kOpcodeText = 0x1;
constexpr uint8_t kOpcodeBinary = 0x2;

// A control frame (ping, pong, close) carries at most this many payload bytes (RFC 6455
// 5.5); a close frame's reason gets what its 2-byte status code leaves.
constexpr size_t kMaxControlPayload = 125;
constexpr size_t kMaxCloseReasonBytes = kMaxControlPayload - 2;

// Bytes of the header of an unfragmented, masked client frame carrying `length` bytes.
constexpr size_t ClientFrameHeaderSize(size_t length) {
  return (length < 126 ? 2 : length <= 0xffff ? 4 : 10) + 4;
}

// Writes that header (FIN set, RSV bits clear) with the masking key at `out`;
// returns ClientFrameHeaderSize(length).
size_t WriteClientFrameHeader(uint8_t* out, uint8_t opcode, size_t length, const uint8_t mask[4]);

// XORs `length` bytes in place with the 4-byte key, as the frame's payload.
void MaskPayload(uint8_t* data, size_t length, const uint8_t mask[4]);

// The same while copying from `source` to `target` (the same buffer, or ones that do not
// overlap).
void CopyMasked(uint8_t* target, const uint8_t* source, size_t length, const uint8_t mask[4]);

}  // namespace netstack
