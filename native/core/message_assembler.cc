#include "message_assembler.h"

#include <cstring>

#include "prefault.h"

namespace netstack {

MessageAssembler::Result MessageAssembler::Add(const uint8_t* data, size_t length, const IncomingPiece& piece,
                                               MessageSink& sink) {
  if (room_) {
    const size_t room_left = room_size_ - room_filled_;
    if (length > room_left || (piece.message_complete && length != room_left)) {  // cannot be: the frame's size was known
      room_ = nullptr;
      in_message_ = false;
      return TooLarge();
    }
    std::memcpy(room_ + room_filled_, data, length);
    room_filled_ += length;
    if (piece.message_complete) {
      uint8_t* room = room_;
      room_ = nullptr;
      in_message_ = false;
      sink.OnMessage(room, room_size_, binary_, nullptr);
    }
    return Result{};
  }
  if (!in_message_) {
    binary_ = piece.binary;
    if (piece.message_complete) {  // the whole message in one piece: no reassembly
      if (max_message_bytes_ && length > max_message_bytes_) return TooLarge();
      sink.OnMessage(data, length, binary_, nullptr);
      return Result{};
    }
    in_message_ = true;
    message_.clear();
    // Room for the rest of this frame at once (more frames may follow, rarely).
    const size_t expected = length + piece.frame_remaining;
    if (max_message_bytes_ && expected > max_message_bytes_) return TooLarge();
    // One uncompressed frame is the whole message: its size is known now, so the sink may
    // give the room for it (it is written there once instead of copied there at the end).
    if (piece.frame_final && !compressed_) {
      if (uint8_t* room = sink.ReserveMessage(expected)) {
        PrefaultForWrite(room, expected);
        room_ = room;
        room_size_ = expected;
        room_filled_ = 0;
        return Add(data, length, piece, sink);
      }
    }
    if (message_.capacity() < expected) {
      message_.reserve(expected);
      PrefaultForWrite(message_.data(), expected);
    }
  }
  if (max_message_bytes_ && message_.size() + length > max_message_bytes_) return TooLarge();
  message_.insert(message_.end(), data, data + length);
  Result result;
  if (max_message_bytes_) {  // the next frame of this message may bring only the rest
    result.limit_changed = true;
    result.frame_limit = piece.message_complete ? max_message_bytes_ : max_message_bytes_ - message_.size();
  }
  if (piece.message_complete) {
    in_message_ = false;
    sink.OnMessage(message_.data(), message_.size(), binary_, &message_);
    message_.clear();  // keeps its capacity for the next message (unless the sink took it)
  }
  return result;
}

MessageAssembler::Result MessageAssembler::TooLarge() {
  in_message_ = false;
  message_.clear();
  message_.shrink_to_fit();
  Result result;
  result.too_large = true;
  return result;
}

}  // namespace netstack
