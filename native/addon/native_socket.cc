#include "native_socket.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "connection.h"
#include "engine.h"
#include "env_host.h"
#include "js_call.h"
#include "url.h"

namespace netstack::addon {
namespace {

const char* const kHandlerNames[] = {"onOpen", "onMessage", "onError", "onClose", "onSent", "onPong", "onMessages", "onPing"};

// Reassembled messages from this size on are handed to JS without a copy. Below it a
// copy into V8's own allocation measured faster (echo-1MiB: 0.97x ws adopted, 1.19x
// copied), as the reassembly buffer then stays warm for the next message; at 16 MiB
// adopting is faster (1.13x ws against 0.95x).
constexpr size_t kAdoptMinMessage = 4 * 1024 * 1024;

std::string StringProperty(Napi::Object object, const char* name) {
  Napi::Value value = object.Get(name);
  return value.IsString() ? value.As<Napi::String>().Utf8Value() : std::string();
}

double NumberProperty(Napi::Object object, const char* name, double fallback) {
  Napi::Value value = object.Get(name);
  return value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : fallback;
}

Napi::Object HeadersObject(Napi::Env env, const HttpResponse* response) {
  Napi::Object headers = Napi::Object::New(env);
  if (!response) return headers;
  for (const auto& header : response->headers) {
    Napi::Value existing = headers.Get(header.first);
    std::string value = existing.IsString() ? existing.As<Napi::String>().Utf8Value() + ", " + header.second
                                            : header.second;
    headers.Set(header.first, value);
  }
  return headers;
}

// The bytes of a Buffer/TypedArray/DataView/ArrayBuffer; false for anything else.
bool BytesOf(Napi::Value value, const uint8_t** data, size_t* length) {
  if (value.IsArrayBuffer()) {
    auto buffer = value.As<Napi::ArrayBuffer>();
    *data = static_cast<const uint8_t*>(buffer.Data());
    *length = buffer.ByteLength();
  } else if (value.IsTypedArray()) {
    auto array = value.As<Napi::TypedArray>();
    *data = static_cast<const uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
    *length = array.ByteLength();
  } else if (value.IsDataView()) {
    auto view = value.As<Napi::DataView>();
    *data = static_cast<const uint8_t*>(view.Data());
    *length = view.ByteLength();
  } else {
    return false;
  }
  return true;
}

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
  double max_payload = NumberProperty(options, "maxPayload", 100.0 * 1024 * 1024);
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
  double timeout = NumberProperty(options, "handshakeTimeoutMs", 0);
  request.handshake_timeout_ms = timeout > 0 ? static_cast<uint32_t>(std::min(timeout, 4.0e9)) : 0;
  Napi::Value auto_pong = options.Get("autoPong");
  request.auto_pong = !auto_pong.IsBoolean() || auto_pong.As<Napi::Boolean>().Value();
  return request;
}

}  // namespace

Napi::Function NativeSocket::Define(Napi::Env env) {
  return DefineClass(env, "NativeSocket",
                     {
                         InstanceMethod<&NativeSocket::Send>("send"),
                         InstanceMethod<&NativeSocket::Close>("close"),
                         InstanceMethod<&NativeSocket::Terminate>("terminate"),
                         InstanceMethod<&NativeSocket::Ping>("ping"),
                         InstanceMethod<&NativeSocket::Pong>("pong"),
                         InstanceAccessor<&NativeSocket::BufferedAmount>("bufferedAmount"),
                     });
}

