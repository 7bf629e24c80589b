#include "native_socket.h"

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "connection.h"
#include "engine.h"
#include "env_host.h"
#include "frame_writer.h"
#include "oh_error_codes.h"
#include "socket_options.h"

namespace netstack::addon {
namespace {

const char* const kHandlerNames[] = {"onOpen",  "onMessage", "onError", "onClose",         "onSent",
                                    "onPong",  "onMessages", "onPing", "onMessagesInArea"};
static_assert(sizeof(kHandlerNames) / sizeof(kHandlerNames[0]) == NativeSocket::kHandlerNameCount, "a name per handler");

// Reassembled messages from this size on are handed to JS without a copy. Below it a
// copy into V8's own allocation measured faster (echo-1MiB: 0.97x ws adopted, 1.19x
// copied), as the reassembly buffer then stays warm for the next message; at 16 MiB
// adopting is faster (1.13x ws against 0.95x).
constexpr size_t kAdoptMinMessage = 4 * 1024 * 1024;

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

// Why a connection could not be opened, for lib/errors.ts (undefined for other errors).
Napi::Value FailureObject(Napi::Env env, const ConnectFailure* failure) {
  if (!failure) return env.Undefined();
  static const char* const kSteps[] = {"setup", "resolve", "connect", "tls", "handshake"};
  Napi::Object object = Napi::Object::New(env);
  object.Set("step", kSteps[static_cast<size_t>(failure->step)]);
  object.Set("code", failure->code);
  object.Set("errno", failure->error_number);
  object.Set("syscall", failure->syscall);
  object.Set("address", failure->address);
  object.Set("port", failure->port);
  object.Set("host", failure->host);
  object.Set("description", failure->description);
  object.Set("reason", failure->reason);
  object.Set("timeoutMs", failure->timeout_ms);
  object.Set("abandoned", failure->abandoned);
  return object;
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
                         InstanceMethod<&NativeSocket::BufferedAmountForTurn>("bufferedAmountForTurn"),
                         InstanceMethod<&NativeSocket::PauseReceiving>("pauseReceiving"),
                     });
}

NativeSocket::NativeSocket(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<NativeSocket>(info), bridge_(info.Env().GetInstanceData<EnvHost>(), info.Env(), this) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject() || !info[1].IsObject()) {
    throw Napi::TypeError::New(env, "NativeSocket(options, handlers): both must be objects");
  }
  ConnectRequest request = RequestFromOptions(env, info[0].As<Napi::Object>());
  // One reference to an array of the receiver and its handler functions, rather than one
  // per function: each napi reference costs native memory per connection. Weak: the
  // bridge holds it strongly while pinned (until the connection finishes), no longer.
  Napi::Object handlers = info[1].As<Napi::Object>();
  Napi::Array table = Napi::Array::New(env, kHandlerCount + 1);
  table.Set(uint32_t{0}, handlers);
  for (int i = 0; i < kHandlerCount; ++i) {
    Napi::Value fn = handlers.Get(kHandlerNames[i]);
    if (!fn.IsFunction()) continue;
    table.Set(static_cast<uint32_t>(i + 1), fn);
    handler_present_ |= 1u << i;
  }
  handlers_ = Napi::Weak(table);

  Engine* engine = bridge_.host() ? bridge_.host()->GetEngine() : nullptr;
  if (env.IsExceptionPending()) throw env.GetAndClearPendingException();  // the trust store provider threw
  if (!engine) throw Napi::Error::New(env, "NativeSocket: the WebSocket engine could not be started");
  connection_ = engine->Connect(std::move(request), this);
  if (!connection_) throw Napi::Error::New(env, "NativeSocket: the WebSocket engine is shutting down");
  bridge_.set_targets(static_cast<const Napi::Reference<Napi::Object>&>(*this), handlers_);  // the wrap's own reference
  bridge_.Pin();  // until the connection finishes
}

NativeSocket::~NativeSocket() {
  bridge_.Drop();
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

Napi::Value NativeSocket::Ping(const Napi::CallbackInfo& info) { return QueueControl(info, false); }

Napi::Value NativeSocket::Pong(const Napi::CallbackInfo& info) { return QueueControl(info, true); }

Napi::Value NativeSocket::QueueControl(const Napi::CallbackInfo& info, bool pong) {
  const char* const name = pong ? "pong" : "ping";
  const uint8_t* data = nullptr;
  size_t length = 0;
  if (!info[0].IsUndefined() && !BytesOf(info[0], &data, &length)) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + "(data): data must be a Buffer or TypedArray");
  }
  if (length > kMaxControlPayload) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + "(data): at most " + std::to_string(kMaxControlPayload) + " bytes");
  }
  bool queued = connection_ && (pong ? connection_->Pong(data, length) : connection_->Ping(data, length));
  return Napi::Boolean::New(info.Env(), queued);
}

Napi::Value NativeSocket::BufferedAmount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), connection_ ? static_cast<double>(connection_->buffered_bytes()) : 0);
}

