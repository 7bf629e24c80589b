#include "outbox.h"

#include <libwebsockets.h>

#include <cstring>
#include <utility>

#include "engine.h"
#include "frame_writer.h"
#include "lws_netstack.h"
#include "prefault.h"

namespace netstack {
static_assert(Outbox::kLwsPre == LWS_PRE, "the send headroom must be lws's LWS_PRE");

namespace {

// Messages up to this size are framed by us (masked while they are copied from the
// caller) and written together with the others of the same loop turn; larger ones go to
// lws one by one. (Framing 1 MiB messages ourselves measured no faster, and 16 MiB ones
// slower: a batch buffer that large is not kept, the one for lws is.)
constexpr size_t kBatchMaxMessage = 16 * 1024;
// A batch this large is written at once rather than at the end of the loop turn.
constexpr size_t kBatchFlushBytes = 256 * 1024;

uint8_t OpcodeOf(bool binary) { return binary ? kOpcodeBinary : kOpcodeText; }

}  // namespace

Outbox::Outbox(Engine& engine, OutboxEvents& events, size_t compress_threshold)
    : engine_(engine), events_(events), compress_threshold_(compress_threshold) {}

Outbox::~Outbox() {
  if (batch_scheduled_ && engine_.turn_batcher()) engine_.turn_batcher()->Cancel(this);
}

void Outbox::Open(lws* wsi, bool compressed) {
  wsi_ = wsi;
  compressed_ = compressed;
}

void Outbox::Shut() { wsi_ = nullptr; }

void Outbox::Clear() {
  queue_.clear();
  queued_bytes_ = 0;
  stream_.Reset();
  DropBatch();
}

void Outbox::RequestWritable() {
  if (wsi_) lws_callback_on_writable(wsi_);
}

bool Outbox::CanWriteNow() const {
  // Nothing queued before it, nothing of an earlier frame still in lws's buffer and no pong
  // owed for a ping that arrived before this send: the frame can go to the socket right
  // away, without a round through POLLOUT (else it waits its turn behind them).
  return wsi_ && queue_.empty() && !stream_.active() && !lws_netstack_write_pending(wsi_) &&
         !lws_netstack_control_pending(wsi_);
}

bool Outbox::CompressionApplies(size_t length) const {
  // permessage-deflate is the only extension we offer.
  return compressed_ && !(compress_threshold_ != 0 && length < compress_threshold_);
}

bool Outbox::CanBatch(size_t length) const {
  // Our frames are never compressed (lws compresses the others).
  return length <= kBatchMaxMessage && engine_.turn_batcher() && !CompressionApplies(length);
}

bool Outbox::CanStream(size_t length) const { return length > kBatchMaxMessage && !CompressionApplies(length); }

uint8_t* Outbox::AppendToBatch(FrameKind kind, size_t length, uint64_t id) {
  uint8_t mask[4];
  if (!engine_.NextMask(mask)) return nullptr;
  return batch_.Append(OpcodeOf(kind == FrameKind::kBinary), length, id, mask);
}

bool Outbox::PrepareStream(std::unique_ptr<uint8_t[]>& storage, size_t capacity, size_t length, FrameKind kind,
                           uint64_t id) {
  uint8_t mask[4];
  if (!engine_.NextMask(mask)) return false;  // storage stays with the caller
  stream_.Prepare(std::move(storage), capacity, length, OpcodeOf(kind == FrameKind::kBinary), id, mask);
  return true;
}

bool Outbox::ContinueStream(lws* wsi) {
  uint64_t id = 0;
  size_t length = 0;
  std::unique_ptr<uint8_t[]> spent;
  size_t spent_capacity = 0;
  switch (stream_.Continue(wsi, &id, &length, &spent, &spent_capacity)) {
    case FrameStream::Progress::kFailed:
      return false;
    case FrameStream::Progress::kWaiting:
      return true;
    case FrameStream::Progress::kDone:
      engine_.spare_send_buffer().Give(std::move(spent), spent_capacity);
      NoteWritten(wsi, id, length);
      // Whatever lws held back goes first (it writes in the next POLLOUT), then the queue.
      lws_callback_on_writable(wsi);
      return true;
  }
  return true;
}

bool Outbox::WriteBatch() {
  if (batch_.empty()) return true;
  if (!wsi_ || !data_frames_allowed_) {
    DropBatch();  // no data frame may follow a close
    return true;
  }
  // Complete frames, so lws passes them on as they are (it keeps what the socket does
  // not take yet, in order with anything it writes later).
  const int written = lws_write(wsi_, const_cast<uint8_t*>(batch_.data()), batch_.size(), LWS_WRITE_RAW);
  const size_t payload_bytes = batch_.payload_bytes();
  const uint64_t last_id = batch_.last_id();
  DropBatch();
  if (written < 0) {
    events_.OnWriteFailed();  // lws reports the close
    return false;
  }
  NoteWritten(wsi_, last_id, payload_bytes);
  return true;
}

bool Outbox::NoteWritten(lws* wsi, uint64_t id, size_t payload_bytes) {
  last_written_id_ = id;
  // Left the process unless lws had to keep part of it (then it counts as buffered until
  // lws has flushed it), or permessage-deflate is still compressing it.
  const bool kept = lws_netstack_write_pending(wsi);
  unflushed_bytes_ = kept ? payload_bytes : 0;
  return kept;
}

void Outbox::AwaitWriteableIfNeeded() {
  // OnSent is reported from a WRITEABLE callback, never from inside the caller's send().
  if (wsi_ && (notify_up_to_ > last_reported_sent_ || unflushed_bytes_)) lws_callback_on_writable(wsi_);
}

void Outbox::FlushBatch() {
  if (batch_.empty()) return;
  if (WriteBatch()) AwaitWriteableIfNeeded();
}

void Outbox::FlushScheduledBatch() {
  batch_scheduled_ = false;
  FlushBatch();
}

void Outbox::SetCompression(lws* wsi, size_t length) {
  // Only matters once permessage-deflate is negotiated; lws ignores it otherwise.
  if (compress_threshold_ == 0 || !compressed_) return;
  const bool small = length < compress_threshold_;
  if (small != compression_off_) {
    lws_netstack_set_no_compress(wsi, small);
    compression_off_ = small;
  }
}

void Outbox::ReportSent() {
  // Only when someone waits for it: an OnSent per message would cost a JS call each.
  if (last_written_id_ > last_reported_sent_ && notify_up_to_ > last_reported_sent_) {
    last_reported_sent_ = last_written_id_;
    events_.OnSent(last_reported_sent_);
  }
}

uint8_t* Outbox::BeginSend(size_t length, bool binary, bool notify, uint64_t* id) {
  const FrameKind kind = binary ? FrameKind::kBinary : FrameKind::kText;
  *id = next_message_id_++;
  if (notify) notify_up_to_ = *id;
  if (CanWriteNow() && CanBatch(length)) {
    if (uint8_t* payload = AppendToBatch(kind, length, *id)) return payload;
  }
  FlushBatch();  // the frames batched so far go before this one
  if (CanWriteNow() && CanStream(length)) {
    size_t capacity = 0;
    std::unique_ptr<uint8_t[]> storage = engine_.spare_send_buffer().Take(kLwsPre + length + 1, &capacity);
    if (PrepareStream(storage, capacity, length, kind, *id)) return stream_.payload();
  }
  if (CanWriteNow()) {
    // Written in EndSend from a buffer kept for this (lws masks in place, so the
    // caller's memory cannot be handed to it).
    if (direct_buffer_.size() < kLwsPre + length + 1) direct_buffer_.resize(kLwsPre + length + 1);
    direct_ = {kind, *id, length};
    return direct_buffer_.data() + kLwsPre;
  }
  QueuedMessage message;
  message.kind = kind;
  message.id = *id;
  message.bytes.reset(new uint8_t[kLwsPre + length + 1]);
  PrefaultForWrite(message.bytes.get(), kLwsPre + length + 1);
  message.length = length;
  queue_.push_back(std::move(message));
  queued_bytes_ += length;
  RequestWritable();
  return queue_.back().payload();
}

void Outbox::EndSend() {
  if (batch_.pending()) {
    batch_.Commit();
    if (batch_.size() >= kBatchFlushBytes) {
      FlushBatch();
    } else if (!batch_scheduled_) {
      batch_scheduled_ = true;
      engine_.turn_batcher()->Schedule(this);
    }
    return;
  }
  if (stream_.preparing()) {
    stream_.Start(wsi_);
    // (ContinueStream asks for WRITEABLE itself: for the rest, or for what follows.)
    if (!ContinueStream(wsi_)) events_.OnWriteFailed();  // lws reports the close
    return;
  }
  if (!direct_.id) return;
  DirectFrame frame = direct_;
  direct_ = DirectFrame{};
  SetCompression(wsi_, frame.length);
  int written = lws_write(wsi_, direct_buffer_.data() + kLwsPre, frame.length,
                          frame.kind == FrameKind::kBinary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
  if (written < 0) {
    events_.OnWriteFailed();  // lws reports the close
    return;
  }
  // Maybe still being compressed from direct_buffer_: keep it alive, the next frame gets
  // the buffer whose drain has ended (CanWriteNow() was true, so none is running).
  if (NoteWritten(wsi_, frame.id, frame.length)) draining_direct_buffer_.swap(direct_buffer_);
  AwaitWriteableIfNeeded();
}

uint64_t Outbox::Send(const uint8_t* data, size_t length, bool binary, bool notify) {
  uint64_t id = 0;
  uint8_t* payload = BeginSend(length, binary, notify, &id);
  if (batch_.pending()) {
    CopyMasked(payload, data, length, batch_.pending_mask());  // one pass instead of two
    batch_.MarkPendingMasked();
  } else if (stream_.preparing()) {
    CopyMasked(payload, data, length, stream_.mask());
    stream_.MarkMasked();
  } else if (length) {
    std::memcpy(payload, data, length);
  }
  EndSend();
  return id;
}

void Outbox::QueueControl(bool pong, const uint8_t* data, size_t length) {
  QueuedMessage message;
  message.kind = pong ? FrameKind::kPong : FrameKind::kPing;
  message.id = 0;
  message.bytes.reset(new uint8_t[kLwsPre + length]);
  message.length = length;
  if (length) std::memcpy(message.payload(), data, length);
  queue_.push_back(std::move(message));
  RequestWritable();
}

Outbox::WriteResult Outbox::OnWriteable(lws* wsi) {
  // lws only calls WRITEABLE once its own buffer of a partial write is flushed and
  // permessage-deflate has compressed all of the last message, so everything written
  // before has left the process now and its payload is no longer read.
  unflushed_bytes_ = 0;
  draining_queued_bytes_.reset();
  if (stream_.started()) {
    // The rest of a large frame first; once it is complete, the next WRITEABLE carries on
    // (after what lws held back meanwhile).
    return ContinueStream(wsi) ? WriteResult::kWaiting : WriteResult::kFailed;
  }
  if (!WriteBatch()) return WriteResult::kFailed;  // left from before (e.g. a ping or close was asked for)
  ReportSent();
  while (!queue_.empty()) {
    // Stop as soon as lws holds part of a frame or is still compressing a message (our
    // frames must not go between its fragments); WRITEABLE comes again once it is done.
    // (lws_send_pipe_choked would cost a poll() each.) The batch is empty here: it is
    // written before anything else is.
    if (lws_netstack_write_pending(wsi)) {
      lws_callback_on_writable(wsi);
      return WriteResult::kWaiting;
    }
    QueuedMessage& message = queue_.front();
    const size_t length = message.length;
    const bool control = IsControl(message.kind);
    // Small frames are framed into one batch, written as one (up to kBatchFlushBytes).
    if (!control && CanBatch(length) && batch_.size() < kBatchFlushBytes) {
      if (uint8_t* payload = AppendToBatch(message.kind, length, message.id)) {
        if (length) std::memcpy(payload, message.payload(), length);
        batch_.Commit();
        queued_bytes_ -= length;
        queue_.pop_front();
        continue;
      }
    }
    if (!batch_.empty()) {
      if (!WriteBatch()) return WriteResult::kFailed;
      continue;  // this message again, once the batch is out
    }
    if (!control && CanStream(length) &&
        PrepareStream(message.bytes, kLwsPre + length + 1, length, message.kind, message.id)) {
      queued_bytes_ -= length;
      queue_.pop_front();
      stream_.Start(wsi);
      return ContinueStream(wsi) ? WriteResult::kWaiting : WriteResult::kFailed;
    }
    lws_write_protocol protocol = message.kind == FrameKind::kPing     ? LWS_WRITE_PING
                                  : message.kind == FrameKind::kPong   ? LWS_WRITE_PONG
                                  : message.kind == FrameKind::kBinary ? LWS_WRITE_BINARY
                                                                       : LWS_WRITE_TEXT;
    if (!control) SetCompression(wsi, length);
    int written = lws_write(wsi, message.payload(), length, protocol);
    if (written < 0) return WriteResult::kFailed;
    if (!control) {
      queued_bytes_ -= length;
      if (NoteWritten(wsi, message.id, length)) draining_queued_bytes_ = std::move(message.bytes);
    }
    queue_.pop_front();
  }
  if (!WriteBatch()) return WriteResult::kFailed;
  if (lws_netstack_write_pending(wsi)) {
    // lws still holds part of the last frame, or permessage-deflate still sends the
    // fragments of the last message: not drained yet. (A close sent now went out before
    // those fragments: continuation frames after our close frame.) OnSent and the close
    // come on the next WRITEABLE, once lws is done.
    lws_callback_on_writable(wsi);
    return WriteResult::kWaiting;
  }
  ReportSent();
  return WriteResult::kDrained;
}

}  // namespace netstack