NativeSocket::NativeSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeSocket>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject() || !info[1].IsObject()) {
    throw Napi::TypeError::New(env, "NativeSocket(options, handlers): both must be objects");
  }
  ConnectRequest request = RequestFromOptions(env, info[0].As<Napi::Object>());
  // One reference to an array of the receiver and its handler functions, rather than one
  // per function: each napi reference costs native memory per connection.
  Napi::Object handlers = info[1].As<Napi::Object>();
  Napi::Array table = Napi::Array::New(env, kHandlerCount + 1);
  table.Set(uint32_t{0}, handlers);
  for (int i = 0; i < kHandlerCount; ++i) {
    Napi::Value fn = handlers.Get(kHandlerNames[i]);
    if (!fn.IsFunction()) continue;
    table.Set(static_cast<uint32_t>(i + 1), fn);
    handler_present_ |= 1u << i;
  }
  handlers_ = Napi::Persistent(table);

  host_ = env.GetInstanceData<EnvHost>();
  Engine* engine = host_ ? host_->GetEngine() : nullptr;
  if (env.IsExceptionPending()) throw env.GetAndClearPendingException();  // the trust store provider threw
  if (!engine) throw Napi::Error::New(env, "NativeSocket: the WebSocket engine could not be started");
  connection_ = engine->Connect(std::move(request), this);
  if (!connection_) throw Napi::Error::New(env, "NativeSocket: the WebSocket engine is shutting down");
  Ref();  // pinned until the connection finishes
  pinned_ = true;
}

NativeSocket::~NativeSocket() {
  inbox_.Drop();
  if (connection_) connection_->Detach();
}

Napi::Value NativeSocket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!connection_) return Napi::Number::New(env, 0);
  const bool binary = info[1].ToBoolean().Value();
  // onSent is reported only for sends that ask for it (each report is a JS call).
  const bool notify = info[2].IsBoolean() ? info[2].As<Napi::Boolean>().Value() : true;
  uint64_t id = 0;
  if (info[0].IsString()) {
    // Encode the string straight into the frame buffer (its spare byte takes napi's NUL).
    napi_value text = info[0];
    size_t length = 0;
    napi_get_value_string_utf8(env, text, nullptr, 0, &length);
    uint8_t* payload = connection_->BeginSend(length, binary, notify, &id);
    if (payload) {
      napi_get_value_string_utf8(env, text, reinterpret_cast<char*>(payload), length + 1, nullptr);
      connection_->EndSend();
    }
  } else {
    const uint8_t* data = nullptr;
    size_t length = 0;
    if (!BytesOf(info[0], &data, &length)) {
      throw Napi::TypeError::New(env, "send(data): data must be a string, Buffer, TypedArray, DataView or ArrayBuffer");
    }
    id = connection_->Send(data, length, binary, notify);
  }
  return Napi::Number::New(env, static_cast<double>(id));
}

Napi::Value NativeSocket::Close(const Napi::CallbackInfo& info) {
  if (connection_) {
    uint32_t code = info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : 0;
    std::string reason = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : std::string();
    connection_->Close(static_cast<uint16_t>(code), std::move(reason));
  }
  return info.Env().Undefined();
}

Napi::Value NativeSocket::Terminate(const Napi::CallbackInfo& info) {
  if (connection_) connection_->Terminate();
  return info.Env().Undefined();
}

Napi::Value NativeSocket::Ping(const Napi::CallbackInfo& info) {
  const uint8_t* data = nullptr;
  size_t length = 0;
  if (!info[0].IsUndefined() && !BytesOf(info[0], &data, &length)) {
    throw Napi::TypeError::New(info.Env(), "ping(data): data must be a Buffer or TypedArray");
  }
  if (length > 125) throw Napi::RangeError::New(info.Env(), "ping(data): at most 125 bytes");
  bool queued = connection_ && connection_->Ping(data, length);
  return Napi::Boolean::New(info.Env(), queued);
}

Napi::Value NativeSocket::Pong(const Napi::CallbackInfo& info) {
  const uint8_t* data = nullptr;
  size_t length = 0;
  if (!info[0].IsUndefined() && !BytesOf(info[0], &data, &length)) {
    throw Napi::TypeError::New(info.Env(), "pong(data): data must be a Buffer or TypedArray");
  }
  if (length > 125) throw Napi::RangeError::New(info.Env(), "pong(data): at most 125 bytes");
  bool queued = connection_ && connection_->Pong(data, length);
  return Napi::Boolean::New(info.Env(), queued);
}