Napi::Value NativeSocket::BufferedAmountForTurn(const Napi::CallbackInfo& info) {
  Engine* engine = bridge_.host() ? bridge_.host()->GetEngine() : nullptr;
  TurnBatcher* batcher = engine ? engine->turn_batcher() : nullptr;
  if (!batcher) return Napi::Number::New(info.Env(), -1);  // shutting down: no turn count
  batcher->MarkTurn();
  return BufferedAmount(info);
}

Napi::Value NativeSocket::PauseReceiving(const Napi::CallbackInfo& info) {
  if (connection_) {
    if (info[0].ToBoolean().Value()) {
      connection_->PauseReceiving();
    } else {
      connection_->ResumeReceiving();
    }
  }
  return info.Env().Undefined();
}

template <typename MakeArgs>
void NativeSocket::CallHandler(Handler which, MakeArgs make_args) {
  if (!HasHandler(which)) return;
  bridge_.Call([&](Napi::Env env) {
    JsCall call;
    Napi::Array table = handlers_.Value();
    if (table.IsEmpty()) return call;  // collected: the connection finished long ago
    call.args = make_args(env);
    call.receiver = table.Get(uint32_t{0});
    call.function = table.Get(static_cast<uint32_t>(which + 1));
    return call;
  });
}

template <typename MakeArgs>
void NativeSocket::Emit(Handler which, MakeArgs make_args) {
  bridge_.Flush();
  CallHandler(which, make_args);
}

void NativeSocket::OnOpen(const OpenInfo& info) {
  Emit(kOnOpen, [&](Napi::Env env) -> std::vector<napi_value> {
    return {Napi::String::New(env, info.protocol.data(), info.protocol.size()),
            Napi::String::New(env, info.extensions.data(), info.extensions.size()),
            Napi::Number::New(env, info.http_status), HeadersObject(env, info.response)};
  });
}

void NativeSocket::OnMessage(const uint8_t* data, size_t length, bool binary, std::vector<uint8_t>* owned) {
  Engine* engine = bridge_.host() ? bridge_.host()->GetEngine() : nullptr;
  TurnBatcher* batcher = engine && HasHandler(kOnMessages) ? engine->turn_batcher() : nullptr;
  if (bridge_.Keep(data, length, binary, batcher)) return;
  bridge_.Flush();
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
  if (!HasHandler(kOnMessage) || bridge_.blocked()) return nullptr;
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

void NativeSocket::DeliverMessages(const MessageInbox::Batch& batch) {
  const ReceiveArea* area = bridge_.host() ? bridge_.host()->receive_area() : nullptr;
  // A few messages go through the receive area: a new ArrayBuffer costs about a
  // microsecond, more than copying them out in JS; a longer batch shares one Buffer,
  // viewed without copies.
  if (area && HasHandler(kOnMessagesInArea) && batch.layout.size() <= ReceiveArea::kMessages &&
      batch.layout.size() <= area->layout_size && batch.bytes.size() <= area->bytes_size) {
    // Copied in just before the call: JS copies them out before anything else runs.
    CallHandler(kOnMessagesInArea, [&](Napi::Env env) -> std::vector<napi_value> {
      if (!batch.bytes.empty()) std::memcpy(area->bytes, batch.bytes.data(), batch.bytes.size());
      std::memcpy(area->layout, batch.layout.data(), batch.layout.size() * sizeof(uint32_t));
      return {Napi::Number::New(env, static_cast<double>(batch.layout.size()))};
    });
    return;
  }
  if (batch.layout.size() == 1) {  // one message: the plain call is cheaper
    CallOnMessage(batch.bytes.data(), batch.bytes.size(), (batch.layout[0] & MessageInbox::kBinaryFlag) != 0);
  } else {
    CallHandler(kOnMessages, [&](Napi::Env env) { return MessageInbox::ToJs(env, batch); });
  }
}

void NativeSocket::OnError(ConnectionError error, const std::string& message, const HttpResponse* response,
                           const ConnectFailure* failure) {
  Emit(kOnError, [&](Napi::Env env) -> std::vector<napi_value> {
    std::vector<napi_value> args = {Napi::Number::New(env, OhErrorCode(error)), Napi::String::New(env, message),
                                    Napi::Number::New(env, response ? response->status : 0),
                                    HeadersObject(env, response)};
    // A refused handshake's body, for 'unexpected-response'; then why it could not open.
    if (response && !response->body.empty()) {
      args.push_back(Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(response->body.data()),
                                                 response->body.size()));
    } else {
      args.push_back(env.Undefined());
    }
    args.push_back(FailureObject(env, failure));
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
  bridge_.Flush();
  bridge_.Drop();  // unschedules
  // The engine reports a connection that never opened with an error only (the C API's
  // contract); here onClose always ends the story, as WHATWG's close event does.
  if (!close_emitted_) {
    close_emitted_ = true;
    Emit(kOnClose, [&](Napi::Env env) -> std::vector<napi_value> {
      return {Napi::Number::New(env, 1006), Napi::String::New(env, ""), Napi::Boolean::New(env, false)};
    });
  }
  bridge_.Unpin();
}

void NativeSocket::OnEngineShutdown() {  // no JS may run now
  connection_ = nullptr;
  reserved_data_ = nullptr;  // the reference goes with this object
  bridge_.Drop();
}

}  // namespace netstack::addon
