#include "turn_batcher.h"

#include <algorithm>

namespace netstack {

TurnBatcher::TurnBatcher(uv_loop_t* loop) : prepare_(new uv_prepare_t), check_(new uv_check_t) {
  uv_prepare_init(loop, prepare_);
  uv_check_init(loop, check_);
  prepare_->data = this;
  check_->data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(prepare_));
  uv_unref(reinterpret_cast<uv_handle_t*>(check_));
}

TurnBatcher::~TurnBatcher() {
  uv_prepare_stop(prepare_);
  uv_check_stop(check_);
  uv_close(reinterpret_cast<uv_handle_t*>(prepare_), [](uv_handle_t* handle) { delete reinterpret_cast<uv_prepare_t*>(handle); });
  uv_close(reinterpret_cast<uv_handle_t*>(check_), [](uv_handle_t* handle) { delete reinterpret_cast<uv_check_t*>(handle); });
}

void TurnBatcher::Schedule(Client* client) {
  waiting_.push_back(client);
  Start();
}

void TurnBatcher::Cancel(Client* client) {
  waiting_.erase(std::remove(waiting_.begin(), waiting_.end(), client), waiting_.end());
  std::replace(flushing_.begin(), flushing_.end(), client, static_cast<Client*>(nullptr));
}

void TurnBatcher::FlushAll() {
  // A flush may schedule or cancel others (a failed write closes a connection):
  // work on a copy, with cancelled entries nulled in place. Deliveries schedule sends,
  // sends schedule nothing, so a few passes end it; anything left waits for the next.
  for (int pass = 0; pass < 4 && !waiting_.empty(); ++pass) {
    flushing_.swap(waiting_);
    for (size_t i = 0; i < flushing_.size(); ++i) {
      if (Client* client = flushing_[i]) client->FlushScheduledBatch();
    }
    flushing_.clear();
  }
  if (waiting_.empty()) Stop();
}

void TurnBatcher::OnTurnEnd() {
  // Before the flush: its deliveries into JS are tasks of their own.
  if (turn_counter_) *turn_counter_ = static_cast<int32_t>(static_cast<uint32_t>(*turn_counter_) + 1u);
  FlushAll();
}

void TurnBatcher::Start() {
  if (running_) return;
  running_ = true;
  uv_prepare_start(prepare_, [](uv_prepare_t* handle) { static_cast<TurnBatcher*>(handle->data)->OnTurnEnd(); });
  uv_check_start(check_, [](uv_check_t* handle) { static_cast<TurnBatcher*>(handle->data)->OnTurnEnd(); });
}

void TurnBatcher::Stop() {
  if (!running_) return;
  running_ = false;
  uv_prepare_stop(prepare_);
  uv_check_stop(check_);
}

}  // namespace netstack
