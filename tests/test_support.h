// Shared helpers of the tests: where the models and ../shared are, TDMP files.
#pragma once

#include <cstdlib>
#include <string>
#include <vector>

#include "handtrack/status.h"

namespace handtrack::testing {

// ../shared beside the checkout (or $HANDTRACK_SHARED). Empty when absent.
std::string SharedDir();
// The model folder the library would use, or empty when the models are missing.
std::string ModelDir();
std::string ModelPath(const std::string& name);

// Skips the current test with a message when `what` is missing, except under
// CI=true, where a missing fixture is a failure.
#define HT_REQUIRE_FIXTURE(cond, what)                                         \
  do {                                                                         \
    if (!(cond)) {                                                             \
      if (::handtrack::testing::InCi()) FAIL() << "missing in CI: " << (what); \
      GTEST_SKIP() << "missing: " << (what);                                   \
    }                                                                          \
  } while (0)
bool InCi();

// Sets an environment variable (a test hook such as HANDTRACK_INJECT_FAULT) for
// the lifetime of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) { setenv(name, value.c_str(), 1); }
  ~ScopedEnv() { unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

struct NamedTensor {
  std::string name;
  std::vector<int> shape;
  std::vector<float> data;
};
struct TensorDump {
  std::vector<NamedTensor> inputs;
  std::vector<NamedTensor> outputs;
};
// Reads a TDMP file (format in ../shared/golden/README.md).
Result<TensorDump> ReadTensorDump(const std::string& path);

// max |a - b| / max |b| (b is the reference).
double RelativeError(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace handtrack::testing
