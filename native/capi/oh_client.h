// Internal view of a client of the C API, for the addon glue: the glue must know
// when a client's connection has ended (to let go of the JS object) and must be able
// to destroy every client of a host silently when the host goes away.
#pragma once

#include <cstddef>

#include "net_websocket.h"

namespace netstack {

class EngineHost;

class ClientObserver {
 public:
  // The connection of this client ended: after onClose, or after onError when it never opened.
  virtual void OnConnectionFinished() = 0;

 protected:
  ~ClientObserver() = default;
};

// Attaches an observer (not owned; nullptr detaches). Call on the loop thread.
void SetClientObserver(OH_NetStack_WebsocketClient* client, ClientObserver* observer);

// Construct, bound to the given host instead of CurrentEngineHost().
OH_NetStack_WebsocketClient* ConstructClientOn(EngineHost* host, OH_NetStack_WebsocketClient_OnOpenCallback onOpen,
                                               OH_NetStack_WebsocketClient_OnMessageCallback onMessage,
                                               OH_NetStack_WebsocketClient_OnErrorCallback onError,
                                               OH_NetStack_WebsocketClient_OnCloseCallback onClose);

size_t LiveClientCount();

// OH_NetStack_WebSocketClient_Connect with the header list given apart (the released
// names pass a copy of theirs); `client` is either generation's client pointer.
int ConnectClient(const void* client, const char* url, const OH_NetStack_WebsocketClient_Slist* headers);

// OpenHarmony's limits: the largest message Send takes (4 MiB), headers per client.
constexpr size_t kMaxSendBytes = 4u * 1024 * 1024;
constexpr size_t kMaxHeaders = 8192;

// What one client's Send may leave waiting (not yet handed to the kernel) before it
// refuses with WEBSOCKET_QUEUE_LENGTH_EXCEEDS: bytes and messages, process-wide; the
// defaults are documented in net_websocket.h (NetStack_WebSocket_SetSendQueueLimits).
constexpr size_t kDefaultSendQueueBytes = 64u * 1024 * 1024;
constexpr size_t kDefaultSendQueueMessages = 65536;
struct SendQueueLimits {
  size_t bytes;
  size_t messages;
};
SendQueueLimits CurrentSendQueueLimits();
// Sets either bound (0 leaves it as it is).
void SetSendQueueLimits(size_t bytes, size_t messages);

}  // namespace netstack