Napi::Value NativeSocket::BufferedAmount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), connection_ ? static_cast<double>(connection_->buffered_bytes()) : 0);
}

template <typename MakeArgs>
void NativeSocket::Emit(Handler which, MakeArgs make_args) {
  DeliverInbox();
  CallHandler(which, make_args);
}

template <typename MakeArgs>
void NativeSocket::CallHandler(Handler which, MakeArgs make_args) {
  if (!HasHandler(which) || !host_ || host_->tearing_down()) return;
  napi_env env = Env();
  LoopCallbackScope scope(env);  // nothing here may throw past this frame into lws
  if (!scope.ok()) return;
  try {
    std::vector<napi_value> args = make_args(Napi::Env(env));
    Napi::Array table = handlers_.Value();
    CallIntoJs(env, host_->async_context(), table.Get(uint32_t{0}), table.Get(static_cast<uint32_t>(which + 1)), args);
  } catch (const Napi::Error& error) {
    ForwardToUncaught(env, error);
  }
}

void NativeSocket::OnOpen(const OpenInfo& info) {
  Emit(kOnOpen, [&](Napi::Env env) -> std::vector<napi_value> {
    return {Napi::String::New(env, info.protocol.data(), info.protocol.size()),
            Napi::String::New(env, info.extensions.data(), info.extensions.size()),
            Napi::Number::New(env, info.http_status), HeadersObject(env, info.response)};
  });
}

void NativeSocket::OnMessage(const uint8_t* data, size_t length, bool binary, std::vector<uint8_t>* owned) {
  Engine* engine = host_ ? host_->GetEngine() : nullptr;
  TurnBatcher* batcher = engine && HasHandler(kOnMessages) ? engine->turn_batcher() : nullptr;
  if (inbox_.Add(data, length, binary, batcher)) {
    if (inbox_.full()) DeliverInbox();
    return;
  }
  DeliverInbox();
  if (reserved_data_ && data == reserved_data_) {
    Napi::Reference<Napi::Buffer<uint8_t>> reserved = std::move(reserved_message_);
    reserved_data_ = nullptr;
    CallHandler(kOnMessage, [&](Napi::Env env) -> std::vector<napi_value> {
      return {reserved.Value(), Napi::Boolean::New(env, binary)};
    });
    return;
  }
  if (owned && length >= kAdoptMinMessage) {
    AdoptAndCallOnMessage(std::move(*owned), binary);
    return;
  }
  CallOnMessage(data, length, binary);
}

uint8_t* NativeSocket::ReserveMessage(size_t length) {
  reserved_message_.Reset();
  reserved_data_ = nullptr;
  if (!HasHandler(kOnMessage) || !host_ || host_->tearing_down()) return nullptr;
  napi_env env = Env();
  Napi::HandleScope scope(env);
  void* data = nullptr;
  napi_value buffer = nullptr;
  if (napi_create_buffer(env, length, &data, &buffer) != napi_ok) {
    // Out of memory: V8 left a RangeError pending. The connection reassembles instead.
    bool pending = false;
    napi_value ignored = nullptr;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) napi_get_and_clear_last_exception(env, &ignored);
    return nullptr;
  }
  reserved_message_ = Napi::Reference<Napi::Buffer<uint8_t>>::New(Napi::Buffer<uint8_t>(env, buffer), 1);
  reserved_data_ = static_cast<uint8_t*>(data);
  return static_cast<uint8_t*>(data);
}

void NativeSocket::AdoptAndCallOnMessage(std::vector<uint8_t> bytes, bool binary) {
  // A large reassembled message becomes the Buffer itself: no copy. Its vector is freed
  // by the Buffer's finalizer (the GC's, on this thread).
  CallHandler(kOnMessage, [&](Napi::Env env) -> std::vector<napi_value> {
    auto* owner = new std::vector<uint8_t>(std::move(bytes));
    Napi::Buffer<uint8_t> buffer = Napi::Buffer<uint8_t>::New(
        env, owner->data(), owner->size(), [](Napi::Env, uint8_t*, std::vector<uint8_t>* hint) { delete hint; },
        owner);
    return {buffer, Napi::Boolean::New(env, binary)};
  });
}

