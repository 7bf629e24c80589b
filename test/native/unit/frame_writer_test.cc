// The client frame header (RFC 6455 5.2) and masking.
#include <cstring>
#include <vector>

#include "check.h"
#include "frame_writer.h"

using namespace netstack;

namespace {
const uint8_t kMask[4] = {0x12, 0x34, 0x56, 0x78};
}

TEST("frame writer: header sizes at the length boundaries") {
  CHECK(ClientFrameHeaderSize(0) == 6 && ClientFrameHeaderSize(125) == 6, "up to 125: 2 + 4 (mask)");
  CHECK(ClientFrameHeaderSize(126) == 8 && ClientFrameHeaderSize(65535) == 8, "126..65535: 4 + 4");
  CHECK(ClientFrameHeaderSize(65536) == 14, "65536 and more: 10 + 4");
  CHECK(kMaxControlPayload == 125 && kMaxCloseReasonBytes == 123, "control payload 125, close reason 123");
}

TEST("frame writer: header bytes") {
  uint8_t out[14];
  CHECK(WriteClientFrameHeader(out, kOpcodeText, 5, kMask) == 6, "5 bytes: 6-byte header");
  CHECK(out[0] == 0x81 && out[1] == (0x80 | 5) && std::memcmp(out + 2, kMask, 4) == 0, "FIN|text, MASK|5, the key");
  CHECK(WriteClientFrameHeader(out, kOpcodeBinary, 300, kMask) == 8, "300 bytes: 8-byte header");
  CHECK(out[0] == 0x82 && out[1] == (0x80 | 126) && out[2] == 0x01 && out[3] == 0x2c, "16-bit length 300");
  CHECK(WriteClientFrameHeader(out, kOpcodeBinary, 0x123456789aULL, kMask) == 14, "a 64-bit length");
  const uint8_t length64[8] = {0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0x78, 0x9a};
  CHECK(out[1] == (0x80 | 127) && std::memcmp(out + 2, length64, 8) == 0 && std::memcmp(out + 10, kMask, 4) == 0,
        "127, big-endian length, then the key");
}

TEST("frame writer: masking is XOR with the key, in place or while copying") {
  for (size_t length : {0u, 1u, 3u, 7u, 8u, 9u, 17u, 1000u}) {
    std::vector<uint8_t> source(length);
    for (size_t i = 0; i < length; ++i) source[i] = static_cast<uint8_t>(i * 7 + 1);
    std::vector<uint8_t> copied(length), in_place = source;
    CopyMasked(copied.data(), source.data(), length, kMask);
    MaskPayload(in_place.data(), length, kMask);
    bool expected = true;
    for (size_t i = 0; i < length; ++i) expected = expected && copied[i] == (source[i] ^ kMask[i & 3]);
    CHECK(expected && copied == in_place, "length " + std::to_string(length) + ": both ways equal the XOR");
    MaskPayload(in_place.data(), length, kMask);
    CHECK(in_place == source, "length " + std::to_string(length) + ": masking twice gives the payload back");
  }
}
