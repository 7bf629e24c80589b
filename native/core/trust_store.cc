#include "trust_store.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <atomic>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#elif defined(_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN  // no wincrypt.h: its X509_NAME macros clash with OpenSSL's
#endif
#include <windows.h>
#endif

namespace netstack {
namespace {

struct LoadRequest;

// One bundle of the cache: its text, and its store once parsed (exactly once, by a thread of
// its own). Under g_mutex: `parsing` and `waiting`; `store` is written before `ready`.
struct TrustEntry {
  explicit TrustEntry(std::string text) : pem(std::move(text)) {}
  const std::string pem;
  std::shared_ptr<const TrustStore> store;
  std::atomic<bool> ready{false};     // store is set (Find reads it without the lock)
  bool parsing = false;
  std::vector<LoadRequest*> waiting;  // told through their uv_async_t when it is ready
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

// One Load() call: woken on its own loop (uv_async_send may come from any thread).
struct LoadRequest {
  uv_async_t wake;
  std::shared_ptr<TrustEntry> entry;
  std::function<void(TrustStoreCache::Ready)> done;
};

void OnWake(uv_async_t* handle) {
  uv_close(reinterpret_cast<uv_handle_t*>(handle), [](uv_handle_t* closed) {
    std::unique_ptr<LoadRequest> request(static_cast<LoadRequest*>(closed->data));
    TrustStoreCache::Ready ready = request->entry->ready.load(std::memory_order_acquire) ? ReadyOf(request->entry) : nullptr;
    auto done = std::move(request->done);
    request.reset();
    done(std::move(ready));
  });
}

// Background work: below the loop threads in the scheduler's eyes, so that on a busy
// machine the event loop keeps its CPU while the bundle is parsed (nice 10 still gets a
// share: never starved, as SCHED_IDLE could be on a saturated machine).
void LowerThisThreadsPriority() {
#if defined(__linux__)
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);  // this thread only
#elif defined(_WIN32)
  SetThreadPriority(GetCurrentThread(), THREAD_PRIORITY_LOWEST);
#endif
}

void ParseInBackground(std::shared_ptr<TrustEntry> entry) {
  LowerThisThreadsPriority();
  entry->store = TrustStore::Parse(entry->pem);
  std::vector<LoadRequest*> waiting;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    entry->ready.store(true, std::memory_order_release);
    entry->parsing = false;
    waiting.swap(entry->waiting);
  }
  for (LoadRequest* request : waiting) uv_async_send(&request->wake);
}

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
  auto request = std::make_unique<LoadRequest>();
  if (uv_async_init(loop, &request->wake, OnWake) != 0) return false;
  request->wake.data = request.get();
  request->done = std::move(done);
  bool start = false;
  bool ready = false;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    request->entry = FindEntry(pem, hash);
    if (!request->entry) {
      request->entry = std::make_shared<TrustEntry>(pem);
      Entries().emplace(hash, request->entry);
    }
    ready = request->entry->ready.load(std::memory_order_acquire);
    if (!ready) {
      request->entry->waiting.push_back(request.get());
      start = !request->entry->parsing;
      request->entry->parsing = true;
    }
  }
  LoadRequest* raw = request.release();  // freed in OnWake's close callback
  if (ready) {
    uv_async_send(&raw->wake);
  } else if (start) {
    try {
      std::thread(ParseInBackground, raw->entry).detach();
    } catch (const std::system_error&) {
      ParseInBackground(raw->entry);  // no thread to be had: parse here rather than never
    }
  }
  return true;
}

}  // namespace netstack
