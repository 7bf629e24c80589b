// What the loop still holds of a Connection: each hold is a callback that is still to
// come back to it. A connection is freed once its story has ended (its sink got the last
// call) and it holds nothing; a connection that never frees itself can say which hold
// keeps it (Describe()).
#pragma once

#include <cstdint>
#include <string>

namespace netstack {

enum class Hold : uint8_t {
  kNameLookup,       // uv_getaddrinfo on the thread pool (OnResolved comes back)
  kTrustStore,       // wss: the trusted certificates being parsed on the thread pool
  kDeferredStep,     // Engine::Defer: the unix socket's start, a retry, a failure to report
  kHandshakeTimer,   // the handshake timer's handle, until its close callback ran
  kSocket,           // the lws wsi of the current attempt, until its WSI_DESTROY
  kAbandonedSocket,  // wsis that failed inside lws_client_connect_via_info, until their WSI_DESTROY
  kCount,
};

class LoopHolds {
 public:
  void Set(Hold hold, bool held) {
    const uint32_t bit = 1u << static_cast<unsigned>(hold);
    bits_ = held ? (bits_ | bit) : (bits_ & ~bit);
  }
  bool Has(Hold hold) const { return (bits_ >> static_cast<unsigned>(hold)) & 1u; }
  bool none() const { return bits_ == 0; }
  // "name lookup, socket": for a diagnosis of a connection that stays alive.
  std::string Describe() const {
    static const char* const kNames[] = {"name lookup", "trust store", "deferred step", "handshake timer", "socket",
                                         "abandoned socket"};
    static_assert(sizeof kNames / sizeof kNames[0] == static_cast<size_t>(Hold::kCount), "a name per hold");
    std::string text;
    for (unsigned i = 0; i < static_cast<unsigned>(Hold::kCount); ++i) {
      if (!Has(static_cast<Hold>(i))) continue;
      text += (text.empty() ? "" : ", ") + std::string(kNames[i]);
    }
    return text.empty() ? "nothing" : text;
  }

 private:
  uint32_t bits_ = 0;
};

}  // namespace netstack
