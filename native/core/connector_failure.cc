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
  if (!request_ || certificate_refused_ || X509_STORE_CTX_get_error(ctx) == X509_V_OK) return;
  certificate_refused_ = true;
  SetCertificateError(&failure_, ctx, request_->servername.empty() ? request_->url.host : request_->servername);
}

void Connector::SetReason(std::string reason) {
  failure_.code.clear();
  failure_.error_number = 0;
  failure_.syscall.clear();
  failure_.reason = std::move(reason);
}

void Connector::NoteConnectionError(lws* wsi, const void* in) {
  using Step = ConnectFailure::Step;
  CaptureResponse(wsi);  // a refused handshake (e.g. 401) still has its headers here
  const std::string text = LwsErrorText(in);
  if (abandoned_) {
    failure_.abandoned = true;
  } else if (!filter_error_.empty()) {
    failure_.step = Step::kHandshake;
    SetReason(filter_error_);
  } else if (DescribeProxyFailure(text)) {
    // the proxy's answer, said in failure_.reason
  } else if (have_response_ && response_.status != 0 && response_.status != 101) {
    failure_.step = Step::kHandshake;
    SetReason("the server answered the handshake with HTTP " + std::to_string(response_.status) +
              " instead of 101 Switching Protocols" +
              (text == "problems parsing header" ? " (and its headers could not be parsed: over 4 KiB?)" : ""));
  } else if (text.rfind("Timed out waiting", 0) == 0) {
    SetTimedOut(&failure_, Engine::kLwsStepTimeoutSeconds * 1000);  // lws's own limit of a step
  } else if (failure_.step == Step::kConnect) {
    int error = lws_netstack_connect_errno(wsi);
    if (error == 0) error = PendingSocketError(wsi);
    if (error != 0) {
      SetSystemError(&failure_, error, "connect");
      if (failure_.code == "ETIMEDOUT") SetTimedOut(&failure_, Engine::kLwsStepTimeoutSeconds * 1000);
    } else {
      SetReason(text);
    }
  } else if (failure_.step == Step::kTls) {
    if (!certificate_refused_) SetTlsError(&failure_, text);
  } else if (failure_.step == Step::kHandshake && ClosedBeforeAnswer(text)) {
    SetClosedByServer(&failure_);
  } else if (text == "problems parsing header") {
    SetReason("the server's answer to the handshake could not be parsed (not HTTP, or headers over 4 KiB)");
  } else {
    SetReason(text);
  }
}

std::string Connector::DescribeFailure() {
  if (!request_) {  // only before open, when it is there
    failure_.description = "the connection failed";
    return failure_.description;
  }
  failure_.description.clear();
  const std::string& socket_path = request_->url.unix_socket;
  if (!socket_path.empty() && !failure_.abandoned && failure_.timeout_ms == 0 &&
      failure_.step == ConnectFailure::Step::kConnect && failure_.code != "ENOENT") {
    // connect() says "refused" for any file that is no socket: say what it is.
    struct stat info;
    if (stat(socket_path.c_str(), &info) == 0 && !S_ISSOCK(info.st_mode)) {
      failure_.description = socket_path + " is not a socket" + (failure_.code.empty() ? "" : " (" + failure_.code + ")");
    }
  }
  if (failure_.description.empty() && !socket_path.empty() && failure_.code.empty() && failure_.reason.empty()) {
    failure_.description = "nothing accepts connections on " + socket_path;
  }
  if (failure_.description.empty()) failure_.description = DescribeConnectFailure(failure_);
  if (!request_->proxy.host.empty() && socket_path.empty() && !proxy_refused_ && !failure_.abandoned) {
    failure_.description += " (through the proxy " + request_->proxy.host + ":" + std::to_string(request_->proxy.port) + ")";
  }
  return "cannot connect to " + request_->url.Describe() + ": " + failure_.description;
}

// lws's terse texts for a failed CONNECT, made clear; false if `text` is none of them. A
// refusal (e.g. 407) is kept as the response's status and is final: the proxy's other
// addresses would answer the same.
bool Connector::DescribeProxyFailure(const std::string& text) {
  if (!request_ || request_->proxy.host.empty() || !request_->url.unix_socket.empty()) return false;
  const std::string proxy = "the proxy " + request_->proxy.host + ":" + std::to_string(request_->proxy.port);
  static const char kRefused[] = "http_proxy -> ";  // lws: the status of a CONNECT answer other than 200
  if (text.rfind(kRefused, 0) == 0) {
    int status = std::atoi(text.c_str() + sizeof kRefused - 1);
    proxy_refused_ = true;
    if (!have_response_) {
      have_response_ = true;
      response_.status = status;
    }
    std::string why = proxy + " refused the tunnel: it answered CONNECT with HTTP " + std::to_string(status);
    if (status == 407) {
      why += request_->proxy.username.empty() && request_->proxy.password.empty()
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
  failure_.step = ConnectFailure::Step::kConnect;
  return true;
}

}  // namespace netstack
