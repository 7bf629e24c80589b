// The native side of one JS client object of the C-API mirror. It is owned by the JS
// object (napi_wrap; freed by its finalizer) and owns nothing of the C client except
// the duty to destroy it: the C client belongs to the C API's registry.
#pragma once

#include <napi.h>

#include <functional>
#include <vector>

#include "js_bridge.h"
#include "net_websocket.h"
#include "oh_client.h"

namespace netstack::addon {

class EnvHost;

class JsClient final : public ClientObserver, private JsBridge::Owner {
 public:
  // Makes the C client and the JS object; returns null when the C API refuses (limit).
  static Napi::Value Construct(const Napi::CallbackInfo& info);

  // The JsClient behind a JS value, or null with *code set to the C API's answer
  // for such a pointer (1001 for null/undefined, 1002 for anything else).
  static JsClient* FromValue(Napi::Env env, Napi::Value value, int* code);

  OH_NetStack_WebsocketClient* client() const { return client_; }
  Napi::Object object() const;

  // Keeps the JS object alive while a connection may still call back into it.
  void Pin() { bridge_.Pin(); }
  void Unpin() { bridge_.Unpin(); }

  // Destroys the C client (no JS runs); safe to call more than once.
  void DestroyNative();

  void OnConnectionFinished() override { Unpin(); }

  // The four C callbacks: find the JsClient and call the JS function of the same name.
  static void OnOpen(OH_NetStack_WebsocketClient* client, OH_NetStack_WebsocketClient_OpenResult result);
  static void OnMessage(OH_NetStack_WebsocketClient* client, char* data, uint32_t length);
  static void OnError(OH_NetStack_WebsocketClient* client, OH_NetStack_WebsocketClient_ErrorResult result);
  static void OnClose(OH_NetStack_WebsocketClient* client, OH_NetStack_WebsocketClient_CloseResult result);

 private:
  JsClient(EnvHost* host, napi_env env) : host_(host), env_(env), bridge_(host, env, this) {}
  ~JsClient();
  static void Finalize(napi_env env, void* data, void* hint);
  static JsClient* ForCallback(OH_NetStack_WebsocketClient* client);
  // Calls object()[name](object(), ...args) through the bridge (nothing if the object was
  // collected or has no such function).
  template <typename MakeArgs>
  void CallByName(const char* name, MakeArgs make_args);
  // Delivers the waiting messages first (callbacks keep their order), then the call.
  template <typename MakeArgs>
  void Emit(const char* name, MakeArgs make_args);
  // Runs one C callback's JS counterpart, for the JsClient of `client`.
  template <typename MakeArgs>
  static void Dispatch(OH_NetStack_WebsocketClient* client, const char* name, MakeArgs make_args);

  // Small messages received in one loop turn reach JS in one call of lib/native.ts's
  // batch delivery, which calls onMessage for each (one call into JS instead of many).
  static std::function<std::vector<napi_value>(Napi::Env)> MessageArgs(const uint8_t* data, size_t length);
  bool KeepMessage(const char* data, uint32_t length);
  void DeliverMessages(const MessageInbox::Batch& batch) override;

  EnvHost* host_;
  napi_env env_;
  OH_NetStack_WebsocketClient* client_ = nullptr;
  napi_ref self_ = nullptr;  // owned; weak, or strong while pinned (JsBridge)
  JsBridge bridge_;
};

}  // namespace netstack::addon
