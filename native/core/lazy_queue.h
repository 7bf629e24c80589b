// A FIFO that allocates nothing until the first push: std::deque sets up about 600 bytes
// as soon as it is constructed, and most connections never queue a message (they write
// at once) -- that was a tenth of an idle connection's memory.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <utility>

namespace netstack {

template <typename T>
class LazyQueue {
 public:
  bool empty() const { return !items_ || items_->empty(); }
  size_t size() const { return items_ ? items_->size() : 0; }
  T& front() { return items_->front(); }
  T& back() { return items_->back(); }
  void push_back(T item) {
    if (!items_) items_ = std::make_unique<std::deque<T>>();
    items_->push_back(std::move(item));
  }
  void pop_front() { items_->pop_front(); }
  void clear() { items_.reset(); }

 private:
  std::unique_ptr<std::deque<T>> items_;
};

}  // namespace netstack
