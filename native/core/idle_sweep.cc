#include "idle_sweep.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace netstack {

IdleSweep::IdleSweep(uv_loop_t* loop, uint64_t interval_ms, std::function<size_t()> tick)
    : timer_(new uv_timer_t), tick_(std::move(tick)) {
  uv_timer_init(loop, timer_);
  timer_->data = this;
  uv_timer_start(
      timer_, [](uv_timer_t* timer) { static_cast<IdleSweep*>(timer->data)->Tick(); }, interval_ms, interval_ms);
  uv_unref(reinterpret_cast<uv_handle_t*>(timer_));
}

void IdleSweep::Tick() {
  const size_t freed = tick_();
#if defined(__GLIBC__)
  if (freed >= kTrimAfterBytes) malloc_trim(0);
#else
  (void)freed;
#endif
}

IdleSweep::~IdleSweep() {
  uv_timer_stop(timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); });
}

}  // namespace netstack
