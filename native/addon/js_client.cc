#include "js_client.h"

#include <functional>
#include <vector>

#include "engine.h"
#include "env_host.h"

namespace netstack::addon {
namespace {

// Marks objects made by this addon's Construct, so a look-alike object is refused (1002).
const napi_type_tag kClientTypeTag = {0x6e657473746b7773ULL, 0x4f48436c69656e74ULL};


Napi::Value OrNull(Napi::Env env, Napi::Value value) {
  return value.IsFunction() ? value : env.Null();
}

}  // namespace

Napi::Value JsClient::Construct(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnvHost* host = EnvHost::Current();
  if (!host || host->tearing_down()) return env.Null();

  OH_NetStack_WebsocketClient* client = ConstructClientOn(host, &JsClient::OnOpen, &JsClient::OnMessage,
                                                          &JsClient::OnError, &JsClient::OnClose);
  if (!client) return env.Null();

  Napi::Object object = Napi::Object::New(env);
  object.Set("onOpen", OrNull(env, info[0]));
  object.Set("onMessage", OrNull(env, info[1]));
  object.Set("onError", OrNull(env, info[2]));
  object.Set("onClose", OrNull(env, info[3]));
  Napi::Object request_options = Napi::Object::New(env);
  request_options.Set("headers", env.Null());
  object.Set("RequestOptions", request_options);

  auto* js_client = new JsClient(host, env);
  js_client->client_ = client;
  napi_type_tag_object(env, object, &kClientTypeTag);
  napi_wrap(env, object, js_client, &JsClient::Finalize, nullptr, nullptr);
  napi_create_reference(env, object, 0, &js_client->self_);
  js_client->bridge_.set_targets(js_client->self_);
  host->Register(client, js_client);
  SetClientObserver(client, js_client);
  return object;
}

JsClient* JsClient::FromValue(Napi::Env env, Napi::Value value, int* code) {
  if (value.IsNull() || value.IsUndefined()) {
    *code = WEBSOCKET_CLIENT_IS_NULL;
    return nullptr;
  }
  *code = WEBSOCKET_CLIENT_IS_NOT_CREAT;
  if (!value.IsObject()) return nullptr;
  bool tagged = false;
  if (napi_check_object_type_tag(env, value, &kClientTypeTag, &tagged) != napi_ok || !tagged) return nullptr;
  void* data = nullptr;
  if (napi_unwrap(env, value, &data) != napi_ok || !data) return nullptr;
  auto* js_client = static_cast<JsClient*>(data);
  if (!js_client->client_) return nullptr;  // destroyed
  return js_client;
}

Napi::Object JsClient::object() const {
  napi_value value = nullptr;
  napi_get_reference_value(env_, self_, &value);
  return Napi::Object(env_, value);
}

void JsClient::DestroyNative() {
  // After Destroy no callback runs (the C API's contract), also not for messages that
  // arrived earlier in this loop turn.
  bridge_.Drop();
  if (!client_) return;
  OH_NetStack_WebsocketClient* client = client_;
  client_ = nullptr;
  host_->Unregister(client);
  OH_NetStack_WebsocketClient_Destroy(client);
  Unpin();
}

JsClient::~JsClient() {
  DestroyNative();
  if (self_ && !host_->tearing_down()) napi_delete_reference(env_, self_);
}

void JsClient::Finalize(napi_env /*env*/, void* data, void* /*hint*/) {
  // The JS object was collected (or the environment is going away).
  delete static_cast<JsClient*>(data);
}

JsClient* JsClient::ForCallback(OH_NetStack_WebsocketClient* client) {
  EnvHost* host = EnvHost::Current();
  if (!host || host->tearing_down()) return nullptr;
  return host->Find(client);
}

template <typename MakeArgs>
void JsClient::CallByName(const char* name, MakeArgs make_args) {
  bridge_.Call([&](Napi::Env env) {
    JsCall call;
    std::vector<napi_value> extra_args = make_args(env);
    napi_value self = nullptr;
    napi_get_reference_value(env, self_, &self);
    if (!self) return call;  // collected
    Napi::Value callback = Napi::Object(env, self).Get(name);
    if (!callback.IsFunction()) return call;
    call.receiver = self;
    call.function = callback;
    call.args.reserve(extra_args.size() + 1);
    call.args.push_back(self);
    call.args.insert(call.args.end(), extra_args.begin(), extra_args.end());
    return call;
  });
}

template <typename MakeArgs>
void JsClient::Emit(const char* name, MakeArgs make_args) {
  bridge_.Flush();
  if (!client_) return;  // destroyed by a callback of the waiting messages
  CallByName(name, make_args);
}

template <typename MakeArgs>
void JsClient::Dispatch(OH_NetStack_WebsocketClient* client, const char* name, MakeArgs make_args) {
  if (JsClient* js_client = ForCallback(client)) js_client->Emit(name, make_args);
}

// The arguments of onMessage after the client: (Buffer data, number length).
std::function<std::vector<napi_value>(Napi::Env)> JsClient::MessageArgs(const uint8_t* data, size_t length) {
  return [data, length](Napi::Env env) -> std::vector<napi_value> {
    return {Napi::Buffer<uint8_t>::Copy(env, data, length), Napi::Number::New(env, static_cast<double>(length))};
  };
}

bool JsClient::KeepMessage(const char* data, uint32_t length) {
  Engine* engine = host_->mirror_batch_delivery().IsEmpty() ? nullptr : host_->GetEngine();
  TurnBatcher* batcher = engine ? engine->turn_batcher() : nullptr;
  return bridge_.Keep(reinterpret_cast<const uint8_t*>(data), length, false, batcher);
}

void JsClient::DeliverMessages(const MessageInbox::Batch& batch) {
  if (batch.layout.size() == 1) {  // one message: the plain call is cheaper
    CallByName("onMessage", MessageArgs(batch.bytes.data(), batch.bytes.size()));
    return;
  }
  bridge_.Call([&](Napi::Env env) {
    JsCall call;
    napi_value self = nullptr;
    napi_get_reference_value(env, self_, &self);
    if (!self) return call;  // collected
    call.receiver = self;
    call.function = host_->mirror_batch_delivery().Value();
    call.args = MessageInbox::ToJs(env, batch);
    call.args.insert(call.args.begin(), self);
    return call;
  });
}

void JsClient::OnOpen(OH_NetStack_WebsocketClient* client, OH_NetStack_WebsocketClient_OpenResult result) {
  Dispatch(client, "onOpen", [&](Napi::Env env) -> std::vector<napi_value> {
    Napi::Object open_result = Napi::Object::New(env);
    open_result.Set("code", Napi::Number::New(env, result.code));
    open_result.Set("reason", Napi::String::New(env, result.reason ? result.reason : ""));
    return {open_result};
  });
}

void JsClient::OnMessage(OH_NetStack_WebsocketClient* client, char* data, uint32_t length) {
  JsClient* js_client = ForCallback(client);
  if (!js_client || js_client->KeepMessage(data, length)) return;
  js_client->Emit("onMessage", MessageArgs(reinterpret_cast<const uint8_t*>(data), length));
}

void JsClient::OnError(OH_NetStack_WebsocketClient* client, OH_NetStack_WebsocketClient_ErrorResult result) {
  Dispatch(client, "onError", [&](Napi::Env env) -> std::vector<napi_value> {
    Napi::Object error_result = Napi::Object::New(env);
    error_result.Set("errorCode", Napi::Number::New(env, result.errorCode));
    error_result.Set("errorMessage", Napi::String::New(env, result.errorMessage ? result.errorMessage : ""));
    return {error_result};
  });
}

void JsClient::OnClose(OH_NetStack_WebsocketClient* client, OH_NetStack_WebsocketClient_CloseResult result) {
  Dispatch(client, "onClose", [&](Napi::Env env) -> std::vector<napi_value> {
    Napi::Object close_result = Napi::Object::New(env);
    close_result.Set("code", Napi::Number::New(env, result.code));
    close_result.Set("reason", Napi::String::New(env, result.reason ? result.reason : ""));
    return {close_result};
  });
}

}  // namespace netstack::addon
