// The server's answer to the opening handshake, read out of lws's header table while it
// is still there (FILTER_PRE_ESTABLISH, or CONNECTION_ERROR for a refused handshake).
#pragma once

#include "connection_sink.h"

struct lws;

namespace netstack {

// Fills `response` with the status and every header lws parsed (lower-case names, known
// and custom ones); false when no response has been parsed (yet).
bool ReadHandshakeResponse(lws* wsi, HttpResponse* response);

// The reason phrase reported with an HTTP status ("Switching Protocols" for 101).
const char* StatusText(int status);

}  // namespace netstack
