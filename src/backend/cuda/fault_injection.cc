#include "backend/cuda/fault_injection.h"

#include <cstdlib>
#include <string>

namespace handtrack::backend::cuda {

bool CudaFaultInjected(std::string_view fault) {
  const char* spec = std::getenv("HANDTRACK_INJECT_FAULT");
  if (spec == nullptr) return false;
  const std::string wanted = "cuda:" + std::string(fault);
  std::string_view rest = spec;
  while (true) {
    const size_t comma = rest.find(',');
    if (rest.substr(0, comma) == wanted) return true;
    if (comma == std::string_view::npos) return false;
    rest.remove_prefix(comma + 1);
  }
}

}  // namespace handtrack::backend::cuda
