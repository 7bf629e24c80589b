// NativeSocket's options object (lib/binding.ts NativeSocketOptions, already validated by
// lib/) as the engine's ConnectRequest. Throws a TypeError for what cannot be used.
#pragma once

#include <napi.h>

#include "connect_request.h"

namespace netstack::addon {

ConnectRequest RequestFromOptions(Napi::Env env, Napi::Object options);

}  // namespace netstack::addon
