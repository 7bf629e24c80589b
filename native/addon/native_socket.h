// NativeSocket: one engine connection as a JS object, for the TypeScript faces
// (WebSocket, connect(), createWebSocket). The Connection belongs to the Engine; this
// object only points at it until the connection finishes, and keeps itself alive
// (pinned, through its JsBridge) meanwhile so that events always have somewhere to go.
#pragma once

#include <napi.h>

#include <vector>

#include "connection_sink.h"
#include "js_bridge.h"

namespace netstack {
class Connection;
}

namespace netstack::addon {

class NativeSocket final : public Napi::ObjectWrap<NativeSocket>, public ConnectionSink, private JsBridge::Owner {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit NativeSocket(const Napi::CallbackInfo& info);
  ~NativeSocket() override;

  // ConnectionSink
  void OnOpen(const OpenInfo& info) override;
  void OnMessage(const uint8_t* data, size_t length, bool binary, std::vector<uint8_t>* owned) override;
  void OnError(ConnectionError error, const std::string& message, const HttpResponse* response,
               const ConnectFailure* failure) override;
  void OnClose(const CloseInfo& info) override;
  void OnFinished() override;
  void OnEngineShutdown() override;
  void OnSent(uint64_t up_to_id) override;
  void OnPong(const uint8_t* data, size_t length) override;
  void OnPing(const uint8_t* data, size_t length) override;
  uint8_t* ReserveMessage(size_t length) override;

 private:
  enum Handler {
    kOnOpen, kOnMessage, kOnError, kOnClose, kOnSent, kOnPong, kOnMessages, kOnPing, kOnMessagesInArea, kHandlerCount
  };

 public:
  static constexpr int kHandlerNameCount = kHandlerCount;

 private:

  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Terminate(const Napi::CallbackInfo& info);
  Napi::Value Ping(const Napi::CallbackInfo& info);
  Napi::Value Pong(const Napi::CallbackInfo& info);
  Napi::Value QueueControl(const Napi::CallbackInfo& info, bool pong);
  Napi::Value BufferedAmount(const Napi::CallbackInfo& info);
  // bufferedAmount, and the turn counter (lib/binding.ts) changes after this task; -1
  // when the engine counts no turns (shutting down).
  Napi::Value BufferedAmountForTurn(const Napi::CallbackInfo& info);
  // Receive flow control (backpressure): pauseReceiving(true) stops reading the socket.
  Napi::Value PauseReceiving(const Napi::CallbackInfo& info);

  bool HasHandler(Handler which) const { return (handler_present_ >> which) & 1u; }
  // Calls handler `which` with the values make_args builds (never throws); Emit delivers
  // the messages waiting in the bridge first (events keep their order).
  template <typename MakeArgs>
  void CallHandler(Handler which, MakeArgs make_args);
  template <typename MakeArgs>
  void Emit(Handler which, MakeArgs make_args);

  // JsBridge::Owner: several small messages in one onMessages call (one: onMessage).
  void DeliverMessages(const MessageInbox::Batch& batch) override;
  void CallOnMessage(const uint8_t* data, size_t length, bool binary);
  void AdoptAndCallOnMessage(std::vector<uint8_t> bytes, bool binary);

  JsBridge bridge_;
  Connection* connection_ = nullptr;  // owned by the engine; null once finished
  Napi::Reference<Napi::Array> handlers_;  // [receiver, function per Handler + 1 or undefined]
  uint32_t handler_present_ = 0;           // bit per Handler
  bool close_emitted_ = false;
  // The Buffer a large message is being received into (ReserveMessage), until delivered.
  Napi::Reference<Napi::Buffer<uint8_t>> reserved_message_;
  const uint8_t* reserved_data_ = nullptr;
};

}  // namespace netstack::addon
