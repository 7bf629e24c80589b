#include "tls_profile.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>

namespace netstack {
namespace {

int PassphraseCallback(char* buffer, int size, int /*rwflag*/, void* user) {
  const auto* passphrase = static_cast<const std::string*>(user);
  int length = static_cast<int>(passphrase->size());
  if (length > size) return -1;
  std::memcpy(buffer, passphrase->data(), static_cast<size_t>(length));
  return length;
}

}  // namespace

void TrustNothing(SSL_CTX* ssl_ctx) {
  if (X509_STORE* store = X509_STORE_new()) SSL_CTX_set_cert_store(ssl_ctx, store);  // takes ownership
}

std::string UseClientCertificate(SSL_CTX* ssl_ctx, const TlsProfile& profile) {
  if (profile.cert.empty() != profile.key.empty()) return "a client certificate needs both cert and key";
  if (profile.cert.empty()) return std::string();
  BIO* bio = BIO_new_mem_buf(profile.cert.data(), static_cast<int>(profile.cert.size()));
  X509* leaf = bio ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
  if (!leaf || SSL_CTX_use_certificate(ssl_ctx, leaf) != 1) {
    if (leaf) X509_free(leaf);
    if (bio) BIO_free(bio);
    ERR_clear_error();
    return "the client certificate (cert) is not a PEM certificate";
  }
  X509_free(leaf);
  while (X509* extra = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add_extra_chain_cert(ssl_ctx, extra) != 1) X509_free(extra);  // owned on success
  }
  BIO_free(bio);
  ERR_clear_error();

  bio = BIO_new_mem_buf(profile.key.data(), static_cast<int>(profile.key.size()));
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio, nullptr, PassphraseCallback,
                                                const_cast<std::string*>(&profile.passphrase))
                      : nullptr;
  if (bio) BIO_free(bio);
  if (!key) {
    ERR_clear_error();
    return profile.passphrase.empty()
               ? "the client key could not be read (not PEM, or encrypted: give its passphrase)"
               : "the client key could not be decrypted: wrong passphrase?";
  }
  int ok = SSL_CTX_use_PrivateKey(ssl_ctx, key);
  EVP_PKEY_free(key);
  if (ok != 1 || SSL_CTX_check_private_key(ssl_ctx) != 1) {
    ERR_clear_error();
    return "the client key does not match the client certificate";
  }
  return std::string();
}

}  // namespace netstack
