#include "handshake_response.h"

#include <libwebsockets.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "lws_netstack.h"

namespace netstack {
namespace {

std::string LowerCaseHeaderName(const char* name, size_t length) {
  std::string out(name, length);
  while (!out.empty() && (out.back() == ':' || out.back() == ' ')) out.pop_back();
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct CustomHeaderCollector {
  lws* wsi;
  HttpResponse* response;
};

}  // namespace

bool ReadHandshakeResponse(lws* wsi, HttpResponse* response) {
  char status[64] = {0};  // lws_hdr_copy fails outright if the value does not fit
  if (lws_hdr_copy(wsi, status, sizeof status, WSI_TOKEN_HTTP) <= 0) return false;  // no response (yet)
  response->status = std::atoi(status);
  std::vector<char> value;
  for (int token = 0; token < static_cast<int>(_WSI_TOKEN_CLIENT_SENT_PROTOCOLS); ++token) {
    const auto index = static_cast<lws_token_indexes>(token);
    if (index == WSI_TOKEN_HTTP) continue;
    int length = lws_hdr_total_length(wsi, index);
    if (length <= 0) continue;
    const char* name = reinterpret_cast<const char*>(lws_token_to_string(index));
    if (!name || !*name || name[std::strlen(name) - 1] != ':' || name[0] == ':') continue;
    value.assign(static_cast<size_t>(length) + 1, '\0');
    if (lws_hdr_copy(wsi, value.data(), length + 1, index) < 0) continue;
    response->headers.emplace_back(LowerCaseHeaderName(name, std::strlen(name)), std::string(value.data()));
  }
  CustomHeaderCollector collector{wsi, response};
  lws_hdr_custom_name_foreach(
      wsi,
      [](const char* name, int name_length, void* opaque) {
        auto* c = static_cast<CustomHeaderCollector*>(opaque);
        int length = lws_hdr_custom_length(c->wsi, name, name_length);
        if (length < 0) return;
        std::vector<char> buffer(static_cast<size_t>(length) + 1, '\0');
        if (lws_hdr_custom_copy(c->wsi, buffer.data(), length + 1, name, name_length) < 0) return;
        c->response->headers.emplace_back(LowerCaseHeaderName(name, static_cast<size_t>(name_length)),
                                          std::string(buffer.data()));
      },
      &collector);
  if (response->status != 101) {
    // The upgrade was refused: keep the start of the body (a 401's or 403's explanation).
    const uint8_t* body = nullptr;
    const size_t length = lws_netstack_pending_input(wsi, &body);
    if (body && length) {
      response->body.assign(reinterpret_cast<const char*>(body), std::min(length, HttpResponse::kMaxBodyBytes));
    }
  }
  return true;
}

const char* StatusText(int status) {
  switch (status) {
    case 101: return "Switching Protocols";
    default: return "";
  }
}

}  // namespace netstack
