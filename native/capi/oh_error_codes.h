// The OpenHarmony numbering of the engine's errors (OH_Websocket_ErrCode), applied where
// the engine meets the OpenHarmony API: the C API, and the addon (whose JS faces carry the
// same codes).
#pragma once

#include "connection_sink.h"
#include "net_websocket_type.h"

namespace netstack {

constexpr int OhErrorCode(ConnectionError error) {
  switch (error) {
    case ConnectionError::kConnectFailed:
      return WEBSOCKET_CONNECTION_ERROR;
    case ConnectionError::kProtocolViolation:
      return WEBSOCKET_PROTOCOL_ERROR;
    case ConnectionError::kMessageTooBig:
      return WEBSOCKET_DATA_LENGTH_EXCEEDS;
  }
  return WEBSOCKET_CONNECTION_ERROR;
}

}  // namespace netstack
