// The client side of TLS in an SSL_CTX lws made for a vhost: which certificates are
// trusted, and the client certificate of a TlsProfile. OpenSSL only; no lws here.
#pragma once

#include <string>

#include "connect_request.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace netstack {

// Replaces whatever lws loaded with exactly the certificates of the PEM bundle (wss trusts
// what Node's tls trusts, or the user's ca; never a directory lws guessed); an empty
// bundle: OpenSSL's default paths.
void UseTrustedCertificates(ssl_ctx_st* ssl_ctx, const std::string& pem);

// The profile's client certificate chain and key; "" on success (also when the profile
// has none), else why not.
std::string UseClientCertificate(ssl_ctx_st* ssl_ctx, const TlsProfile& profile);

}  // namespace netstack
