// Calling JS from a libuv callback (outside any JS frame), safely.
#pragma once

#include <napi.h>

#include <vector>

namespace netstack::addon {

// A handle scope opened with raw napi: while a worker is being terminated napi calls
// fail, and then the event is simply dropped (ok() is false).
class LoopCallbackScope {
 public:
  explicit LoopCallbackScope(napi_env env) : env_(env) { ok_ = napi_open_handle_scope(env, &scope_) == napi_ok; }
  ~LoopCallbackScope() {
    if (ok_) napi_close_handle_scope(env_, scope_);
  }
  LoopCallbackScope(const LoopCallbackScope&) = delete;
  LoopCallbackScope& operator=(const LoopCallbackScope&) = delete;
  bool ok() const { return ok_; }

 private:
  napi_env env_;
  napi_handle_scope scope_ = nullptr;
  bool ok_ = false;
};

// Calls fn with receiver recv as a top-level callback (microtasks and async hooks run
// as after any I/O callback). An exception thrown by user code goes on to
// 'uncaughtException'; nothing is thrown into the caller (lws).
void CallIntoJs(napi_env env, napi_async_context context, napi_value recv, napi_value fn,
                const std::vector<napi_value>& args);

// Passes a C++-side Napi::Error (e.g. a throwing getter) on to 'uncaughtException'.
void ForwardToUncaught(napi_env env, const Napi::Error& error);

}  // namespace netstack::addon
