// Turns the pieces lws hands over (RECEIVE callbacks: parts of frames, frames of a
// fragmented message) into whole messages for a MessageSink, within a size limit. A
// message that arrives in one piece is passed on as it is; one whose size is known at its
// first piece may be written straight into memory the sink provides; the rest are
// reassembled here. Knows nothing of lws: the Connection describes each piece.
//
// Reading is paused and resumed by the Connection (lws_rx_flow_control); a paused
// connection simply hands over no pieces here meanwhile.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "connection_sink.h"

namespace netstack {

// Where a received piece stands in its frame and message (read from lws per piece).
struct IncomingPiece {
  bool binary = false;            // the message's type (read at its first piece only)
  bool message_complete = false;  // the last piece of the message's last frame
  bool frame_final = false;       // the frame being received has its FIN bit set
  size_t frame_remaining = 0;     // payload bytes of this frame still to come after this piece
};

class MessageAssembler {
 public:
  // max_message_bytes: 0 for no limit.
  explicit MessageAssembler(size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

  // Permessage-deflate was negotiated: frame sizes are compressed sizes, so no room is
  // asked of the sink in advance.
  void set_compressed(bool compressed) { compressed_ = compressed; }
  size_t max_message_bytes() const { return max_message_bytes_; }

  struct Result {
    bool too_large = false;  // the message exceeds the limit: fail the connection (1009)
    // The largest frame the rest of this message may declare, to tell lws (its header
    // check fails a larger one at once), when it changed.
    bool limit_changed = false;
    size_t frame_limit = 0;
  };
  // One piece; complete messages go to `sink`.
  Result Add(const uint8_t* data, size_t length, const IncomingPiece& piece, MessageSink& sink);

  // The sink's room (ReserveMessage) is never touched again: the sink is going away.
  void ForgetSinkRoom() { room_ = nullptr; }
  // Between messages: the reassembly buffer's memory is given back (the connection went
  // quiet); the bytes freed.
  size_t ReleaseIdleMemory() {
    if (in_message_ || room_) return 0;
    const size_t freed = message_.capacity();
    std::vector<uint8_t>().swap(message_);
    return freed;
  }

 private:
  Result TooLarge();

  const size_t max_message_bytes_;
  bool compressed_ = false;
  std::vector<uint8_t> message_;  // reassembly buffer (kept warm between messages)
  bool in_message_ = false;
  bool binary_ = false;
  uint8_t* room_ = nullptr;  // MessageSink::ReserveMessage, while it is being filled
  size_t room_size_ = 0;
  size_t room_filled_ = 0;
};

}  // namespace netstack
