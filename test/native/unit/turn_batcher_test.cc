// TurnBatcher on a real libuv loop: a scheduled client is flushed once, in the same loop
// turn; a cancelled one not at all; the handles never keep the loop alive.
#include <uv.h>

#include "check.h"
#include "turn_batcher.h"

using netstack::TurnBatcher;

namespace {

class CountingClient final : public TurnBatcher::Client {
 public:
  int flushes = 0;
  TurnBatcher* batcher = nullptr;
  CountingClient* schedule_on_flush = nullptr;  // schedules another one from its flush
  void FlushScheduledBatch() override {
    ++flushes;
    if (schedule_on_flush) {
      batcher->Schedule(schedule_on_flush);
      schedule_on_flush = nullptr;
    }
  }
};

}  // namespace

TEST("turn batcher: flushed once per Schedule, at the end of the turn; cancelled ones not") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  uv_timer_t timer;  // outlives the batcher's scope: closed on the loop's last run
  {
    TurnBatcher batcher(&loop);
    CountingClient a, b, c;
    a.batcher = &batcher;
    a.schedule_on_flush = &c;  // a delivery that makes a send: flushed in the same pass
    batcher.Schedule(&a);
    batcher.Schedule(&b);
    batcher.Cancel(&b);
    CHECK(a.flushes == 0, "nothing flushed inside Schedule");
    // A timer keeps this turn's poll short; the batcher's own handles are unref'd.
    uv_timer_init(&loop, &timer);
    uv_timer_start(&timer, [](uv_timer_t*) {}, 0, 0);
    uv_run(&loop, UV_RUN_ONCE);
    CHECK(a.flushes == 1 && b.flushes == 0 && c.flushes == 1, "a and c once, the cancelled b never");
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK(a.flushes == 1 && c.flushes == 1, "not again on the next turn");
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
  }
  // The batcher's handles close themselves; then the loop has nothing left.
  CHECK(uv_run(&loop, UV_RUN_DEFAULT) == 0, "the loop ends: nothing of the batcher keeps it alive");
  CHECK(uv_loop_close(&loop) == 0, "every handle closed");
}

TEST("turn batcher: the turn count changes at the end of a marked turn, never inside it") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  uv_timer_t timer;
  int32_t turns = 7;
  {
    TurnBatcher batcher(&loop);
    batcher.CountTurnsIn(&turns);
    batcher.MarkTurn();
    batcher.MarkTurn();  // twice in one turn: one change
    CHECK(turns == 7, "not inside the task that marked it");
    uv_timer_init(&loop, &timer);
    uv_timer_start(&timer, [](uv_timer_t*) {}, 0, 0);
    uv_run(&loop, UV_RUN_ONCE);
    CHECK(turns == 8, "changed once the turn ended");
    const int32_t after = turns;
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK(turns == after, "an unmarked turn with nothing to flush counts nothing (the handles stopped)");
    batcher.CountTurnsIn(nullptr);  // as at shutdown: the memory is not touched again
    batcher.MarkTurn();
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK(turns == after, "not counted once the counter is withdrawn");
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
  }
  CHECK(uv_run(&loop, UV_RUN_DEFAULT) == 0, "the loop ends: the marks keep nothing alive");
  CHECK(uv_loop_close(&loop) == 0, "every handle closed");
}
