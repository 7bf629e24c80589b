#include "url.h"

#include <cctype>

namespace netstack {
namespace {

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

bool IsHostChar(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  // Registered-name characters of RFC 3986 that are safe in a Host header.
  return std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~' || u >= 0x80;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX escapes decoded; nullopt for a broken escape or an escaped NUL.
std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    int high = HexValue(text[i + 1]);
    int low = HexValue(text[i + 2]);
    if (high < 0 || low < 0 || (high == 0 && low == 0)) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

// ws+unix:///path/to/socket.sock:/request/path, from just after "ws+unix:" ("//" and an
// empty host, or the path at once): the socket path up to the first ':', the request path
// after it ("/" if none).
std::optional<WebSocketUrl> ParseUnixSocketUrl(std::string_view rest, bool tls) {
  if (rest.substr(0, 2) == "//") rest.remove_prefix(2);
  WebSocketUrl result;
  result.tls = tls;
  result.host = "localhost";  // the Host header: a unix socket has no host name
  result.port = tls ? 443 : 80;
  size_t hash = rest.find('#');
  if (hash != std::string_view::npos) rest = rest.substr(0, hash);
  if (rest.empty() || rest.front() != '/') return std::nullopt;  // a host, or nothing at all
  size_t colon = rest.find(':');
  std::optional<std::string> socket = PercentDecode(rest.substr(0, colon));
  if (!socket || socket->size() <= 1 || socket->size() > WebSocketUrl::kMaxUnixSocketPath) return std::nullopt;
  result.unix_socket = std::move(*socket);
  std::string_view request = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
  if (request.empty() || request.front() != '/') result.path = "/";
  result.path.append(request);
  return result;
}

}  // namespace

std::string WebSocketUrl::Describe() const {
  if (!unix_socket.empty()) return std::string(tls ? "wss+unix://" : "ws+unix://") + unix_socket;
  return std::string(tls ? "wss://" : "ws://") + HostHeader();
}

std::string WebSocketUrl::HostHeader() const {
  std::string out = host_is_ipv6 ? "[" + host + "]" : host;
  if (!port_is_default) out += ":" + std::to_string(port);
  return out;
}

std::optional<WebSocketUrl> ParseWebSocketUrl(std::string_view url) {
  for (char c : url) {
    // Control characters and spaces never belong in a URL we put on the wire.
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
  }
  if (StartsWithNoCase(url, "ws+unix:")) return ParseUnixSocketUrl(url.substr(8), false);
  if (StartsWithNoCase(url, "wss+unix:")) return ParseUnixSocketUrl(url.substr(9), true);

  WebSocketUrl result;
  size_t pos;
  if (StartsWithNoCase(url, "wss://")) { result.tls = true; pos = 6; }
  else if (StartsWithNoCase(url, "ws://")) { pos = 5; }
  else if (StartsWithNoCase(url, "https://")) { result.tls = true; pos = 8; }
  else if (StartsWithNoCase(url, "http://")) { pos = 7; }
  else return std::nullopt;

  size_t authority_end = url.find_first_of("/?#", pos);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  std::string_view authority = url.substr(pos, authority_end - pos);
  if (authority.find('@') != std::string_view::npos) return std::nullopt;  // no userinfo

  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view literal = authority.substr(1, close - 1);
    if (literal.empty()) return std::nullopt;
    for (char c : literal) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return std::nullopt;
    }
    result.host.assign(literal);
    result.host_is_ipv6 = true;
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port_text = rest.substr(1);
      if (port_text.empty()) return std::nullopt;
    }
  } else {
    size_t colon = authority.rfind(':');
    std::string_view host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return std::nullopt;
    }
    if (host.empty()) return std::nullopt;
    for (char c : host) {
      if (!IsHostChar(c)) return std::nullopt;
    }
    result.host.assign(host);
  }

  result.port = result.tls ? 443 : 80;
  if (!port_text.empty()) {
    if (port_text.size() > 5) return std::nullopt;
    uint32_t port = 0;
    for (char c : port_text) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      port = port * 10 + static_cast<uint32_t>(c - '0');
    }
    if (port == 0 || port > 65535) return std::nullopt;
    result.port = static_cast<uint16_t>(port);
    result.port_is_default = result.port == (result.tls ? 443 : 80);
  }

  std::string_view rest = url.substr(authority_end);
  size_t hash = rest.find('#');
  if (hash != std::string_view::npos) rest = rest.substr(0, hash);  // fragments never reach the server
  if (rest.empty() || rest.front() == '?') result.path = "/";
  result.path.append(rest);
  return result;
}

}  // namespace netstack
