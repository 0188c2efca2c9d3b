#include "test_support.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "handtrack/models.h"

namespace handtrack::testing {

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

std::string SharedDir() {
  const char* env = std::getenv("HANDTRACK_SHARED");
  std::string dir = env != nullptr ? env : HANDTRACK_SHARED_DIR;
  return std::filesystem::is_directory(dir) ? dir : "";
}

std::string ModelDir() {
  const std::string dir = ResolveModelDir("");
  return std::filesystem::exists(dir + "/palm_detection_full.tflite") ? dir : "";
}

std::string ModelPath(const std::string& name) { return ResolveModelDir("") + "/" + name + ".tflite"; }

Result<TensorDump> ReadTensorDump(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("failed to open " + path);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t pos = 0;
  auto u32 = [&](uint32_t* v) {
    if (pos + 4 > bytes.size()) return false;
    std::memcpy(v, bytes.data() + pos, 4);
    pos += 4;
    return true;
  };
  if (bytes.size() < 8 || std::memcmp(bytes.data(), "TDMP", 4) != 0)
    return InvalidArgumentError(path + ": not TDMP");
  pos = 4;
  uint32_t count = 0;
  u32(&count);
  TensorDump dump;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t role = 0, name_len = 0, rank = 0;
    if (!u32(&role) || !u32(&name_len) || pos + name_len > bytes.size())
      return InvalidArgumentError(path + ": truncated");
    NamedTensor t;
    t.name.assign(bytes.data() + pos, name_len);
    pos += name_len;
    if (!u32(&rank) || rank > 8) return InvalidArgumentError(path + ": bad rank");
    size_t elements = 1;
    for (uint32_t d = 0; d < rank; ++d) {
      uint32_t dim = 0;
      if (!u32(&dim)) return InvalidArgumentError(path + ": truncated");
      t.shape.push_back(static_cast<int>(dim));
      elements *= dim;
    }
    if (pos + elements * 4 > bytes.size()) return InvalidArgumentError(path + ": truncated data");
    t.data.resize(elements);
    std::memcpy(t.data.data(), bytes.data() + pos, elements * 4);
    pos += elements * 4;
    (role == 0 ? dump.inputs : dump.outputs).push_back(std::move(t));
  }
  return dump;
}

double RelativeError(const std::vector<float>& a, const std::vector<float>& b) {
  double max_diff = 0, max_ref = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    max_diff = std::max(max_diff, std::fabs(static_cast<double>(a[i]) - b[i]));
    max_ref = std::max(max_ref, std::fabs(static_cast<double>(b[i])));
  }
  if (a.size() != b.size()) return INFINITY;
  return max_ref > 0 ? max_diff / max_ref : max_diff;
}

}  // namespace handtrack::testing
