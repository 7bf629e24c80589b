// PrefaultForWrite: asks for pages only; what the memory holds is unchanged, whatever the
// alignment and size (on any kernel: one without MADV_POPULATE_WRITE just refuses).
#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "check.h"
#include "prefault.h"

using netstack::PrefaultForWrite;
using netstack::kPrefaultMinBytes;

TEST("prefault: the bytes already there stay as they are, at any alignment and size") {
  std::vector<uint8_t> block(2 * kPrefaultMinBytes + 8192);
  for (size_t i = 0; i < block.size(); ++i) block[i] = static_cast<uint8_t>(i * 31 + 7);
  const std::vector<uint8_t> before = block;
  for (size_t offset : {size_t{0}, size_t{1}, size_t{4095}, size_t{4097}}) {
    for (size_t length : {size_t{0}, size_t{100}, kPrefaultMinBytes - 1, kPrefaultMinBytes, kPrefaultMinBytes + 4093}) {
      PrefaultForWrite(block.data() + offset, length);
    }
  }
  CHECK(block == before, "no byte changed");
}

TEST("prefault: fresh mapped memory can then be written and read back") {
  const size_t length = 4 * kPrefaultMinBytes;
  void* mapped = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(mapped != MAP_FAILED, "mmap");
  auto* bytes = static_cast<uint8_t*>(mapped);
  PrefaultForWrite(bytes + 3, length - 3);
  CHECK(bytes[0] == 0 && bytes[length - 1] == 0, "still zero, as a new mapping is");
  std::memset(bytes, 0x5a, length);
  CHECK(bytes[length / 2] == 0x5a && bytes[length - 1] == 0x5a, "written");
  munmap(mapped, length);
}
