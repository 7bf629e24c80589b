// Everything a connection sends, in order: messages and pings queued before the socket
// can take them, small messages batched into one write per loop turn (SendBatch), large
// ones handed to lws a piece at a time (FrameStream), the rest written directly; and the
// "left the process" notifications (OutboxEvents::OnSent). The Connection decides whether
// a message is taken at all (its state, the closing handshake) and sends the close frame
// once the outbox is drained.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "frame_stream.h"
#include "lazy_queue.h"
#include "send_batch.h"
#include "turn_batcher.h"

struct lws;

namespace netstack {

class Engine;

// What the outbox tells its connection. All calls on the loop thread.
class OutboxEvents {
 public:
  // Every message with an id <= up_to_id has been handed to the kernel (reported only
  // when a message sent with `notify` is among them, never from inside a send).
  virtual void OnSent(uint64_t up_to_id) = 0;
  // A write outside a WRITEABLE callback failed: the socket must go (lws reports the close).
  virtual void OnWriteFailed() = 0;

 protected:
  ~OutboxEvents() = default;
};

class Outbox : private TurnBatcher::Client {
 public:
  static constexpr size_t kLwsPre = 16;  // lws's LWS_PRE (checked in outbox.cc)

  // compress_threshold: with permessage-deflate, smaller messages go uncompressed (0: none).
  Outbox(Engine& engine, OutboxEvents& events, size_t compress_threshold);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // The connection is open on `wsi`: what waits goes out on WRITEABLE, later messages at
  // once when nothing waits before them.
  void Open(lws* wsi, bool compressed);
  // The connection left the open state (its close is on the way, or the socket is gone):
  // nothing is written any more and the socket is not touched again.
  void Shut();
  // The peer's close frame arrived: no data frame may follow it.
  void StopDataFrames() { data_frames_allowed_ = false; }
  // The connection ended: what was not written is dropped.
  void Clear();
  // Drops the frames batched but not written yet.
  void DropBatch() { batch_.Clear(); }

  // Copies the payload and sends it (see Connection::Send); returns its id (> 0).
  uint64_t Send(const uint8_t* data, size_t length, bool binary, bool notify);
  // The same in two steps (see Connection::BeginSend); never nullptr.
  uint8_t* BeginSend(size_t length, bool binary, bool notify, uint64_t* id);
  void EndSend();
  // A ping or pong (`pong`) after everything queued before it.
  void QueueControl(bool pong, const uint8_t* data, size_t length);
  // Asks lws for WRITEABLE, if the connection is open.
  void RequestWritable();

  enum class WriteResult {
    kFailed,   // the socket failed: the WRITEABLE callback returns -1
    kWaiting,  // lws still holds or compresses something: WRITEABLE was asked for again
    kDrained,  // everything waiting was handed to lws (the close may follow now)
  };
  // The WRITEABLE callback: writes what waits, in order.
  WriteResult OnWriteable(lws* wsi);

  bool has_queued() const { return !queue_.empty(); }
  // Messages (not pings) not yet handed to the kernel: queued, batched, being streamed
  // (ids above the last written one), or the last written one while lws holds part of it.
  size_t queued_messages() const {
    return static_cast<size_t>(next_message_id_ - 1 - last_written_id_) + (unflushed_bytes_ ? 1 : 0);
  }
  // Bytes not yet handed to the kernel: queued, plus a written frame lws still holds part
  // of, or a large one we are still writing (all of it until its last byte is out, as it
  // is for a frame lws holds part of).
  size_t buffered_bytes() const {
    return queued_bytes_ + unflushed_bytes_ + batch_.payload_bytes() + stream_.payload_length();
  }

 private:
  enum class FrameKind : uint8_t { kText, kBinary, kPing, kPong };
  static bool IsControl(FrameKind kind) { return kind == FrameKind::kPing || kind == FrameKind::kPong; }
  struct QueuedMessage {
    // kLwsPre bytes of headroom (lws writes the frame header there), then the payload,
    // which lws masks in place. Not zero-filled: every payload byte is written first.
    std::unique_ptr<uint8_t[]> bytes;
    size_t length;  // of the payload
    FrameKind kind;
    uint64_t id;

    uint8_t* payload() { return bytes.get() + kLwsPre; }
  };
  // Between BeginSend and EndSend, for a message written directly.
  struct DirectFrame {
    FrameKind kind = FrameKind::kText;
    uint64_t id = 0;  // 0: none pending
    size_t length = 0;
  };

  bool CanWriteNow() const;
  bool CompressionApplies(size_t length) const;
  bool CanBatch(size_t length) const;
  bool CanStream(size_t length) const;
  uint8_t* AppendToBatch(FrameKind kind, size_t length, uint64_t id);
  bool PrepareStream(std::unique_ptr<uint8_t[]>& storage, size_t capacity, size_t length, FrameKind kind, uint64_t id);
  bool ContinueStream(lws* wsi);
  bool WriteBatch();
  bool NoteWritten(lws* wsi, uint64_t id, size_t payload_bytes);
  void AwaitWriteableIfNeeded();
  void FlushBatch();
  void FlushScheduledBatch() override;
  void ReportSent();
  void SetCompression(lws* wsi, size_t length);

  Engine& engine_;
  OutboxEvents& events_;
  const size_t compress_threshold_;
  lws* wsi_ = nullptr;               // while the connection is open
  bool compressed_ = false;          // permessage-deflate was negotiated
  bool data_frames_allowed_ = true;  // false once the peer's close frame arrived
  bool compression_off_ = false;     // what lws_netstack_set_no_compress was last told

  LazyQueue<QueuedMessage> queue_;
  size_t queued_bytes_ = 0;
  size_t unflushed_bytes_ = 0;  // the last written frame, while lws holds part of it
  uint64_t next_message_id_ = 1;
  uint64_t notify_up_to_ = 0;   // the last id whose sending someone waits for
  uint64_t last_written_id_ = 0;  // handed to lws (maybe still in lws's own buffer)
  uint64_t last_reported_sent_ = 0;

  SendBatch batch_;
  bool batch_scheduled_ = false;  // waits in the engine's TurnBatcher
  FrameStream stream_;
  DirectFrame direct_;
  std::vector<uint8_t> direct_buffer_;  // kLwsPre headroom + payload, reused
  // permessage-deflate reads a message's payload from the caller's buffer until all of it
  // is compressed, over several POLLOUTs when it does not fit one step: the buffer of the
  // last written message is kept here until lws calls WRITEABLE again (it does not while
  // that message is still draining).
  std::vector<uint8_t> draining_direct_buffer_;
  std::unique_ptr<uint8_t[]> draining_queued_bytes_;
};

}  // namespace netstack
