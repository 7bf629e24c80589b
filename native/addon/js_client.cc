#include "js_client.h"

#include <functional>
#include <vector>

#include "env_host.h"
#include "js_call.h"

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

void JsClient::Pin() {
  if (pinned_ || !self_) return;
  pinned_ = true;
  napi_reference_ref(env_, self_, nullptr);
}

void JsClient::Unpin() {
  if (!pinned_ || !self_ || host_->tearing_down()) return;
  pinned_ = false;
  napi_reference_unref(env_, self_, nullptr);
}

void JsClient::DestroyNative() {
  // After Destroy no callback runs (the C API's contract), also not for messages that
  // arrived earlier in this loop turn.
  inbox_.Drop();
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

void JsClient::CallJs(const char* name, const std::vector<napi_value>& extra_args) {
  napi_value self = nullptr;
  napi_get_reference_value(env_, self_, &self);
  if (!self) return;  // collected
  Napi::Object object(env_, self);
  Napi::Value callback = object.Get(name);
  if (!callback.IsFunction()) return;

  std::vector<napi_value> args;
  args.reserve(extra_args.size() + 1);
  args.push_back(self);
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  CallIntoJs(env_, host_->async_context(), self, callback, args);
}

template <typename MakeArgs>
void JsClient::CallJsGuarded(const char* name, MakeArgs make_args) {
  LoopCallbackScope scope(env_);  // nothing here may throw past this frame into lws
  if (!scope.ok()) return;
  try {
    CallJs(name, make_args(Napi::Env(env_)));
  } catch (const Napi::Error& error) {
    ForwardToUncaught(env_, error);
  }
}

template <typename MakeArgs>
void JsClient::Emit(const char* name, MakeArgs make_args) {
  DeliverInbox();
  if (!client_) return;  // destroyed by a callback of the inbox
  CallJsGuarded(name, make_args);
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

bool JsClient::AddToInbox(const char* data, uint32_t length) {
  Engine* engine = host_->mirror_batch_delivery().IsEmpty() ? nullptr : host_->GetEngine();
  TurnBatcher* batcher = engine ? engine->turn_batcher() : nullptr;
  if (!inbox_.Add(reinterpret_cast<const uint8_t*>(data), length, false, batcher)) return false;
  if (inbox_.full()) DeliverInbox();
  return true;
}

void JsClient::DeliverInbox() {
  if (inbox_.empty()) return;
  // Taken out first: the callbacks may receive or destroy meanwhile.
  MessageInbox::Batch batch = inbox_.Take();
  if (batch.layout.size() == 1) {  // one message: the plain call is cheaper
    CallJsGuarded("onMessage", MessageArgs(batch.bytes.data(), batch.bytes.size()));
  } else {
    LoopCallbackScope scope(env_);  // the handle scope first: self is a handle
    if (!scope.ok()) return;
    napi_value self = nullptr;
    napi_get_reference_value(env_, self_, &self);
    if (!self) return;  // collected
    try {
      std::vector<napi_value> args = MessageInbox::ToJs(Napi::Env(env_), batch);
      args.insert(args.begin(), self);
      CallIntoJs(env_, host_->async_context(), self, host_->mirror_batch_delivery().Value(), args);
    } catch (const Napi::Error& error) {
      ForwardToUncaught(env_, error);
    }
  }
  inbox_.Recycle(std::move(batch));
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
  if (!js_client || js_client->AddToInbox(data, length)) return;
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