void NativeSocket::CallOnMessage(const uint8_t* data, size_t length, bool binary) {
  CallHandler(kOnMessage, [&](Napi::Env env) -> std::vector<napi_value> {
    return {Napi::Buffer<uint8_t>::Copy(env, data, length), Napi::Boolean::New(env, binary)};
  });
}

void NativeSocket::DeliverInbox() {
  if (inbox_.empty()) return;
  // Taken out first: the handlers may make this socket receive again (never re-entrantly
  // from lws, but keep the inbox consistent whatever they do).
  MessageInbox::Batch batch = inbox_.Take();
  if (batch.layout.size() == 1) {  // one message: the plain call is cheaper
    CallOnMessage(batch.bytes.data(), batch.bytes.size(), (batch.layout[0] & MessageInbox::kBinaryFlag) != 0);
  } else {
    CallHandler(kOnMessages, [&](Napi::Env env) { return MessageInbox::ToJs(env, batch); });
  }
  inbox_.Recycle(std::move(batch));
}

void NativeSocket::OnError(int oh_code, const std::string& message, const HttpResponse* response) {
  Emit(kOnError, [&](Napi::Env env) -> std::vector<napi_value> {
    std::vector<napi_value> args = {Napi::Number::New(env, oh_code), Napi::String::New(env, message),
                                    Napi::Number::New(env, response ? response->status : 0), HeadersObject(env, response)};
    if (response && !response->body.empty()) {
      args.push_back(Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(response->body.data()),
                                                 response->body.size()));
    }
    return args;
  });
}

void NativeSocket::OnClose(const CloseInfo& info) {
  close_emitted_ = true;
  Emit(kOnClose, [&](Napi::Env env) -> std::vector<napi_value> {
    return {Napi::Number::New(env, info.code), Napi::String::New(env, info.reason.data(), info.reason.size()),
            Napi::Boolean::New(env, info.clean)};
  });
}

void NativeSocket::OnSent(uint64_t up_to_id) {
  Emit(kOnSent, [&](Napi::Env env) -> std::vector<napi_value> {
    return {Napi::Number::New(env, static_cast<double>(up_to_id))};
  });
}

void NativeSocket::OnPong(const uint8_t* data, size_t length) {
  Emit(kOnPong, [&](Napi::Env env) -> std::vector<napi_value> {
    return {Napi::Buffer<uint8_t>::Copy(env, data, length)};
  });
}

void NativeSocket::OnPing(const uint8_t* data, size_t length) {
  if (!HasHandler(kOnPing)) return;  // optional: most sockets never look at pings
  Emit(kOnPing, [&](Napi::Env env) -> std::vector<napi_value> {
    return {Napi::Buffer<uint8_t>::Copy(env, data, length)};
  });
}

void NativeSocket::OnFinished() {
  connection_ = nullptr;
  reserved_message_.Reset();  // a message the connection did not finish
  reserved_data_ = nullptr;
  DeliverInbox();
  inbox_.Drop();  // unschedules
  // The engine reports a connection that never opened with an error only (the C API's
  // contract); here onClose always ends the story, as WHATWG's close event does.
  if (!close_emitted_) {
    close_emitted_ = true;
    Emit(kOnClose, [&](Napi::Env env) -> std::vector<napi_value> {
      return {Napi::Number::New(env, 1006), Napi::String::New(env, ""), Napi::Boolean::New(env, false)};
    });
  }
  if (pinned_ && host_ && !host_->tearing_down()) {
    pinned_ = false;
    Unref();
  }
}

void NativeSocket::OnEngineShutdown() {  // no JS may run now
  connection_ = nullptr;
  reserved_data_ = nullptr;  // the reference goes with this object
  inbox_.Drop();
}

}  // namespace netstack::addon
