// What a Connection tells its owner. All calls come on the engine's loop thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace netstack {

// The server's answer to the opening handshake (also for a refused one, e.g. 401).
struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
  // A refused handshake (status other than 101): the start of its body, what arrived with
  // the headers (patches/lws/0082), at most kMaxBodyBytes.
  std::string body;
  static constexpr size_t kMaxBodyBytes = 64 * 1024;
};

struct OpenInfo {
  int http_status = 0;          // 101
  std::string_view status_text; // "Switching Protocols"
  std::string_view protocol;    // the subprotocol the server chose, "" if none
  std::string_view extensions;  // the negotiated extensions, "" if none
  const HttpResponse* response = nullptr;
};

struct CloseInfo {
  uint16_t code = 0;            // RFC 6455 code; 1005 no status, 1006 no close frame
  std::string_view reason;
  bool clean = false;           // a closing handshake took place
};

// What went wrong, in the engine's own terms. Each face numbers it its own way (the C API
// and the addon: OH_Websocket_ErrCode, see native/capi/oh_error_codes.h).
enum class ConnectionError {
  kConnectFailed,      // name resolution, TCP, proxy, TLS or the opening handshake failed
  kProtocolViolation,  // the peer broke RFC 6455 (the connection was failed with 1002/1007/...)
  kMessageTooBig,      // a received message exceeds the limit (the connection was failed with 1009)
};

// Why a connection could not be opened (OnError with kConnectFailed): how far it got, and
// the underlying error in the conventional terms Node uses too (a system error's errno name,
// OpenSSL's certificate verdict), so that every face can report the same cause the same way.
struct ConnectFailure {
  enum class Step : uint8_t {
    kSetup,      // before the network: TLS material, proxy credentials, the caller's close
    kResolve,    // the host name lookup
    kConnect,    // the TCP connect (or the unix socket's)
    kTls,        // the TLS handshake
    kHandshake,  // the HTTP upgrade: the request sent, the server's answer awaited or checked
  };
  Step step = Step::kSetup;
  // The cause's code: a system error's name ("ECONNREFUSED", "ENOTFOUND", "ECONNRESET",
  // "ETIMEDOUT"), a certificate verdict ("DEPTH_ZERO_SELF_SIGNED_CERT", "CERT_HAS_EXPIRED",
  // "ERR_TLS_CERT_ALTNAME_INVALID"), a TLS library error ("ERR_SSL_WRONG_VERSION_NUMBER");
  // "" when there is none (an HTTP refusal, a subprotocol the client did not offer, ...).
  std::string code;
  int error_number = 0;  // libuv's (negative) number of a system error, else 0
  std::string syscall;   // the call that failed ("connect", "getaddrinfo"); "" if not a system call
  std::string address;   // the peer's IP address or socket path; the host name for "getaddrinfo"
  int port = 0;          // the peer's port (0 for a unix socket or a name lookup)
  std::string host;      // ERR_TLS_CERT_ALTNAME_INVALID: the name the certificate was checked against
  // What happened, in plain words, without the URL: "the connection was refused
  // (ECONNREFUSED)". The same cause always gives the same words.
  std::string description;
  // The cause's own words: the system's ("connection refused"), OpenSSL's ("self-signed
  // certificate"), or for a certificate name mismatch which names did not match.
  std::string reason;
  uint32_t timeout_ms = 0;  // nonzero: the opening handshake did not complete in this time
  bool abandoned = false;   // the caller closed the connection before it opened
};

// Where complete incoming messages go (the MessageAssembler's view of the sink).
class MessageSink {
 public:
  // One call per complete message; data is valid only during the call. When `owned` is
  // not null it holds exactly these bytes and the sink may move them out to keep them
  // without a copy.
  virtual void OnMessage(const uint8_t* data, size_t length, bool binary, std::vector<uint8_t>* owned) = 0;
  // Room for the `length` bytes of a message that is about to arrive in pieces, when the
  // sink wants it written straight into memory of its own (a JS Buffer, say); nullptr:
  // the connection reassembles it. The room is filled completely and then handed to
  // OnMessage as its `data`, or dropped unused when the connection ends first. Only one
  // room is asked for at a time, and never after the sink was detached.
  virtual uint8_t* ReserveMessage(size_t /*length*/) { return nullptr; }

 protected:
  ~MessageSink() = default;
};

class ConnectionSink : public MessageSink {
 public:
  virtual void OnOpen(const OpenInfo& info) = 0;
  // response: the HTTP answer when the handshake was refused (nullptr otherwise); failure:
  // why the connection could not be opened (kConnectFailed only, else nullptr).
  virtual void OnError(ConnectionError error, const std::string& message, const HttpResponse* response,
                       const ConnectFailure* failure) = 0;
  virtual void OnClose(const CloseInfo& info) = 0;
  // Last call: the connection ended (after OnClose, or after OnError if it never opened).
  virtual void OnFinished() = 0;
  // The engine is going away (process or worker teardown): no user code may run now.
  virtual void OnEngineShutdown() = 0;
  // Every message with an id <= up_to_id has been handed to the kernel.
  virtual void OnSent(uint64_t /*up_to_id*/) {}
  virtual void OnPong(const uint8_t* /*data*/, size_t /*length*/) {}
  // A ping arrived (answered by lws unless auto_pong is off).
  virtual void OnPing(const uint8_t* /*data*/, size_t /*length*/) {}

 protected:
  ~ConnectionSink() = default;
};

}  // namespace netstack
