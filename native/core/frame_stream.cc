#include "frame_stream.h"

#include <libwebsockets.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "frame_writer.h"
#include "lws_netstack.h"

namespace netstack {
namespace {

// Larger messages are handed to lws this much at a time: when the socket takes only part
// of a piece, lws copies the rest of that piece, not of the message.
constexpr size_t kStreamPiece = 256 * 1024;

}  // namespace

void FrameStream::Prepare(std::unique_ptr<uint8_t[]> storage, size_t capacity, size_t length, uint8_t opcode,
                          uint64_t id, const uint8_t mask[4]) {
  Reset();
  storage_ = std::move(storage);
  storage_capacity_ = capacity;
  payload_length_ = length;
  opcode_ = opcode;
  std::memcpy(mask_, mask, 4);
  id_ = id;
}

uint8_t* FrameStream::payload() { return storage_.get() + LWS_PRE; }

void FrameStream::Start(lws* wsi) {
  uint8_t* body = payload();
  if (!masked_) MaskPayload(body, payload_length_, mask_);
  const size_t header = ClientFrameHeaderSize(payload_length_);  // <= LWS_PRE
  frame_ = body - header;
  WriteClientFrameHeader(frame_, opcode_, payload_length_, mask_);
  frame_size_ = header + payload_length_;
  handed_ = 0;
  lws_netstack_hold_control(wsi, 1);
}

FrameStream::Progress FrameStream::Continue(lws* wsi, uint64_t* id, size_t* length, std::unique_ptr<uint8_t[]>* spent,
                                            size_t* spent_capacity) {
  while (handed_ < frame_size_) {
    if (lws_netstack_write_pending(wsi)) {  // lws holds the end of the last piece
      lws_callback_on_writable(wsi);
      return Progress::kWaiting;
    }
    const size_t piece = std::min(kStreamPiece, frame_size_ - handed_);
    if (lws_write(wsi, frame_ + handed_, piece, LWS_WRITE_RAW) < 0) return Progress::kFailed;
    handed_ += piece;
  }
  lws_netstack_hold_control(wsi, 0);
  *id = id_;
  *length = payload_length_;
  *spent = std::move(storage_);
  *spent_capacity = storage_capacity_;
  Reset();
  return Progress::kDone;
}

void FrameStream::Reset() { *this = FrameStream{}; }

}  // namespace netstack
