// Work gathered during one turn of the loop and done once, at its end: the small
// messages a program sends in one turn leave in one write() (Connection), the small
// messages received in one turn reach JS in one call (the addon's NativeSocket). Clients
// register when they have something; they are flushed just before the loop next waits for
// I/O (uv_prepare) or right after this turn's I/O callbacks (uv_check), whichever comes
// first. The handles run only while a client waits, and never keep the loop alive.
//
// It also counts those turn ends into a counter the addon shares with JS (CountTurnsIn):
// the WHATWG bufferedAmount keeps what send() queued until the task ends, and a change of
// the count tells JS that the task in which it took its value is over (MarkTurn makes sure
// the count changes after the current task).
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

  // Where to count turn ends (nullptr: nowhere); the memory must outlive the batcher.
  void CountTurnsIn(int32_t* counter) { turn_counter_ = counter; }
  // The count changes at the end of this turn (before any later task of the loop runs).
  void MarkTurn() { Start(); }

 private:
  void Start();
  void Stop();
  // A prepare or check callback: a turn of the loop ended.
  void OnTurnEnd();

  uv_prepare_t* prepare_;
  uv_check_t* check_;
  bool running_ = false;
  std::vector<Client*> waiting_;
  std::vector<Client*> flushing_;
  int32_t* turn_counter_ = nullptr;
};

}  // namespace netstack
