// libnet_websocket.so: one process-wide host whose libuv loop runs on a thread owned
// by the library, as OpenHarmony runs its clients on a service thread. Calls from
// other threads are handed to the loop thread and waited for.
#include <uv.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "engine.h"
#include "engine_host.h"

namespace netstack {
namespace {

class BackgroundHost final : public EngineHost {
 public:
  BackgroundHost() {
    uv_loop_init(&loop_);
    uv_async_init(&loop_, &wakeup_, [](uv_async_t* async) { static_cast<BackgroundHost*>(async->data)->RunJobs(); });
    wakeup_.data = this;
    std::promise<void> started;
    std::future<void> ready = started.get_future();
    thread_ = std::thread([this, &started] {
      loop_thread_id_ = std::this_thread::get_id();
      started.set_value();
      uv_run(&loop_, UV_RUN_DEFAULT);
    });
    ready.wait();
  }

  // At exit: shut the engine down on the loop thread, then stop and join it.
  ~BackgroundHost() override {
    if (std::this_thread::get_id() == loop_thread_id_) {
      // exit() called from inside a callback: the loop cannot be joined from itself.
      thread_.detach();
      return;
    }
    RunOnLoop([this] {
      stopping_ = true;
      auto stop = [this] { uv_close(reinterpret_cast<uv_handle_t*>(&wakeup_), nullptr); };
      if (engine_) engine_->Shutdown(stop);
      else stop();
    });
    thread_.join();
    engine_.reset();
    uv_loop_close(&loop_);
  }

  Engine* GetEngine() override {
    if (!engine_ && !stopping_) engine_ = Engine::Create(&loop_, EngineConfig{});
    return engine_.get();
  }

  void RunOnLoop(const std::function<void()>& fn) override {
    if (std::this_thread::get_id() == loop_thread_id_) {
      fn();
      return;
    }
    Job job{&fn};
    std::unique_lock<std::mutex> lock(mutex_);
    jobs_.push_back(&job);
    uv_async_send(&wakeup_);
    job_done_.wait(lock, [&] { return job.done; });
  }

 private:
  struct Job {
    const std::function<void()>* fn;
    bool done = false;
  };

  void RunJobs() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!jobs_.empty()) {
      Job* job = jobs_.front();
      jobs_.pop_front();
      lock.unlock();
      (*job->fn)();
      lock.lock();
      job->done = true;
      job_done_.notify_all();
    }
  }

  uv_loop_t loop_;
  uv_async_t wakeup_;
  std::thread thread_;
  std::thread::id loop_thread_id_;
  std::mutex mutex_;
  std::condition_variable job_done_;
  std::deque<Job*> jobs_;
  std::unique_ptr<Engine> engine_;
  bool stopping_ = false;
};

}  // namespace

EngineHost* CurrentEngineHost() {
  // Created on first use, torn down at exit (after main returns).
  static BackgroundHost host;
  return &host;
}

}  // namespace netstack
