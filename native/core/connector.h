// How a Connection gets open: the name lookup and, for wss://, the trusted certificates
// (both off the loop thread, at the same time), one lws connect attempt per address
// (through a proxy when asked), the handshake's extra headers, the check of the server's
// answer (subprotocol, extensions), the handshake timeout, and why it failed (the step it
// got to and the cause: ConnectFailure). It keeps the handshake's data only until the
// connection is open.
//
// The Connection routes the lws events of the handshake here and is told the outcome
// through ConnectorOwner; every loop callback the connector waits for is a Hold of the
// connection (LoopHolds), so the connection is never freed under it.
#pragma once

#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "connect_request.h"
#include "connection_sink.h"
#include "loop_holds.h"
#include "trust_store.h"

struct lws;
struct lws_retry_bo;
struct x509_store_ctx_st;

namespace netstack {

class Engine;

// What the connector tells its connection. All calls on the loop thread.
class ConnectorOwner {
 public:
  // Someone still waits for the outcome (false once detached or the engine shuts down).
  virtual bool OutcomeWanted() const = 0;
  // The name is resolved: the first attempt starts.
  virtual void OnConnecting() = 0;
  // An attempt is under way (the connection is not open, failed or closed yet).
  virtual bool StillConnecting() const = 0;
  // No attempt is left: report `message` (and the connector's failure()) and end.
  virtual void OnConnectFailed(const std::string& message) = 0;
  // Nobody waits for the outcome any more: end quietly.
  virtual void OnConnectAbandoned() = 0;
  // The handshake timed out: report `message` and drop the socket.
  virtual void OnHandshakeTimeout(const std::string& message) = 0;
  // A hold was released: the connection may be freed now (the connector is freed with it,
  // so it touches nothing after this call).
  virtual void ReleaseIfDone() = 0;

 protected:
  ~ConnectorOwner() = default;
};

class Connector {
 public:
  // lws_user: the pointer lws hands back with every event (the Connection); socket: where
  // the current attempt's wsi is kept (lws sets it early during the connect call).
  Connector(Engine& engine, ConnectRequest request, ConnectorOwner& owner, LoopHolds& holds, void* lws_user,
            lws** socket);
  ~Connector();
  Connector(const Connector&) = delete;
  Connector& operator=(const Connector&) = delete;

  // Resolves the name (or takes the unix socket), for wss:// gets the trusted certificates
  // ready, and connects on a later loop turn.
  void Start();
  // The lookup is no longer wanted (it still comes back, cancelled).
  void CancelLookup();
  // Terminate() before open: no retry; the failure says the caller closed it.
  void Abandon();

  // Events of attempts other than the current socket's, and of the connect call itself:
  // true when handled here (the Connection does nothing more with the event).
  bool InterceptAttemptEvent(lws* wsi, int reason, void* in);
  // LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER.
  int AppendHeaders(lws* wsi, void* in, size_t len);
  // LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH: 0 accepts the server's answer, -1 refuses it.
  int CheckResponse(lws* wsi);
  // LWS_CALLBACK_CLIENT_CONNECTION_ERROR: records why (DescribeFailure says it).
  void NoteConnectionError(lws* wsi, const void* in);
  // LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION with preverify_ok 0: the
  // certificate check's verdict (the first one is the cause).
  void NoteCertificateRefused(x509_store_ctx_st* ctx);
  // Another address may be tried after a failed attempt.
  bool CanRetry() const;
  // Tries the next address on a later loop turn.
  void RetrySoon();
  // The handshake completed: no timeout any more.
  void OnEstablished() { StopHandshakeTimer(); }
  // Once the connection is open: the handshake's data is let go (an open connection may
  // idle for hours, thousands of them).
  void ReleaseHandshakeData();

  void StopHandshakeTimer();
  // "cannot connect to ws://host:port: why"; also completes failure()'s description.
  std::string DescribeFailure();
  // Why the connection could not be opened (complete once DescribeFailure() was called).
  // The accessors below read the handshake's data: until ReleaseHandshakeData (then empty).
  const ConnectFailure& failure() const;
  // The server's HTTP answer, when one was read (also of a refused handshake).
  const HttpResponse* response() const {
    return handshake_ && handshake_->have_response ? &handshake_->response : nullptr;
  }
  const HttpResponse& handshake_response() const;  // empty if none was read
  const std::string& protocol() const;    // the chosen subprotocol
  const std::string& extensions() const;  // the negotiated extensions
  // false: pings are reported, not answered.
  bool auto_pong() const { return !handshake_ || handshake_->request.auto_pong; }

 private:
  static void OnResolved(uv_getaddrinfo_t* req, int status, struct addrinfo* res);
  void LoadTrust();
  // The lookup and the trust store are both back: go on.
  void AfterPreparation();
  void AfterResolve(int status);
  void OnSocketConnected();
  void SetReason(std::string reason);
  void ConnectToNextAddress();
  template <typename Step>
  void Defer(Step step);
  void StartHandshakeTimer();
  void CaptureResponse(lws* wsi);
  std::string CheckSubprotocol() const;
  bool DescribeProxyFailure(const std::string& text);
  uint32_t HandshakeTimeoutMs() const;
  const std::string& LookupName() const;

  // Everything only the opening handshake reads (and a retry on the next address): one
  // block, freed once open, as an open connection may idle for hours, thousands of them
  // (it was about 450 bytes of every connection's memory).
  struct Handshake {
    explicit Handshake(ConnectRequest r) : request(std::move(r)) {}
    ConnectRequest request;
    std::vector<std::string> addresses;
    size_t next_address = 0;
    int resolve_status = 0;
    TrustStoreCache::Ready trust;  // wss: the trusted certificates, until the vhost has them
    ConnectFailure failure;        // the step reached, and the last attempt's cause
    std::string filter_error;      // why we refused the server's handshake response
    bool proxy_refused = false;    // the proxy answered CONNECT with something other than 200
    bool certificate_refused = false;  // failure holds the certificate check's verdict
    bool have_response = false;
    int pending_preparations = 0;  // the name lookup and the trust store still to come back
    HttpResponse response;
    std::string protocol;
    std::string extensions;
  };

  Engine& engine_;
  ConnectorOwner& owner_;
  LoopHolds& holds_;
  void* const lws_user_;
  lws** const socket_;
  std::unique_ptr<Handshake> handshake_;       // null once open
  std::unique_ptr<lws_retry_bo> idle_policy_;  // keepalive; lws keeps a pointer to it

  uv_getaddrinfo_t* resolve_req_ = nullptr;  // owned; freed in OnResolved
  bool abandoned_ = false;                   // Terminate(): no retry, no more waiting
  bool timer_closing_ = false;
  uv_timer_t* handshake_timer_ = nullptr;  // owned; freed in its close callback

  // lws may report an attempt's failure inside lws_client_connect_via_info.
  bool in_connect_call_ = false;
  lws* attempt_wsi_ = nullptr;           // the wsi lws made inside that call, if it reported one
  std::vector<lws*> abandoned_sockets_;  // failed inside the call; their WSI_DESTROY is due (maybe after open)
};

}  // namespace netstack
