// Filling a ConnectFailure (connection_sink.h) from what the system, the resolver and
// OpenSSL report, and the plain words for it. The Connector decides which step failed; the
// names and words for each kind of cause are here, in one place.
#pragma once

#include <cstdint>
#include <string>

#include "connection_sink.h"

struct x509_store_ctx_st;  // OpenSSL's X509_STORE_CTX

namespace netstack {

// A failed system call, with the errno the system gave (a WSA code on Windows).
void SetSystemError(ConnectFailure* failure, int sys_errno, const char* syscall);

// A failed name lookup: libuv's status of uv_getaddrinfo (0 with no address found counts as
// not found). EAI_NONAME and EAI_NODATA are "ENOTFOUND", as Node names them.
void SetLookupError(ConnectFailure* failure, int uv_status, const std::string& host);

// The certificate check refused the server's certificate: the verdict of the X509 check in
// progress. `checked_name`: the host name or IP address the certificate had to match.
void SetCertificateError(ConnectFailure* failure, x509_store_ctx_st* ctx, const std::string& checked_name);

// lws's text for a TLS handshake that failed without a certificate verdict: the OpenSSL error
// it quotes ("error:0A00010B:...": ERR_SSL_WRONG_VERSION_NUMBER), or the socket closed
// during the handshake (ECONNRESET).
void SetTlsError(ConnectFailure* failure, const std::string& lws_text);

// The opening handshake ran out of time at the step it had reached (ETIMEDOUT).
void SetTimedOut(ConnectFailure* failure, uint32_t timeout_ms);

// The server closed the connection before the step was done (Node's "socket hang up").
void SetClosedByServer(ConnectFailure* failure);

// What happened, in plain words (the failure's `description`): built from the step, code and
// details only, so the same cause always reads the same.
std::string DescribeConnectFailure(const ConnectFailure& failure);

}  // namespace netstack
