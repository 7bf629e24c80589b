// Module entry: the C API mirrored one to one. Each function returns the number the C
// function returns; argument conversion is all that happens here.
#include <napi.h>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "connection.h"
#include "engine.h"
#include "env_host.h"
#include "js_client.h"
#include "native_socket.h"
#include "net_websocket.h"
#include "oh_client.h"

namespace netstack::addon {
namespace {

Napi::Number Code(Napi::Env env, int code) { return Napi::Number::New(env, code); }

// A JS string field, or nullopt when absent/not a string (the C NULL).
std::optional<std::string> StringField(Napi::Object object, const char* name) {
  Napi::Value value = object.Get(name);
  if (!value.IsString()) return std::nullopt;
  return value.As<Napi::String>().Utf8Value();
}

// A header node's field under its draft name (FieldName) or its released name (fieldName).
std::optional<std::string> HeaderField(Napi::Object node, const char* draft_name, const char* released_name) {
  if (node.Has(draft_name)) return StringField(node, draft_name);
  return StringField(node, released_name);
}

Napi::Value AddHeader(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int code = 0;
  JsClient* js_client = JsClient::FromValue(env, info[0], &code);
  if (!js_client) return Code(env, code);
  if (!info[1].IsObject()) return Code(env, WEBSOCKET_ERROR_NO_HEADR_CONTEXT);
  Napi::Object header = info[1].As<Napi::Object>();
  std::optional<std::string> name = HeaderField(header, "FieldName", "fieldName");
  std::optional<std::string> value = HeaderField(header, "FieldValue", "fieldValue");
  OH_NetStack_WebsocketClient_Slist node{name ? name->c_str() : nullptr, value ? value->c_str() : nullptr, nullptr};
  code = OH_NetStack_WebSocketClient_AddHeader(js_client->client(), node);
  if (code != Websocket_OK) return Code(env, code);

  // Mirror the C list: append a node at the end of client.RequestOptions.headers.
  Napi::Object object = js_client->object();
  Napi::Value options_value = object.Get("RequestOptions");
  if (!options_value.IsObject()) {
    options_value = Napi::Object::New(env);
    object.Set("RequestOptions", options_value);
  }
  Napi::Object options = options_value.As<Napi::Object>();
  Napi::Object mirror = Napi::Object::New(env);
  mirror.Set("FieldName", Napi::String::New(env, *name));
  mirror.Set("FieldValue", value ? Napi::String::New(env, *value) : Napi::String::New(env, ""));
  mirror.Set("next", env.Null());
  Napi::Value head = options.Get("headers");
  if (!head.IsObject()) {
    options.Set("headers", mirror);
  } else {
    Napi::Object tail = head.As<Napi::Object>();
    for (size_t guard = 0; guard <= kMaxHeaders; ++guard) {
      Napi::Value next = tail.Get("next");
      if (!next.IsObject()) break;
      tail = next.As<Napi::Object>();
    }
    tail.Set("next", mirror);
  }
  return Code(env, Websocket_OK);
}

Napi::Value Connect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int code = 0;
  JsClient* js_client = JsClient::FromValue(env, info[0], &code);
  if (!js_client) return Code(env, code);

  std::optional<std::string> url;
  if (info[1].IsString()) url = info[1].As<Napi::String>().Utf8Value();

