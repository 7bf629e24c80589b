// What a Connection tells its owner. All calls come on the engine's loop thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace netstack {

struct OpenInfo {
  int http_status = 0;          // 101
  std::string_view status_text; // "Switching Protocols"
};

struct CloseInfo {
  uint16_t code = 0;            // RFC 6455 code; 1005 no status, 1006 no close frame
  std::string_view reason;
  bool clean = false;           // a closing handshake took place
};

class ConnectionSink {
 public:
  virtual void OnOpen(const OpenInfo& info) = 0;
  // One call per complete message; data is valid only during the call.
  virtual void OnMessage(const uint8_t* data, size_t length, bool binary) = 0;
  // oh_code is one of OH_Websocket_ErrCode.
  virtual void OnError(int oh_code, const std::string& message) = 0;
  virtual void OnClose(const CloseInfo& info) = 0;
  // Last call: the connection ended (after OnClose, or after OnError if it never opened).
  virtual void OnFinished() = 0;
  // The engine is going away (process or worker teardown): no user code may run now.
  virtual void OnEngineShutdown() = 0;

 protected:
  ~ConnectionSink() = default;
};

}  // namespace netstack
