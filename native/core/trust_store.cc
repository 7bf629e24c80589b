#include "trust_store.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <atomic>
#include <mutex>
#include <unordered_map>

namespace netstack {
namespace {

// One bundle of the cache: its text, and its store once parsed (exactly once, by whichever
// thread-pool thread gets there first; the others wait on `parsed`).
struct TrustEntry {
  explicit TrustEntry(std::string text) : pem(std::move(text)) {}
  const std::string pem;
  std::once_flag parsed;
  std::shared_ptr<const TrustStore> store;  // written inside call_once
  std::atomic<bool> ready{false};           // store is set (Find reads it without waiting)
};

// Entries by the hash of their text; the text itself decides. An entry lives as long as a
// Ready made from it (the aliasing pointers below), so the map holds weak pointers.
std::mutex g_mutex;
std::unordered_multimap<size_t, std::weak_ptr<TrustEntry>>& Entries() {
  static auto* entries = new std::unordered_multimap<size_t, std::weak_ptr<TrustEntry>>();  // never freed: used until exit
  return *entries;
}

// Under g_mutex. Also drops the entries nobody holds any more.
std::shared_ptr<TrustEntry> FindEntry(const std::string& pem, size_t hash) {
  auto& entries = Entries();
  std::shared_ptr<TrustEntry> found;
  auto range = entries.equal_range(hash);
  for (auto it = range.first; it != range.second;) {
    std::shared_ptr<TrustEntry> entry = it->second.lock();
    if (!entry) {
      it = entries.erase(it);
      continue;
    }
    if (!found && entry->pem == pem) found = entry;
    ++it;
  }
  return found;
}

TrustStoreCache::Ready ReadyOf(const std::shared_ptr<TrustEntry>& entry) {
  // Points at the store, owns the entry: the entry stays findable while it is used.
  return entry->store ? TrustStoreCache::Ready(entry, entry->store.get()) : nullptr;
}

struct LoadWork {
  uv_work_t req;
  std::shared_ptr<TrustEntry> entry;
  std::function<void(TrustStoreCache::Ready)> done;
};

}  // namespace

std::shared_ptr<const TrustStore> TrustStore::Parse(const std::string& pem) {
  X509_STORE* store = X509_STORE_new();
  if (!store) return nullptr;
  size_t count = 0;
  if (pem.empty()) {
    X509_STORE_set_default_paths(store);
  } else {
    // Every certificate of the bundle (lws itself would take only the first).
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    if (bio) {
      while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
        if (X509_STORE_add_cert(store, cert) == 1) count++;
        X509_free(cert);
      }
      BIO_free(bio);
    }
  }
  ERR_clear_error();  // the end of the bundle reads as an error (this thread's queue)
  return std::shared_ptr<const TrustStore>(new TrustStore(store, count));
}

TrustStore::~TrustStore() { X509_STORE_free(store_); }

void TrustStore::UseIn(SSL_CTX* ssl_ctx) const {
  X509_STORE_up_ref(store_);
  SSL_CTX_set_cert_store(ssl_ctx, store_);  // takes the reference just added
}

TrustStoreCache::Ready TrustStoreCache::Find(const std::string& pem) {
  const size_t hash = std::hash<std::string>()(pem);
  std::shared_ptr<TrustEntry> entry;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    entry = FindEntry(pem, hash);
  }
  // (An entry is released outside the lock: its destructor may be the last.)
  if (!entry || !entry->ready.load(std::memory_order_acquire)) return nullptr;
  return ReadyOf(entry);
}

bool TrustStoreCache::Load(uv_loop_t* loop, const std::string& pem, std::function<void(Ready)> done) {
  const size_t hash = std::hash<std::string>()(pem);
  auto* work = new LoadWork{};
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    work->entry = FindEntry(pem, hash);
    if (!work->entry) {
      work->entry = std::make_shared<TrustEntry>(pem);
      Entries().emplace(hash, work->entry);
    }
  }
  work->done = std::move(done);
  work->req.data = work;
  int rc = uv_queue_work(
      loop, &work->req,
      [](uv_work_t* req) {  // on a thread-pool thread
        auto* work = static_cast<LoadWork*>(req->data);
        TrustEntry& entry = *work->entry;
        std::call_once(entry.parsed, [&entry] {
          entry.store = TrustStore::Parse(entry.pem);
          entry.ready.store(true, std::memory_order_release);
        });
      },
      [](uv_work_t* req, int /*status*/) {  // back on the loop's thread
        std::unique_ptr<LoadWork> work(static_cast<LoadWork*>(req->data));
        Ready ready = work->entry->ready.load(std::memory_order_acquire) ? ReadyOf(work->entry) : nullptr;
        auto done = std::move(work->done);
        work.reset();
        done(std::move(ready));
      });
  if (rc != 0) {
    delete work;
    return false;
  }
  return true;
}

}  // namespace netstack
