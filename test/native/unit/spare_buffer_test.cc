// SpareBuffer: the buffer of the last large send is reused when it is big enough; at most
// one, of at most kMaxBytes, is kept.
#include "check.h"
#include "spare_buffer.h"

using netstack::SpareBuffer;

TEST("spare buffer: a returned buffer serves the next request it fits; too small or too large is not kept") {
  SpareBuffer spare;
  size_t capacity = 0;
  auto first = spare.Take(1000, &capacity);
  CHECK(first && capacity == 1000, "nothing kept yet: a new buffer of the size asked for");
  uint8_t* address = first.get();
  spare.Give(std::move(first), capacity);
  auto again = spare.Take(600, &capacity);
  CHECK(again.get() == address && capacity == 1000, "the kept one serves a smaller request, with its capacity");
  auto other = spare.Take(600, &capacity);
  CHECK(other.get() != address && capacity == 600, "only one is kept: the next is new");
  spare.Give(std::move(again), 1000);
  spare.Give(std::move(other), 600);  // smaller than the one kept: dropped
  auto larger = spare.Take(2000, &capacity);
  CHECK(larger.get() != address && capacity == 2000, "a larger request is not served by a smaller spare");
  auto kept = spare.Take(1000, &capacity);
  CHECK(kept.get() == address, "the larger of the two returned ones was kept");
  auto huge = std::unique_ptr<uint8_t[]>(new uint8_t[16]);
  spare.Give(std::move(huge), SpareBuffer::kMaxBytes + 1);  // (its stated size is what counts)
  auto after_huge = spare.Take(16, &capacity);
  CHECK(capacity == 16, "a buffer over kMaxBytes is not kept");
}
