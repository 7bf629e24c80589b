// A repeating timer for the work an engine does on connections that went quiet: every
// tick, each open connection that received nothing since the previous tick lets go of its
// receive buffers (Connection::ReleaseIdleBuffers). Without it a connection that once got
// a large message kept lws's 64 KiB frame buffer (and permessage-deflate's two 64 KiB
// output buffers) for as long as it stayed open: 82 KiB per idle connection after one
// 64 KiB message, where ws keeps 23. Busy connections keep theirs, which spares them an
// allocation per message. The timer never keeps the loop alive.
//
// Freed is not yet given back: glibc keeps the freed 64 KiB blocks among the live ones in
// its heap (resident, only reusable), so after a tick that freed at least kTrimAfterBytes
// the process's free heap memory is handed back to the system (malloc_trim; nothing to do
// elsewhere, e.g. Windows' heap decommits large free ranges by itself).
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>

namespace netstack {

class IdleSweep {
 public:
  static constexpr size_t kTrimAfterBytes = 1024 * 1024;

  // tick: does the work, returns the bytes it freed.
  IdleSweep(uv_loop_t* loop, uint64_t interval_ms, std::function<size_t()> tick);
  ~IdleSweep();  // stops and closes the timer (its memory is freed once closed)
  IdleSweep(const IdleSweep&) = delete;
  IdleSweep& operator=(const IdleSweep&) = delete;

 private:
  uv_timer_t* timer_;
  void Tick();

  std::function<size_t()> tick_;
};

}  // namespace netstack