  // Copy the JS list into C nodes (strings kept alive in `storage`).
  std::vector<std::optional<std::string>> storage;
  std::vector<OH_NetStack_WebsocketClient_Slist> nodes;
  if (info[2].IsObject()) {
    Napi::Value node = info[2].As<Napi::Object>().Get("headers");
    while (node.IsObject() && nodes.size() <= kMaxHeaders) {  // one past the limit gives 1016
      Napi::Object header = node.As<Napi::Object>();
      storage.push_back(HeaderField(header, "FieldName", "fieldName"));
      storage.push_back(HeaderField(header, "FieldValue", "fieldValue"));
      nodes.push_back({nullptr, nullptr, nullptr});
      node = header.Get("next");
    }
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    const auto& name = storage[2 * i];
    const auto& value = storage[2 * i + 1];
    nodes[i].FieldName = name ? name->c_str() : nullptr;
    nodes[i].FieldValue = value ? value->c_str() : nullptr;
    nodes[i].next = i + 1 < nodes.size() ? &nodes[i + 1] : nullptr;
  }
  OH_NetStack_WebsocketClient_RequestOptions options{nodes.empty() ? nullptr : nodes.data()};
  code = OH_NetStack_WebSocketClient_Connect(js_client->client(), url ? url->c_str() : nullptr, options);
  if (env.IsExceptionPending()) return env.Undefined();  // the trust store provider threw
  if (code == Websocket_OK) js_client->Pin();
  return Code(env, code);
}

Napi::Value Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int code = 0;
  JsClient* js_client = JsClient::FromValue(env, info[0], &code);
  if (!js_client) return Code(env, code);

  std::string text;
  char* data = nullptr;
  size_t available = 0;
  Napi::Value value = info[1];
  if (value.IsString()) {
    text = value.As<Napi::String>().Utf8Value();
    data = text.data();
    available = text.size();
  } else if (value.IsTypedArray() || value.IsDataView() || value.IsArrayBuffer()) {
    if (value.IsArrayBuffer()) {
      Napi::ArrayBuffer buffer = value.As<Napi::ArrayBuffer>();
      data = static_cast<char*>(buffer.Data());
      available = buffer.ByteLength();
    } else if (value.IsDataView()) {
      Napi::DataView view = value.As<Napi::DataView>();
      data = static_cast<char*>(view.Data());
      available = view.ByteLength();
    } else {
      Napi::TypedArray array = value.As<Napi::TypedArray>();
      data = static_cast<char*>(array.ArrayBuffer().Data()) + array.ByteOffset();
      available = array.ByteLength();
    }
    static char empty = 0;
    if (!data) data = &empty;  // a zero-length buffer is not NULL
  } else if (!value.IsNull() && !value.IsUndefined()) {
    Napi::TypeError::New(env, "data must be a string, a Buffer/TypedArray/ArrayBuffer, or null").ThrowAsJavaScriptException();
    return env.Undefined();
  }

  double requested = info[2].IsNumber() ? info[2].As<Napi::Number>().DoubleValue() : NAN;
  if (data && !(requested >= 0 && std::floor(requested) == requested)) {
    Napi::TypeError::New(env, "length must be a non-negative integer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  size_t length = data ? static_cast<size_t>(requested) : 0;
  // C would read past the end of the buffer; here that is refused as too long.
  if (data && length > available) return Code(env, WEBSOCKET_DATA_LENGTH_EXCEEDS);
  return Code(env, OH_NetStack_WebSocketClient_Send(js_client->client(), data, length));
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int code = 0;
  JsClient* js_client = JsClient::FromValue(env, info[0], &code);
  if (!js_client) return Code(env, code);
  OH_NetStack_WebsocketClient_CloseOption options{0, nullptr};
  std::optional<std::string> reason;
  if (info[1].IsObject()) {
    Napi::Object object = info[1].As<Napi::Object>();
    Napi::Value close_code = object.Get("code");
    if (close_code.IsNumber()) options.code = close_code.As<Napi::Number>().Uint32Value();
    reason = StringField(object, "reason");
    options.reason = reason ? reason->c_str() : nullptr;
  }
  return Code(env, OH_NetStack_WebSocketClient_Close(js_client->client(), options));
}

Napi::Value Destroy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int code = 0;
  JsClient* js_client = JsClient::FromValue(env, info[0], &code);
  if (!js_client) return Code(env, code);
  js_client->DestroyNative();
  return Code(env, Websocket_OK);
}

Napi::Value SetClientLimit(const Napi::CallbackInfo& info) {
  uint32_t limit = info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : 100;
  return Napi::Number::New(info.Env(), NetStack_WebSocket_SetClientLimit(limit));
}

Napi::Value SetSendQueueLimits(const Napi::CallbackInfo& info) {
  // Not a number (or negative): 0, which leaves that bound as it is.
  auto bound = [](const Napi::Value& value) -> size_t {
    if (!value.IsNumber()) return 0;
    const double number = value.As<Napi::Number>().DoubleValue();
    return number >= 1 && number < 9e15 ? static_cast<size_t>(number) : 0;
  };
  NetStack_WebSocket_SetSendQueueLimits(bound(info[0]), bound(info[1]));
  return info.Env().Undefined();
}

Napi::Value LiveCounts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object counts = Napi::Object::New(env);
  counts.Set("clients", Napi::Number::New(env, static_cast<double>(LiveClientCount())));
  counts.Set("connections", Napi::Number::New(env, static_cast<double>(Connection::LiveCount())));
  counts.Set("engines", Napi::Number::New(env, static_cast<double>(Engine::LiveCount())));
  counts.Set("lingeringSockets", Napi::Number::New(env, static_cast<double>(LingeringSockets::LiveCount())));
  return counts;
}

