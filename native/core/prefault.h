// Asks the kernel to back a fresh block of memory with pages before it is filled, in one
// system call, instead of one page fault per 4 KiB page as the copy into it first touches
// each page. A received message of a megabyte lands in memory the allocator often has just
// mapped (glibc mmaps large blocks and gives memory back when the heap's top is free), and
// the faults cost more than the copy. Linux 5.14+ (MADV_POPULATE_WRITE); elsewhere, or
// when the kernel refuses, nothing happens and the copy faults the pages in as before.
#pragma once

#include <cstddef>

namespace netstack {

// Smaller blocks come from the allocator's reused memory: not worth a system call.
inline constexpr size_t kPrefaultMinBytes = 256 * 1024;

// The whole pages inside [data, data + length), when length >= kPrefaultMinBytes.
void PrefaultForWrite(void* data, size_t length);

}  // namespace netstack
