// An allocator whose construct() leaves bytes uninitialized: std::vector<uint8_t>::resize
// otherwise zero-fills every byte it adds, one more pass over a payload that is written
// right after (the send batch grows and shrinks once per loop turn).
#pragma once

#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace netstack {

template <typename T>
class UninitializedAllocator : public std::allocator<T> {
 public:
  template <typename U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };

  UninitializedAllocator() noexcept = default;
  template <typename U>
  UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}

  template <typename U>
  void construct(U* where) noexcept(std::is_nothrow_default_constructible<U>::value) {
    ::new (static_cast<void*>(where)) U;  // default-initialized: no zeroing for bytes
  }
  template <typename U, typename... Args>
  void construct(U* where, Args&&... args) {
    std::allocator_traits<std::allocator<T>>::construct(static_cast<std::allocator<T>&>(*this), where,
                                                        std::forward<Args>(args)...);
  }
};

}  // namespace netstack
