#include "js_call.h"

namespace netstack::addon {
namespace {

// While a worker is being terminated napi reports a pending exception with no value.
bool IsValue(napi_env env, napi_value value) {
  napi_valuetype type;
  return value && napi_typeof(env, value, &type) == napi_ok && type != napi_undefined;
}

}  // namespace

void CallIntoJs(napi_env env, napi_async_context context, napi_value recv, napi_value fn,
                const std::vector<napi_value>& args) {
  napi_value result = nullptr;
  napi_status status = napi_make_callback(env, context, recv, fn, args.size(), args.data(), &result);
  if (status == napi_pending_exception) {
    napi_value error = nullptr;
    napi_get_and_clear_last_exception(env, &error);
    if (IsValue(env, error)) napi_fatal_exception(env, error);
  }
}

void ForwardToUncaught(napi_env env, const Napi::Error& error) {
  napi_value value = error.Value();
  if (IsValue(env, value)) napi_fatal_exception(env, value);
}

}  // namespace netstack::addon
