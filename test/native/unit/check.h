// A minimal test harness for the native unit tests: CHECK records a result per check,
// TEST registers a function, main() runs them all and ends with "unit: N passed, M failed"
// (the line scripts/test.sh counts). No framework: nothing to download.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace unit {

struct Registry {
  std::vector<std::pair<const char*, std::function<void()>>> tests;
  int passed = 0;
  int failed = 0;
  const char* current = "";
  static Registry& Get() {
    static Registry registry;
    return registry;
  }
};

struct Register {
  Register(const char* name, std::function<void()> fn) { Registry::Get().tests.emplace_back(name, std::move(fn)); }
};

inline void Check(bool ok, const std::string& what, const char* file, int line) {
  Registry& r = Registry::Get();
  if (ok) {
    ++r.passed;
    std::printf("ok - %s: %s\n", r.current, what.c_str());
  } else {
    ++r.failed;
    std::printf("not ok - %s: %s (%s:%d)\n", r.current, what.c_str(), file, line);
  }
}

}  // namespace unit

#define UNIT_CONCAT2(a, b) a##b
#define UNIT_CONCAT(a, b) UNIT_CONCAT2(a, b)
#define TEST(name)                                                                       \
  static void UNIT_CONCAT(test_, __LINE__)();                                            \
  static unit::Register UNIT_CONCAT(register_, __LINE__)(name, UNIT_CONCAT(test_, __LINE__)); \
  static void UNIT_CONCAT(test_, __LINE__)()
#define CHECK(condition, what) unit::Check(static_cast<bool>(condition), what, __FILE__, __LINE__)
