// The Connector's failure reports: what lws, the socket, the proxy and the TLS verifier say
// when a connection attempt fails, made into a ConnectFailure and one sentence.
#include "connector.h"

#include <libwebsockets.h>
#include <openssl/x509_vfy.h>

#include <cstdlib>
#include <cstring>

#include <sys/stat.h>

#ifdef _WIN32
// Windows has no S_ISSOCK; its stat() cannot tell an AF_UNIX socket file (a reparse point)
// from others, so only "missing" and "nothing accepts" are said there.
#define S_ISSOCK(mode) ((void)(mode), true)
#endif

#include "connect_failure.h"
#include "engine.h"
#include "lws_netstack.h"

namespace netstack {
namespace {

// lws's text for a failure, without the line end some of them carry.
std::string LwsErrorText(const void* in) {
  if (!in) return std::string();
  const char* text = static_cast<const char*>(in);
  std::string out(text, strnlen(text, 512));
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) out.pop_back();
  return out;
}

// The socket's pending error (SO_ERROR): why its connect failed when lws closed it without
// reading that itself; 0 if none.
int PendingSocketError(lws* wsi) {
  lws_sockfd_type fd = lws_get_socket_fd(wsi);
  if (fd == LWS_SOCK_INVALID) return 0;
  int error = 0;
  socklen_t length = sizeof error;
#ifdef _WIN32
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&error), &length) != 0) return 0;
#else
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return 0;
#endif
  return error;
}

// lws's texts for a connection that ended before the server answered the handshake.
bool ClosedBeforeAnswer(const std::string& text) {
  return text == "read failed" || text == "Peer hung up" || text == "closed before established" ||
         text == "Closed before conn";
}

}  // namespace

void Connector::NoteCertificateRefused(x509_store_ctx_st* ctx) {
  if (!handshake_ || handshake_->certificate_refused || X509_STORE_CTX_get_error(ctx) == X509_V_OK) return;
  handshake_->certificate_refused = true;
  SetCertificateError(&handshake_->failure, ctx, handshake_->request.servername.empty() ? handshake_->request.url.host : handshake_->request.servername);
}

void Connector::SetReason(std::string reason) {
  handshake_->failure.code.clear();
  handshake_->failure.error_number = 0;
  handshake_->failure.syscall.clear();
  handshake_->failure.reason = std::move(reason);
}

void Connector::NoteConnectionError(lws* wsi, const void* in) {
  using Step = ConnectFailure::Step;
  if (!handshake_) return;  // only before open, when it is there
  CaptureResponse(wsi);  // a refused handshake (e.g. 401) still has its headers here
  const std::string text = LwsErrorText(in);
  if (abandoned_) {
    handshake_->failure.abandoned = true;
  } else if (!handshake_->filter_error.empty()) {
    handshake_->failure.step = Step::kHandshake;
    SetReason(handshake_->filter_error);
  } else if (DescribeProxyFailure(text)) {
    // the proxy's answer, said in handshake_->failure.reason
  } else if (handshake_->have_response && handshake_->response.status != 0 && handshake_->response.status != 101) {
    handshake_->failure.step = Step::kHandshake;
    SetReason("the server answered the handshake with HTTP " + std::to_string(handshake_->response.status) +
              " instead of 101 Switching Protocols" +
              (text == "problems parsing header" ? " (and its headers could not be parsed: over 4 KiB?)" : ""));
  } else if (text.rfind("Timed out waiting", 0) == 0) {
    SetTimedOut(&handshake_->failure, Engine::kLwsStepTimeoutSeconds * 1000);  // lws's own limit of a step
  } else if (handshake_->failure.step == Step::kConnect) {
    int error = lws_netstack_connect_errno(wsi);
    if (error == 0) error = PendingSocketError(wsi);
    if (error != 0) {
      SetSystemError(&handshake_->failure, error, "connect");
      if (handshake_->failure.code == "ETIMEDOUT") SetTimedOut(&handshake_->failure, Engine::kLwsStepTimeoutSeconds * 1000);
    } else {
      SetReason(text);
    }
  } else if (handshake_->failure.step == Step::kTls) {
    if (!handshake_->certificate_refused) SetTlsError(&handshake_->failure, text);
  } else if (handshake_->failure.step == Step::kHandshake && ClosedBeforeAnswer(text)) {
    SetClosedByServer(&handshake_->failure);
  } else if (text == "problems parsing header") {
    SetReason("the server's answer to the handshake could not be parsed (not HTTP, or headers over 4 KiB)");
  } else {
    SetReason(text);
  }
}