Napi::Value SetTrustStoreProvider(const Napi::CallbackInfo& info) {
  EnvHost* host = info.Env().GetInstanceData<EnvHost>();
  if (host && info[0].IsFunction()) host->SetTrustStoreProvider(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Value SetMirrorBatchDelivery(const Napi::CallbackInfo& info) {
  EnvHost* host = info.Env().GetInstanceData<EnvHost>();
  if (host && info[0].IsFunction()) host->SetMirrorBatchDelivery(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

// Memory shared by the addon and every copy of lib/binding.ts loaded in this environment
// (one per package copy, or CommonJS beside ESM): made here, once, so that they all read
// the same counter and the same receive area.
Napi::Object SharedMemory(Napi::Env env, EnvHost* host) {
  Napi::Object shared = Napi::Object::New(env);
  Napi::Int32Array turns = Napi::Int32Array::New(env, 1, Napi::ArrayBuffer::New(env, sizeof(int32_t)), 0);
  host->SetTurnCounter(turns);
  shared.Set("loopTurns", turns);
  constexpr size_t kLayoutBytes = ReceiveArea::kMessages * sizeof(uint32_t);
  Napi::Uint8Array bytes =
      Napi::Uint8Array::New(env, ReceiveArea::kBytes, Napi::ArrayBuffer::New(env, ReceiveArea::kBytes), 0);
  Napi::Uint32Array layout =
      Napi::Uint32Array::New(env, ReceiveArea::kMessages, Napi::ArrayBuffer::New(env, kLayoutBytes), 0);
  host->SetReceiveArea(bytes, layout);
  shared.Set("receiveBytes", bytes);
  shared.Set("receiveLayout", layout);
  shared.Freeze();
  return shared;
}

Napi::Object ErrorCodes(Napi::Env env) {
  Napi::Object codes = Napi::Object::New(env);
  auto set = [&](const char* name, int value) { codes.Set(name, Napi::Number::New(env, value)); };
#define NETSTACK_ERROR_CODE(name) set(#name, name)
  // Every name of both generations (test/lib/error-codes.test.ts checks the list against
  // the header): the draft names first,
  NETSTACK_ERROR_CODE(Websocket_OK);
  NETSTACK_ERROR_CODE(E_BASE);
  NETSTACK_ERROR_CODE(WEBSOCKET_CLIENT_IS_NULL);
  NETSTACK_ERROR_CODE(WEBSOCKET_CLIENT_IS_NOT_CREAT);
  NETSTACK_ERROR_CODE(WEBSOCKET_CONNECTION_ERROR);
  NETSTACK_ERROR_CODE(WEBSOCKET_CONNECTION_PARSEURL_ERROR);
  NETSTACK_ERROR_CODE(WEBSOCKET_CONNECTION_NO_MEMOERY);
  NETSTACK_ERROR_CODE(WEBSOCKET_PEER_INITIATED_CLOSE);
  NETSTACK_ERROR_CODE(WEBSOCKET_DESTROY);
  NETSTACK_ERROR_CODE(WEBSOCKET_PROTOCOL_ERROR);
  NETSTACK_ERROR_CODE(WEBSOCKET_SEND_NO_MEMOERY_ERROR);
  NETSTACK_ERROR_CODE(WEBSOCKET_SEND_DATA_NULL);
  NETSTACK_ERROR_CODE(WEBSOCKET_DATA_LENGTH_EXCEEDS);
  NETSTACK_ERROR_CODE(WEBSOCKET_QUEUE_LENGTH_EXCEEDS);
  NETSTACK_ERROR_CODE(WEBSOCKET_ERROR_NO_CLIENTCONTEX);
  NETSTACK_ERROR_CODE(WEBSOCKET_ERROR_NO_HEADR_CONTEXT);
  NETSTACK_ERROR_CODE(WEBSOCKET_ERROR_NO_HEADR_EXCEEDS);
  NETSTACK_ERROR_CODE(WEBSOCKET_ERROR_HAVE_NO_CONNECT);
  NETSTACK_ERROR_CODE(WEBSOCKET_ERROR_HAVE_NO_CONNECT_CONTEXT);
  // then the released names.
  NETSTACK_ERROR_CODE(WEBSOCKET_OK);
  NETSTACK_ERROR_CODE(WEBSOCKET_CLIENT_NULL);
  NETSTACK_ERROR_CODE(WEBSOCKET_CLIENT_NOT_CREATED);
  NETSTACK_ERROR_CODE(WEBSOCKET_CONNECTION_PARSE_URL_ERROR);
  NETSTACK_ERROR_CODE(WEBSOCKET_CONNECTION_NO_MEMORY);
  NETSTACK_ERROR_CODE(WEBSOCKET_CONNECTION_CLOSED_BY_PEER);
  NETSTACK_ERROR_CODE(WEBSOCKET_DESTROYED);
  NETSTACK_ERROR_CODE(WEBSOCKET_SEND_NO_MEMORY);
  NETSTACK_ERROR_CODE(WEBSOCKET_DATA_LENGTH_EXCEEDED);
  NETSTACK_ERROR_CODE(WEBSOCKET_QUEUE_LENGTH_EXCEEDED);
  NETSTACK_ERROR_CODE(WEBSOCKET_NO_CLIENT_CONTEXT);
  NETSTACK_ERROR_CODE(WEBSOCKET_NO_HEADER_CONTEXT);
  NETSTACK_ERROR_CODE(WEBSOCKET_HEADER_EXCEEDED);
  NETSTACK_ERROR_CODE(WEBSOCKET_NO_CONNECTION);
  NETSTACK_ERROR_CODE(WEBSOCKET_NO_CONNECTION_CONTEXT);
#undef NETSTACK_ERROR_CODE
  codes.Freeze();
  return codes;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* host = new EnvHost(env);
  env.SetInstanceData<EnvHost>(host);
  exports.Set("errorCodes", ErrorCodes(env));
  exports.Set("NativeSocket", NativeSocket::Define(env));
  exports.Set("construct", Napi::Function::New(env, JsClient::Construct, "construct"));
  exports.Set("addHeader", Napi::Function::New(env, AddHeader, "addHeader"));
  exports.Set("connect", Napi::Function::New(env, Connect, "connect"));
  exports.Set("send", Napi::Function::New(env, Send, "send"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("destroy", Napi::Function::New(env, Destroy, "destroy"));
  exports.Set("setClientLimit", Napi::Function::New(env, SetClientLimit, "setClientLimit"));
  exports.Set("setSendQueueLimits", Napi::Function::New(env, SetSendQueueLimits, "setSendQueueLimits"));
  exports.Set("liveCounts", Napi::Function::New(env, LiveCounts, "liveCounts"));
  exports.Set("setTrustStoreProvider", Napi::Function::New(env, SetTrustStoreProvider, "setTrustStoreProvider"));
  exports.Set("setMirrorBatchDelivery", Napi::Function::New(env, SetMirrorBatchDelivery, "setMirrorBatchDelivery"));
  exports.Set("shared", SharedMemory(env, host));
  return exports;
}

}  // namespace netstack::addon

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return netstack::addon::Init(env, exports); }

NODE_API_MODULE(netstack_websocket, InitModule)
