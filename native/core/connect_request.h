// What a caller asks for when it opens a connection: the URL, the handshake's headers and
// subprotocols, TLS material, a proxy, limits and timeouts. Made by a face (the C API,
// the addon's NativeSocket), read by the Connector during the handshake.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "url.h"

namespace netstack {

// The largest message accepted unless the caller says otherwise (as the `ws` package).
constexpr size_t kDefaultMaxMessageBytes = 100u * 1024 * 1024;

// TLS settings of a connection beyond verify on/off (PEM strings; empty: unset).
struct TlsProfile {
  std::string ca;          // trusted CAs; empty: the engine's default store
  std::string cert;        // client certificate chain
  std::string key;         // client private key
  std::string passphrase;  // for an encrypted key
  bool tls13_only = false; // refuse TLS versions before 1.3 (ArkTS minSupportTlsProtocol)

  bool IsDefault() const { return ca.empty() && cert.empty() && key.empty() && !tls13_only; }
  std::string CacheKey() const {
    return ca + '\0' + cert + '\0' + key + '\0' + passphrase + '\0' + (tls13_only ? "tls13" : "");
  }
};

// Everything of a connection that lws keeps per vhost: connections that share these
// share a vhost (and its SSL_CTX).
struct VhostProfile {
  bool uses_tls = false;  // for wss://: the vhost gets a client SSL_CTX with the trust store
  TlsProfile tls;
  std::string deflate_offer;  // permessage-deflate offer with its parameters; "" = off
  // An HTTP proxy (CONNECT) in lws's form: "ip:port" or "user:password@ip:port" (lws sends
  // the credentials as Proxy-Authorization: Basic); "" = direct.
  std::string proxy;

  bool IsDefault() const { return !uses_tls && tls.IsDefault() && deflate_offer.empty() && proxy.empty(); }
  std::string CacheKey() const {
    return std::string(uses_tls ? "tls" : "plain") + '\0' + tls.CacheKey() + '\0' + deflate_offer + '\0' + proxy;
  }
};

struct ProxyTarget {
  std::string host;  // "" = no proxy
  uint16_t port = 0;
  std::string username;  // Basic proxy authentication when not empty (no ':' in it)
  std::string password;

  // lws keeps "user:password" in a 96-byte buffer (lws_set_proxy); longer ones would be
  // dropped with the proxy itself, so they are refused before.
  static constexpr size_t kMaxCredentialBytes = 95;
  // "" if the credentials can be used, else why not (never quoting them).
  std::string CheckCredentials() const;
};

struct ConnectRequest {
  WebSocketUrl url;
  std::vector<std::pair<std::string, std::string>> headers;  // extra handshake headers
  std::string origin;                 // "" sends no Origin header
  std::string protocols;              // comma-separated subprotocols, "" for none
  bool verify_tls = true;             // certificate and host name checks for wss
  std::string servername;             // SNI and the name the certificate must match; "" = URL's host
  VhostProfile vhost;                 // TLS material (wss only) and permessage-deflate
  ProxyTarget proxy;                  // tunnel through this HTTP proxy (CONNECT)
  uint16_t ping_interval_s = 0;       // idle time before lws sends a ping (0: never)
  uint16_t pong_timeout_s = 0;        // idle time after which the connection is dropped (0: never)
  size_t max_message_bytes = kDefaultMaxMessageBytes;  // 0: no limit
  size_t compress_threshold = 0;      // permessage-deflate: smaller messages go uncompressed
  uint32_t handshake_timeout_ms = 0;  // 0: the default, 20 s
  bool auto_pong = true;              // false: pings are reported (sink OnPing), not answered
};

}  // namespace netstack
