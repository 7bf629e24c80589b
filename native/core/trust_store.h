// The certificates a wss:// connection trusts, parsed off the loop thread and once per
// process. Parsing a bundle of root certificates takes tens of milliseconds; done on the
// loop, it froze every other connection (and, in the addon, all of JavaScript) on the
// first wss:// connect. So a bundle is parsed once, on a thread of its own at idle priority
// (not the libuv pool, where it would delay name lookups and file I/O): every SSL_CTX
// (every vhost of every engine, on every thread) that trusts the same bundle shares the
// one immutable X509_STORE (OpenSSL locks its lookups).
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>

struct ssl_ctx_st;       // OpenSSL's SSL_CTX
struct x509_store_st;    // OpenSSL's X509_STORE

namespace netstack {

class TrustStore {
 public:
  // The store for a PEM bundle (every certificate in it), or for OpenSSL's default paths
  // when `pem` is empty (the standalone library). Slow: call it off the loop thread.
  static std::shared_ptr<const TrustStore> Parse(const std::string& pem);
  ~TrustStore();
  TrustStore(const TrustStore&) = delete;
  TrustStore& operator=(const TrustStore&) = delete;

  // Makes the SSL_CTX trust exactly these certificates (the store is shared, not copied).
  void UseIn(ssl_ctx_st* ssl_ctx) const;
  size_t certificate_count() const { return certificate_count_; }

 private:
  TrustStore(x509_store_st* store, size_t count) : store_(store), certificate_count_(count) {}
  x509_store_st* store_;  // owned (one reference)
  size_t certificate_count_;
};

// The process-wide cache. A bundle is looked up by its text; an entry lives as long as some
// holder keeps it (an Engine keeps those it used until it shuts down).
class TrustStoreCache {
 public:
  using Ready = std::shared_ptr<const TrustStore>;
  // The store of `pem` if it has been parsed already (no waiting), else nullptr.
  static Ready Find(const std::string& pem);
  // Parses `pem` on a background thread (or waits for the one parsing the same bundle) and
  // then calls done on the loop's thread, never from inside this call (done gets nullptr
  // if no store could be made). false: nothing could be started on the loop and done will
  // not be called.
  static bool Load(uv_loop_t* loop, const std::string& pem, std::function<void(Ready)> done);
};

}  // namespace netstack
