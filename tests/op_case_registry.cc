#include "op_case_registry.h"

#include <mutex>
#include <utility>

namespace handtrack::testing {
namespace {

struct Registry {
  std::mutex mutex;
  std::vector<OpCase> cases;
};

Registry& TheRegistry() {
  static Registry registry;
  return registry;
}

}  // namespace

bool RegisterOpCase(OpCase op_case) {
  if (op_case.name.empty()) return false;
  for (const std::vector<OpCase>& table : {AllOpCases(), BeyondReaderOpCases()}) {
    for (const OpCase& existing : table) {
      if (existing.name == op_case.name) return false;
    }
  }
  Registry& registry = TheRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  for (const OpCase& existing : registry.cases) {
    if (existing.name == op_case.name) return false;
  }
  registry.cases.push_back(std::move(op_case));
  return true;
}

std::vector<OpCase> RegisteredOpCases() {
  Registry& registry = TheRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  return registry.cases;
}

}  // namespace handtrack::testing
