// RFC 7692 7.1: what a client must refuse in the server's Sec-WebSocket-Extensions answer
// to its permessage-deflate offer. lws itself takes any answer (and any option in it).
#pragma once

#include <string>

namespace netstack {

// "" if `answer` (the header's value, "" when absent) is acceptable for `offer` (what we
// sent, "" when nothing was offered), else why not.
std::string CheckExtensionAnswer(const std::string& offer, const std::string& answer);

}  // namespace netstack
