// Lets the small messages a program sends in one turn of the loop leave in one write():
// a connection appends framed messages to its own batch and registers here; the batches
// are written just before the loop next waits for I/O (uv_prepare) or right after the
// I/O callbacks of this turn (uv_check), whichever comes first. The handles run only
// while some batch is waiting, and never keep the loop alive by themselves.
#pragma once

#include <uv.h>

#include <cstdint>
#include <vector>

namespace netstack {

class SendBatcher {
 public:
  class Client {
   public:
    // Once per Schedule(): the client is no longer scheduled when this is called.
    virtual void FlushScheduledBatch() = 0;

   protected:
    ~Client() = default;
  };

  explicit SendBatcher(uv_loop_t* loop);
  ~SendBatcher();  // closes the handles (they free themselves once closed)
  SendBatcher(const SendBatcher&) = delete;
  SendBatcher& operator=(const SendBatcher&) = delete;

  // The client has a batch: FlushScheduledBatch() will be called once, on this loop turn.
  void Schedule(Client* client);
  // The client goes away: no FlushScheduledBatch() for it.
  void Cancel(Client* client);
  // Flushes every waiting batch now.
  void FlushAll();

 private:
  void Start();
  void Stop();

  uv_prepare_t* prepare_;
  uv_check_t* check_;
  bool running_ = false;
  std::vector<Client*> waiting_;
  std::vector<Client*> flushing_;
};

}  // namespace netstack