std::string Connector::DescribeFailure() {
  if (!handshake_) return "the connection failed";  // only before open, when it is there
  handshake_->failure.description.clear();
  const std::string& socket_path = handshake_->request.url.unix_socket;
  if (!socket_path.empty() && !handshake_->failure.abandoned && handshake_->failure.timeout_ms == 0 &&
      handshake_->failure.step == ConnectFailure::Step::kConnect && handshake_->failure.code != "ENOENT") {
    // connect() says "refused" for any file that is no socket: say what it is.
    struct stat info;
    if (stat(socket_path.c_str(), &info) == 0 && !S_ISSOCK(info.st_mode)) {
      handshake_->failure.description = socket_path + " is not a socket" + (handshake_->failure.code.empty() ? "" : " (" + handshake_->failure.code + ")");
    }
  }
  if (handshake_->failure.description.empty() && !socket_path.empty() && handshake_->failure.code.empty() && handshake_->failure.reason.empty()) {
    handshake_->failure.description = "nothing accepts connections on " + socket_path;
  }
  if (handshake_->failure.description.empty()) handshake_->failure.description = DescribeConnectFailure(handshake_->failure);
  if (!handshake_->request.proxy.host.empty() && socket_path.empty() && !handshake_->proxy_refused && !handshake_->failure.abandoned) {
    handshake_->failure.description += " (through the proxy " + handshake_->request.proxy.host + ":" + std::to_string(handshake_->request.proxy.port) + ")";
  }
  return "cannot connect to " + handshake_->request.url.Describe() + ": " + handshake_->failure.description;
}

// lws's terse texts for a failed CONNECT, made clear; false if `text` is none of them. A
// refusal (e.g. 407) is kept as the response's status and is final: the proxy's other
// addresses would answer the same.
bool Connector::DescribeProxyFailure(const std::string& text) {
  if (!handshake_ || handshake_->request.proxy.host.empty() || !handshake_->request.url.unix_socket.empty()) return false;
  const std::string proxy = "the proxy " + handshake_->request.proxy.host + ":" + std::to_string(handshake_->request.proxy.port);
  static const char kRefused[] = "http_proxy -> ";  // lws: the status of a CONNECT answer other than 200
  if (text.rfind(kRefused, 0) == 0) {
    int status = std::atoi(text.c_str() + sizeof kRefused - 1);
    handshake_->proxy_refused = true;
    if (!handshake_->have_response) {
      handshake_->have_response = true;
      handshake_->response.status = status;
    }
    std::string why = proxy + " refused the tunnel: it answered CONNECT with HTTP " + std::to_string(status);
    if (status == 407) {
      why += handshake_->request.proxy.username.empty() && handshake_->request.proxy.password.empty()
                 ? " Proxy Authentication Required (give the proxy's user name and password)"
                 : " Proxy Authentication Required (it did not accept the user name and password)";
    }
    SetReason(why);
  } else if (text == "http_proxy fail") {
    SetReason(proxy + " did not answer CONNECT with HTTP/1.x (is it an HTTP proxy?)");
  } else if (text == "proxy conn dead") {
    SetReason(proxy + " closed the connection before answering CONNECT");
  } else {
    return false;
  }
  handshake_->failure.step = ConnectFailure::Step::kConnect;
  return true;
}

}  // namespace netstack
