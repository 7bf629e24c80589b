// SendBatch: frames built back to back, masked, counted; pending frames; the buffer kept or freed.
#include <cstring>
#include <string>

#include "check.h"
#include "frame_writer.h"
#include "send_batch.h"

using namespace netstack;

namespace {
const uint8_t kMask[4] = {0xa1, 0xb2, 0xc3, 0xd4};

// The unmasked payload of the frame at `at` (a short frame: 6-byte header).
std::string ShortPayload(const SendBatch& batch, size_t at) {
  const uint8_t* frame = batch.data() + at;
  size_t length = frame[1] & 0x7f;
  std::string payload;
  for (size_t i = 0; i < length; ++i) payload.push_back(static_cast<char>(frame[6 + i] ^ frame[2 + (i & 3)]));
  return payload;
}

void AppendText(SendBatch& batch, const std::string& text, uint64_t id) {
  uint8_t* payload = batch.Append(kOpcodeText, text.size(), id, kMask);
  std::memcpy(payload, text.data(), text.size());
  payload[text.size()] = 0;  // the spare byte, never sent
  batch.Commit();
}
}  // namespace

TEST("send batch: frames back to back, masked on commit") {
  SendBatch batch;
  CHECK(batch.empty() && !batch.pending(), "starts empty");
  AppendText(batch, "hello", 1);
  AppendText(batch, "", 2);
  AppendText(batch, "world!", 3);
  CHECK(batch.size() == 6 + 5 + 6 + 0 + 6 + 6, "three frames, the spare bytes dropped");
  CHECK(batch.payload_bytes() == 11 && batch.last_id() == 3, "payload bytes and the last id");
  CHECK(batch.data()[0] == 0x81 && batch.data()[11] == 0x81 && batch.data()[17] == 0x81, "each starts FIN|text");
  CHECK(ShortPayload(batch, 0) == "hello" && ShortPayload(batch, 11) == "" && ShortPayload(batch, 17) == "world!",
        "each payload unmasks to what was written");
}

TEST("send batch: a payload masked while it was copied in is not masked again") {
  SendBatch batch;
  const std::string text = "copied masked";
  uint8_t* payload = batch.Append(kOpcodeBinary, text.size(), 7, kMask);
  CHECK(batch.pending(), "pending between Append and Commit");
  CopyMasked(payload, reinterpret_cast<const uint8_t*>(text.data()), text.size(), batch.pending_mask());
  batch.MarkPendingMasked();
  batch.Commit();
  CHECK(!batch.pending() && batch.data()[0] == 0x82 && ShortPayload(batch, 0) == text, "binary frame, masked once");
}

TEST("send batch: Clear forgets the frames, and frees a buffer a burst grew large") {
  SendBatch batch;
  AppendText(batch, "x", 1);
  batch.Clear();
  CHECK(batch.empty() && batch.payload_bytes() == 0, "cleared");
  uint8_t* big = batch.Append(kOpcodeBinary, SendBatch::kKeepCapacity + 1, 2, kMask);
  std::memset(big, 0, SendBatch::kKeepCapacity + 1);
  batch.Commit();
  CHECK(batch.payload_bytes() == SendBatch::kKeepCapacity + 1, "a large frame");
  batch.Clear();
  CHECK(batch.empty(), "and cleared again (its buffer freed)");
  AppendText(batch, "again", 3);
  CHECK(ShortPayload(batch, 0) == "again", "usable after that");
}
