// WebSocketUrl: ws/wss/http/https, ports, IPv6 literals, paths, unix socket URLs, refusals.
#include "check.h"
#include "url.h"

using netstack::ParseWebSocketUrl;

TEST("url: ws and wss with their default ports") {
  auto ws = ParseWebSocketUrl("ws://example.org");
  CHECK(ws && !ws->tls && ws->host == "example.org" && ws->port == 80 && ws->port_is_default && ws->path == "/",
        "ws://example.org is port 80, path /");
  auto wss = ParseWebSocketUrl("WSS://Example.org/chat?room=1#frag");
  CHECK(wss && wss->tls && wss->port == 443 && wss->path == "/chat?room=1", "wss: 443, query kept, fragment dropped");
  CHECK(wss && wss->HostHeader() == "Example.org" && wss->Describe() == "wss://Example.org", "Host header without a default port");
}

TEST("url: http and https are taken as ws and wss") {
  auto http = ParseWebSocketUrl("http://h:8080");
  CHECK(http && !http->tls && http->port == 8080 && !http->port_is_default && http->HostHeader() == "h:8080",
        "http://h:8080");
  auto https = ParseWebSocketUrl("https://h:443/x");
  CHECK(https && https->tls && https->port_is_default && https->HostHeader() == "h", "an explicit default port is default");
}

TEST("url: IPv6 literals") {
  auto v6 = ParseWebSocketUrl("ws://[::1]:9000/p");
  CHECK(v6 && v6->host == "::1" && v6->host_is_ipv6 && v6->port == 9000 && v6->HostHeader() == "[::1]:9000",
        "[::1]:9000: host without brackets, Host header with them");
  CHECK(!ParseWebSocketUrl("ws://[::1"), "an unclosed bracket is refused");
  CHECK(!ParseWebSocketUrl("ws://[]/"), "an empty literal is refused");
  CHECK(!ParseWebSocketUrl("ws://[::1]x/"), "text after the literal is refused");
  CHECK(!ParseWebSocketUrl("ws://[fe80::1%eth0]/"), "a zone id is refused");
}

TEST("url: refused") {
  CHECK(!ParseWebSocketUrl("ftp://h/"), "another scheme");
  CHECK(!ParseWebSocketUrl("ws://"), "no host");
  CHECK(!ParseWebSocketUrl("ws://user@h/"), "userinfo");
  CHECK(!ParseWebSocketUrl("ws://h:/"), "an empty port");
  CHECK(!ParseWebSocketUrl("ws://h:0/"), "port 0");
  CHECK(!ParseWebSocketUrl("ws://h:65536/"), "port 65536");
  CHECK(!ParseWebSocketUrl("ws://h:123456/"), "a six-digit port");
  CHECK(!ParseWebSocketUrl("ws://h/a b"), "a space");
  CHECK(!ParseWebSocketUrl(std::string("ws://h/\r\nX: y")), "CR LF (request splitting)");
  CHECK(!ParseWebSocketUrl("ws://h!/"), "a character not allowed in a host name");
  auto top = ParseWebSocketUrl("ws://h:65535");
  CHECK(top && top->port == 65535, "port 65535 is taken");
}

TEST("url: ws+unix and wss+unix") {
  auto unix_url = ParseWebSocketUrl("ws+unix:///tmp/s.sock:/path?q");
  CHECK(unix_url && unix_url->unix_socket == "/tmp/s.sock" && unix_url->path == "/path?q" &&
            unix_url->HostHeader() == "localhost" && !unix_url->tls,
        "socket path up to ':', request path after");
  auto no_path = ParseWebSocketUrl("wss+unix:/tmp/s.sock");
  CHECK(no_path && no_path->tls && no_path->path == "/" && no_path->Describe() == "wss+unix:///tmp/s.sock",
        "no request path: /");
  auto encoded = ParseWebSocketUrl("ws+unix:///tmp/a%20b.sock");
  CHECK(encoded && encoded->unix_socket == "/tmp/a b.sock", "percent-decoded socket path");
  CHECK(!ParseWebSocketUrl("ws+unix:///tmp/%00.sock"), "an escaped NUL is refused");
  CHECK(!ParseWebSocketUrl("ws+unix://host/tmp/s.sock"), "a host is refused");
  CHECK(!ParseWebSocketUrl("ws+unix:///"), "no socket path");
  CHECK(!ParseWebSocketUrl("ws+unix:///" + std::string(107, 'a')), "a socket path over 107 bytes");
}
