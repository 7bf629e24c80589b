// The closing handshake as far as it got (RFC 6455 7), and what it means for the end of
// the connection: which close is reported, and whether a failure by lws is an error.
#pragma once

#include <cstdint>
#include <string>

#include "connection_sink.h"

namespace netstack {

// Close codes a client may put in a close frame (RFC 6455 7.4): 1000-1003, 1007-1014 and
// 3000-4999; the others are reserved, or mean "no close frame" (1005, 1006).
constexpr bool IsSendableCloseCode(uint32_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006;
}

struct ClosingHandshake {
  bool requested = false;  // Close() was called (the close frame follows what is queued)
  uint16_t code = 1000;
  std::string reason;
  bool sent = false;  // our close frame was handed to lws
  bool peer_closed = false;  // the peer's close frame arrived (its own, or its answer to ours)
  bool peer_answered = false;  // it arrived after ours had gone: the peer has read ours
  uint16_t peer_code = 1005;  // 1005: the peer's close frame had no status code
  std::string peer_reason;
  uint16_t failure_code = 0;  // we (or lws) failed the connection with this code (reported once)

  // The connection closed with lws's close code `lws_code` (0: none): true when that means
  // lws failed the connection itself (the peer broke the protocol) and told the peer why
  // in its close frame. The caller reports it as an error (FailureError/FailureMessage).
  bool NoteClosedWith(int lws_code) {
    if (peer_closed || sent || !lws_code || failure_code) return false;
    failure_code = static_cast<uint16_t>(lws_code);
    return true;
  }

  // How the connection ended, for ConnectionSink::OnClose (valid while this lives).
  CloseInfo Outcome() const {
    CloseInfo info;
    if (peer_closed) {
      // The close code is the one received (RFC 6455 7.1.5), also when it answers ours.
      info.code = peer_code;
      info.reason = peer_reason;
      info.clean = true;
    } else if (failure_code) {
      // We failed the connection (RFC 6455 7.1.7): the code we sent, not a clean close.
      info.code = failure_code;
      info.clean = false;
    } else {
      // No close frame came: also when ours went out and the peer dropped TCP instead of
      // answering (RFC 6455 7.1.5, 7.4.1: 1006), which is not a clean close.
      info.code = 1006;
      info.clean = false;
    }
    return info;
  }

  // The error a failure with close code `code` is reported as, and its text.
  static ConnectionError FailureError(uint16_t code) {
    return code == 1009 ? ConnectionError::kMessageTooBig : ConnectionError::kProtocolViolation;
  }
  static std::string FailureMessage(uint16_t code) {
    return "the connection was failed with close code " + std::to_string(code) +
           (code == 1007   ? " (invalid UTF-8 in a text message or close reason)"
            : code == 1002 ? " (the server violated the WebSocket protocol)"
                           : "");
  }
};

}  // namespace netstack
