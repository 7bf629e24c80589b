#include "env_host.h"

#include <uv.h>

#include <vector>

#include "js_call.h"
#include "js_client.h"

namespace netstack {

// The C API's Construct uses the host of the calling JS thread.
EngineHost* CurrentEngineHost() { return addon::EnvHost::Current(); }

namespace addon {
namespace {
thread_local EnvHost* t_current_host = nullptr;
}  // namespace

EnvHost::EnvHost(Napi::Env env) : env_(env) {
  napi_get_uv_event_loop(env_, &loop_);
  napi_value resource_name = Napi::String::New(env_, "NetStackWebSocket");
  napi_async_init(env_, nullptr, resource_name, &async_context_);
  // Async, not a plain env cleanup hook: lws closes its handles asynchronously and the
  // environment must wait for that (a plain hook crashed workers, see the notes).
  napi_add_async_cleanup_hook(env_, OnAsyncCleanup, this, nullptr);
  t_current_host = this;
}

EnvHost::~EnvHost() {
  if (t_current_host == this) t_current_host = nullptr;
}

EnvHost* EnvHost::Current() { return t_current_host; }

void EnvHost::SetTrustStoreProvider(Napi::Function provider) {
  trust_store_provider_ = Napi::Persistent(provider);
}

void EnvHost::SetTurnCounter(Napi::TypedArrayOf<int32_t> counter) {
  turn_counter_ref_ = Napi::Persistent(counter);
  turn_counter_ = counter.Data();  // the engine, made later, counts into it (GetEngine)
}

void EnvHost::SetReceiveArea(Napi::Uint8Array bytes, Napi::Uint32Array layout) {
  receive_bytes_ref_ = Napi::Persistent(bytes);
  receive_layout_ref_ = Napi::Persistent(layout);
  receive_area_ = ReceiveArea{bytes.Data(), bytes.ElementLength(), layout.Data(), layout.ElementLength()};
}

Engine* EnvHost::GetEngine() {
  if (engine_ || tearing_down_) return engine_.get();
  EngineConfig config;
  // Asked for once, by the first wss:// connect that uses the default trust, on a later turn
  // of the loop (that connect's own call stays short); a ws:// application never builds it.
  config.trusted_ca_pem = [this](std::function<void(std::string)> done) {
    engine_->Defer([this, done] { done(TrustedCaPem()); });
  };
  config.unref_idle_handles = true;
  engine_ = Engine::Create(loop_, std::move(config));
  if (engine_ && engine_->turn_batcher()) engine_->turn_batcher()->CountTurnsIn(turn_counter_);
  return engine_.get();
}

std::string EnvHost::TrustedCaPem() {
  if (trust_store_provider_.IsEmpty() || tearing_down_) return std::string();
  LoopCallbackScope scope(env_);  // called from a loop callback, outside any JS frame
  if (!scope.ok()) return std::string();
  napi_value recv = nullptr;
  napi_value result = nullptr;
  napi_get_global(env_, &recv);  // napi_make_callback needs an object as the receiver
  napi_status status = napi_make_callback(env_, async_context_, recv, trust_store_provider_.Value(), 0, nullptr, &result);
  if (status == napi_pending_exception) {
    // lib/binding.ts's provider does not throw; if it did, nothing extra is trusted.
    napi_value error = nullptr;
    napi_get_and_clear_last_exception(env_, &error);
    return std::string();
  }
  Napi::Value pem(env_, result);
  return status == napi_ok && pem.IsString() ? pem.As<Napi::String>().Utf8Value() : std::string();
}

void EnvHost::Register(OH_NetStack_WebsocketClient* client, JsClient* js_client) { clients_[client] = js_client; }

void EnvHost::Unregister(OH_NetStack_WebsocketClient* client) { clients_.erase(client); }

JsClient* EnvHost::Find(OH_NetStack_WebsocketClient* client) const {
  auto it = clients_.find(client);
  return it == clients_.end() ? nullptr : it->second;
}

void EnvHost::OnAsyncCleanup(napi_async_cleanup_hook_handle handle, void* data) {
  static_cast<EnvHost*>(data)->BeginTeardown(handle);
}

void EnvHost::BeginTeardown(napi_async_cleanup_hook_handle handle) {
  // From here on no JS may run: destroy every client silently, then the engine.
  tearing_down_ = true;
  // The engine's last turns no longer count into JS memory.
  if (engine_ && engine_->turn_batcher()) engine_->turn_batcher()->CountTurnsIn(nullptr);
  std::vector<JsClient*> live;
  for (auto& entry : clients_) live.push_back(entry.second);
  for (JsClient* js_client : live) js_client->DestroyNative();
  clients_.clear();
  if (async_context_) {
    napi_async_destroy(env_, async_context_);
    async_context_ = nullptr;
  }
  auto done = [handle] { napi_remove_async_cleanup_hook(handle); };
  if (engine_) {
    engine_->Shutdown([this, done] {
      engine_.reset();
      done();
    });
  } else {
    done();
  }
}

}  // namespace addon
}  // namespace netstack
