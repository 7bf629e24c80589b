#include "connect_request.h"

namespace netstack {

std::string ProxyTarget::CheckCredentials() const {
  if (username.empty() && password.empty()) return std::string();
  if (username.find(':') != std::string::npos) return "the proxy user name cannot contain ':' (HTTP Basic authentication)";
  if (username.find('\0') != std::string::npos || password.find('\0') != std::string::npos) {
    return "the proxy user name and password cannot contain NUL";
  }
  if (username.size() + 1 + password.size() > kMaxCredentialBytes) {
    return "the proxy user name and password are too long (libwebsockets takes at most " +
           std::to_string(kMaxCredentialBytes) + " bytes of user:password)";
  }
  return std::string();
}

}  // namespace netstack
