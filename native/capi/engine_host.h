// Where the C API's clients live: which Engine they use and on which thread its
// loop runs. The addon provides one host per Node environment (the JS thread's loop);
// libnet_websocket.so provides one process-wide host with a loop thread of its own.
#pragma once

#include <functional>

namespace netstack {

class Engine;

class EngineHost {
 public:
  virtual ~EngineHost() = default;
  // The host's engine, created on first use; nullptr if it cannot be created or the
  // host is shutting down. Call on the loop thread.
  virtual Engine* GetEngine() = 0;
  // Runs fn on the loop thread and returns when it has run (directly when already there).
  virtual void RunOnLoop(const std::function<void()>& fn) = 0;
};

// The host that OH_NetStack_WebsocketClient_Construct uses on the calling thread.
// Defined by the addon glue and by the standalone library (one of them is linked).
EngineHost* CurrentEngineHost();

}  // namespace netstack
