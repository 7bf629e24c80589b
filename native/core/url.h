// Parsing of ws:// and wss:// URLs (http:// and https:// are taken as ws:// and wss://,
// as OpenHarmony and the WHATWG WebSocket do), and of the `ws` package's unix domain socket
// URLs: ws+unix:///path/to/socket.sock:/request/path (and wss+unix: for TLS over it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace netstack {

struct WebSocketUrl {
  bool tls = false;
  std::string host;       // without brackets for IPv6 literals
  bool host_is_ipv6 = false;
  uint16_t port = 0;      // always set: the default port when the URL has none
  bool port_is_default = true;
  std::string path;       // starts with '/', holds the query; never a fragment
  std::string unix_socket;  // ws+unix: the socket's file path (percent-decoded); "" = TCP

  // Longest unix socket path: sockaddr_un's sun_path, less its terminating NUL.
  static constexpr size_t kMaxUnixSocketPath = 107;

  // "host" or "host:port" (port only when not the default), brackets kept for IPv6;
  // "localhost" for a unix socket.
  std::string HostHeader() const;
  // For messages: "ws://host:port" or "ws+unix://<socket path>".
  std::string Describe() const;
};

// nullopt when the URL cannot be used for a WebSocket connection.
std::optional<WebSocketUrl> ParseWebSocketUrl(std::string_view url);

}  // namespace netstack
