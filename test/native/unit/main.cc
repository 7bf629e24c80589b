// Runs every TEST of the native unit tests (see check.h).
#include "check.h"

int main() {
  unit::Registry& registry = unit::Registry::Get();
  for (auto& test : registry.tests) {
    registry.current = test.first;
    test.second();
  }
  std::printf("unit: %d passed, %d failed\n", registry.passed, registry.failed);
  return registry.failed == 0 ? 0 : 1;
}
