// One EngineHost per Node environment (main thread or worker): lws runs on that
// environment's own libuv loop, so every callback reaches JS on its thread.
#pragma once

#include <napi.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "engine.h"
#include "engine_host.h"
#include "message_inbox.h"
#include "net_websocket.h"

namespace netstack::addon {

class JsClient;

// Memory shared with JS (addon.shared, made once per environment in addon.cc) that a
// batch of a few small received messages is copied into, in place of a new Buffer (an
// ArrayBuffer each) per batch: the bytes back to back, and per message its end offset |
// MessageInbox::kBinaryFlag.
struct ReceiveArea {
  // Batches of at most this many messages go through it (NativeSocket::DeliverMessages).
  static constexpr size_t kMessages = 8;
  static constexpr size_t kBytes = kMessages * MessageInbox::kMaxBatchedMessage;

  uint8_t* bytes = nullptr;
  size_t bytes_size = 0;
  uint32_t* layout = nullptr;
  size_t layout_size = 0;
};

class EnvHost final : public EngineHost {
 public:
  explicit EnvHost(Napi::Env env);
  ~EnvHost() override;

  // The host of the environment whose JS thread is calling (set at module init).
  static EnvHost* Current();

  Engine* GetEngine() override;
  void RunOnLoop(const std::function<void()>& fn) override { fn(); }  // JS only calls from its own thread

  void SetTrustStoreProvider(Napi::Function provider);
  // lib/native.ts's function(client, bytes, layout) that calls client.onMessage for each
  // message of a batch (empty: the mirror delivers one message per call).
  void SetMirrorBatchDelivery(Napi::Function deliver) { mirror_batch_delivery_ = Napi::Persistent(deliver); }
  const Napi::FunctionReference& mirror_batch_delivery() const { return mirror_batch_delivery_; }
  // Called once, at module init (addon.cc): the Int32Array the engine counts its loop
  // turns into (JS reads it without a call), and the receive area's two arrays.
  void SetTurnCounter(Napi::TypedArrayOf<int32_t> counter);
  void SetReceiveArea(Napi::Uint8Array bytes, Napi::Uint32Array layout);
  // nullptr: none (not given, or the environment is going).
  const ReceiveArea* receive_area() const { return receive_area_.bytes && !tearing_down_ ? &receive_area_ : nullptr; }
  napi_async_context async_context() const { return async_context_; }
  bool tearing_down() const { return tearing_down_; }

  void Register(OH_NetStack_WebsocketClient* client, JsClient* js_client);
  void Unregister(OH_NetStack_WebsocketClient* client);
  JsClient* Find(OH_NetStack_WebsocketClient* client) const;

 private:
  // Node's trusted certificates (lib/binding.ts's provider), as one PEM bundle.
  std::string TrustedCaPem();
  static void OnAsyncCleanup(napi_async_cleanup_hook_handle handle, void* data);
  void BeginTeardown(napi_async_cleanup_hook_handle handle);

  napi_env env_;
  uv_loop_t* loop_ = nullptr;
  // Keeps the counter's memory alive for the engine (declared first: released last).
  Napi::Reference<Napi::TypedArrayOf<int32_t>> turn_counter_ref_;
  int32_t* turn_counter_ = nullptr;
  Napi::Reference<Napi::Uint8Array> receive_bytes_ref_;
  Napi::Reference<Napi::Uint32Array> receive_layout_ref_;
  ReceiveArea receive_area_;
  std::unique_ptr<Engine> engine_;
  Napi::FunctionReference trust_store_provider_;
  Napi::FunctionReference mirror_batch_delivery_;
  napi_async_context async_context_ = nullptr;
  std::unordered_map<OH_NetStack_WebsocketClient*, JsClient*> clients_;
  bool tearing_down_ = false;
};

}  // namespace netstack::addon
