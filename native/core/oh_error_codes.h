// The OpenHarmony error codes, for core code that does not include the public header.
#pragma once

#include "net_websocket_type.h"
