// Work gathered during one turn of the loop and done once, at its end: the small
// messages a program sends in one turn leave in one write() (Connection), the small
// messages received in one turn reach JS in one call (the addon's NativeSocket). Clients
// register when they have something; they are flushed just before the loop next waits for
// I/O (uv_prepare) or right after this turn's I/O callbacks (uv_check), whichever comes
// first. The handles run only while a client waits, and never keep the loop alive.
#pragma once

#include <uv.h>

#include <cstdint>
#include <vector>

namespace netstack {

class TurnBatcher {
 public:
  class Client {
   public:
    // Once per Schedule(): the client is no longer scheduled when this is called.
    virtual void FlushScheduledBatch() = 0;

   protected:
    ~Client() = default;
  };

  explicit TurnBatcher(uv_loop_t* loop);
  ~TurnBatcher();  // closes the handles (they free themselves once closed)
  TurnBatcher(const TurnBatcher&) = delete;
  TurnBatcher& operator=(const TurnBatcher&) = delete;

  // The client has a batch: FlushScheduledBatch() will be called once, on this loop turn.
  void Schedule(Client* client);
  // The client goes away: no FlushScheduledBatch() for it.
  void Cancel(Client* client);
  // Flushes every waiting client now, and those that registered meanwhile (messages
  // delivered to JS make sends: they leave in the same pass).
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
