// The one way native events reach JavaScript, shared by the engine's NativeSocket and the
// C mirror's JsClient:
//  - every call is made as a top-level callback of the loop (microtasks and async hooks
//    run after it as after any I/O callback; a throw goes to 'uncaughtException'; nothing
//    is thrown into lws), and none once the environment is being torn down;
//  - the small messages received in one loop turn wait in a MessageInbox and reach JS in
//    one call at its end; any other event first delivers the messages before it;
//  - what the connection calls into (the owner's JS object, its handlers) is kept alive
//    (pinned) while the connection may still call it, and by nothing here afterwards.
// The owner says how a batch of messages is handed to its JS object (Owner).
#pragma once

#include <napi.h>

#include <vector>

#include "env_host.h"
#include "js_call.h"
#include "message_inbox.h"
#include "turn_batcher.h"

namespace netstack::addon {

// One call into JS: receiver.function(...args). No function: no call.
struct JsCall {
  napi_value receiver = nullptr;
  napi_value function = nullptr;
  std::vector<napi_value> args;
};

class JsBridge final : private TurnBatcher::Client {
 public:
  class Owner {
   public:
    // Hands the waiting messages to JS (through JsBridge::Call), in order.
    virtual void DeliverMessages(const MessageInbox::Batch& batch) = 0;

   protected:
    ~Owner() = default;
  };

  JsBridge(EnvHost* host, napi_env env, Owner* owner) : host_(host), env_(env), owner_(owner) {}
  ~JsBridge() { inbox_.Drop(); }
  JsBridge(const JsBridge&) = delete;
  JsBridge& operator=(const JsBridge&) = delete;

  EnvHost* host() const { return host_; }
  napi_env env() const { return env_; }
  // No JS may run now (no host, or the environment is being torn down).
  bool blocked() const { return !host_ || host_->tearing_down(); }

  // The references to what the connection calls into: the owner's JS object (`self`) and,
  // when its functions live elsewhere, the object holding them (`handlers`). Both are
  // strong while pinned and weak otherwise, so that once the connection finished nothing
  // here keeps them alive: a handler table held strongly for good rooted a closed
  // NativeSocket and its EngineSocket forever (issue 11). Not owned here.
  void set_targets(napi_ref self, napi_ref handlers = nullptr) {
    targets_[0] = self;
    targets_[1] = handlers;
  }
  void Pin();
  void Unpin();

  // Builds the call (build(env) returns a JsCall) inside a handle scope and makes it as a
  // top-level callback. Never throws: an error while building goes to 'uncaughtException'.
  template <typename Build>
  void Call(Build build) {
    if (blocked()) return;
    LoopCallbackScope scope(env_);  // nothing here may throw past this frame into lws
    if (!scope.ok()) return;
    try {
      JsCall call = build(Napi::Env(env_));
      if (call.function) CallIntoJs(env_, host_->async_context(), call.receiver, call.function, call.args);
    } catch (const Napi::Error& error) {
      ForwardToUncaught(env_, error);
    }
  }

  // A received message: kept for the end of the loop turn when it is small and `batcher`
  // is given (true; delivered at once when the inbox is full), else false: the caller
  // delivers it itself, after Flush().
  bool Keep(const uint8_t* data, size_t length, bool binary, TurnBatcher* batcher);
  // Delivers the messages waiting, if any (before any other event reaches JS).
  void Flush();
  // Forgets the messages waiting: no JS sees them.
  void Drop() { inbox_.Drop(); }

 private:
  void FlushScheduledBatch() override {
    inbox_.Unscheduled();
    Flush();
  }

  EnvHost* host_;
  napi_env env_;
  Owner* owner_;
  napi_ref targets_[2] = {nullptr, nullptr};  // self, handlers (or null)
  bool pinned_ = false;
  MessageInbox inbox_{this};
};

}  // namespace netstack::addon
