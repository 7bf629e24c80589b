// The client side of TLS in an SSL_CTX lws made for a vhost: the client certificate of a
// TlsProfile (the trusted certificates are a TrustStore, trust_store.h). OpenSSL only; no
// lws here.
#pragma once

#include <string>

#include "connect_request.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace netstack {

// Replaces whatever lws loaded with an empty store: an SSL_CTX that must never verify a
// server (the context's own vhost, which carries ws:// only) trusts nothing, not even a
// directory lws guessed.
void TrustNothing(ssl_ctx_st* ssl_ctx);

// The profile's client certificate chain and key; "" on success (also when the profile
// has none), else why not.
std::string UseClientCertificate(ssl_ctx_st* ssl_ctx, const TlsProfile& profile);

}  // namespace netstack
