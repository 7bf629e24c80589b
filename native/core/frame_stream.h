// One message too large to batch, framed by us and handed to lws a piece at a time: lws
// copies at most the part of one piece the socket does not take, never the rest of the
// message (patches/lws/0017 keeps lws's own pongs, pings and closes out of it meanwhile).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

struct lws;

namespace netstack {

class FrameStream {
 public:
  // Takes `storage` (`capacity` bytes: at least LWS_PRE headroom + `length` payload bytes + 1
  // spare) as the message.
  void Prepare(std::unique_ptr<uint8_t[]> storage, size_t capacity, size_t length, uint8_t opcode, uint64_t id,
               const uint8_t mask[4]);
  bool active() const { return id_ != 0; }                 // prepared, or being handed to lws
  bool preparing() const { return id_ != 0 && !frame_; }  // prepared, payload being filled
  bool started() const { return frame_ != nullptr; }
  uint8_t* payload();  // where the caller writes the payload while preparing
  const uint8_t* mask() const { return mask_; }
  // The caller masked the payload as it copied it in (CopyMasked with mask()).
  void MarkMasked() { masked_ = true; }
  size_t payload_length() const { return id_ ? payload_length_ : 0; }

  // Masks the payload (unless it already is), writes the header in front of it and holds
  // lws's own frames back until the last byte is handed over.
  void Start(lws* wsi);

  enum class Progress { kFailed, kWaiting, kDone };
  // Hands pieces to lws while it takes them whole. kWaiting: lws holds the end of a piece
  // (it was asked for WRITEABLE); kDone: all of it was handed over, and *id / *length
  // say which message that was (the stream is empty again); *spent gets its storage
  // (*spent_capacity bytes), which lws no longer reads (it copied what it holds).
  Progress Continue(lws* wsi, uint64_t* id, size_t* length, std::unique_ptr<uint8_t[]>* spent,
                    size_t* spent_capacity);

  void Reset();

 private:
  std::unique_ptr<uint8_t[]> storage_;  // LWS_PRE headroom (the header goes there) + payload
  size_t storage_capacity_ = 0;
  uint8_t* frame_ = nullptr;            // header + masked payload, once started
  size_t frame_size_ = 0;
  size_t handed_ = 0;                   // bytes of the frame handed to lws
  size_t payload_length_ = 0;
  uint8_t opcode_ = 0;
  uint8_t mask_[4] = {};
  bool masked_ = false;
  uint64_t id_ = 0;                     // 0: none
};

}  // namespace netstack
