#include "socket_options.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "url.h"

namespace netstack::addon {
namespace {

std::string StringProperty(Napi::Object object, const char* name) {
  Napi::Value value = object.Get(name);
  return value.IsString() ? value.As<Napi::String>().Utf8Value() : std::string();
}

double NumberProperty(Napi::Object object, const char* name, double fallback) {
  Napi::Value value = object.Get(name);
  return value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : fallback;
}

}  // namespace

ConnectRequest RequestFromOptions(Napi::Env env, Napi::Object options) {
  ConnectRequest request;
  std::optional<WebSocketUrl> url = ParseWebSocketUrl(StringProperty(options, "url"));
  if (!url) throw Napi::TypeError::New(env, "NativeSocket: options.url is not a ws://, wss://, ws+unix:// or wss+unix:// URL");
  request.url = std::move(*url);

  Napi::Value headers = options.Get("headers");
  if (headers.IsArray()) {
    Napi::Array list = headers.As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); ++i) {
      Napi::Value pair = list.Get(i);
      if (!pair.IsArray()) continue;
      Napi::Array entry = pair.As<Napi::Array>();
      request.headers.emplace_back(entry.Get(0u).ToString().Utf8Value(), entry.Get(1u).ToString().Utf8Value());
    }
  }
  Napi::Value protocols = options.Get("protocols");
  if (protocols.IsArray()) {
    Napi::Array list = protocols.As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); ++i) {
      if (!request.protocols.empty()) request.protocols += ", ";
      request.protocols += list.Get(i).ToString().Utf8Value();
    }
  }
  request.origin = StringProperty(options, "origin");

  Napi::Value tls_value = options.Get("tls");
  if (tls_value.IsObject()) {
    Napi::Object tls = tls_value.As<Napi::Object>();
    Napi::Value reject = tls.Get("rejectUnauthorized");
    request.verify_tls = !reject.IsBoolean() || reject.As<Napi::Boolean>().Value();
    request.vhost.tls.ca = StringProperty(tls, "ca");
    request.vhost.tls.cert = StringProperty(tls, "cert");
    request.vhost.tls.key = StringProperty(tls, "key");
    request.vhost.tls.passphrase = StringProperty(tls, "passphrase");
    request.servername = StringProperty(tls, "servername");
    request.vhost.tls.tls13_only = StringProperty(tls, "minVersion") == "TLSv1.3";
  }
  double max_payload = NumberProperty(options, "maxPayload", static_cast<double>(kDefaultMaxMessageBytes));
  request.max_message_bytes = max_payload > 0 ? static_cast<size_t>(max_payload) : 0;
  Napi::Value proxy_value = options.Get("proxy");
  if (proxy_value.IsObject()) {
    Napi::Object proxy = proxy_value.As<Napi::Object>();
    request.proxy.host = StringProperty(proxy, "host");
    double port = NumberProperty(proxy, "port", 0);
    if (request.proxy.host.empty() || !(port >= 1 && port <= 65535)) {
      throw Napi::TypeError::New(env, "NativeSocket: options.proxy needs a host and a port (1-65535)");
    }
    request.proxy.port = static_cast<uint16_t>(port);
    request.proxy.username = StringProperty(proxy, "username");
    request.proxy.password = StringProperty(proxy, "password");
    std::string problem = request.proxy.CheckCredentials();
    if (!problem.empty()) throw Napi::TypeError::New(env, "NativeSocket: options.proxy: " + problem);
  }
  request.vhost.deflate_offer = StringProperty(options, "perMessageDeflate");
  if (!request.vhost.deflate_offer.empty() && request.vhost.deflate_offer.rfind("permessage-deflate", 0) != 0) {
    throw Napi::TypeError::New(env, "NativeSocket: options.perMessageDeflate must start with \"permessage-deflate\"");
  }
  double threshold = NumberProperty(options, "perMessageDeflateThreshold", 0);
  request.compress_threshold = threshold > 0 ? static_cast<size_t>(std::min(threshold, 4.0e9)) : 0;
  auto seconds = [&](const char* name) {
    double value = NumberProperty(options, name, 0);
    return value > 0 ? static_cast<uint16_t>(std::min(value, 65535.0)) : uint16_t{0};
  };
  request.ping_interval_s = seconds("pingIntervalSeconds");
  request.pong_timeout_s = seconds("pongTimeoutSeconds");
  Napi::Value auto_pong = options.Get("autoPong");
  request.auto_pong = !auto_pong.IsBoolean() || auto_pong.As<Napi::Boolean>().Value();
  double timeout = NumberProperty(options, "handshakeTimeoutMs", 0);
  request.handshake_timeout_ms = timeout > 0 ? static_cast<uint32_t>(std::min(timeout, 4.0e9)) : 0;
  return request;
}

}  // namespace netstack::addon
