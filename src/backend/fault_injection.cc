#include "backend/fault_injection.h"

namespace handtrack::backend {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '@' || c == '.';
}

}  // namespace

Result<FaultInjection> FaultInjection::Parse(std::string_view spec) {
  FaultInjection injection;
  while (!spec.empty()) {
    const size_t comma = spec.find(',');
    const std::string_view entry = spec.substr(0, comma);
    const size_t colon = entry.find(':');
    const auto bad = [&](const char* reason) {
      return InvalidArgumentError("failed to parse fault '" + std::string(entry) + "': " + reason);
    };
    if (colon == std::string_view::npos) return bad("expected BACKEND:STAGE");
    const std::string_view backend = entry.substr(0, colon);
    const std::string_view stage = entry.substr(colon + 1);
    if (backend.empty() || stage.empty()) return bad("expected BACKEND:STAGE");
    for (std::string_view part : {backend, stage}) {
      for (char c : part) {
        if (!IsNameChar(c)) return bad("names hold only letters, digits and _-@.");
      }
    }
    injection.faults_.push_back({std::string(backend), std::string(stage)});
    if (comma == std::string_view::npos) break;
    spec.remove_prefix(comma + 1);
  }
  return injection;
}

bool FaultInjection::Has(std::string_view backend, std::string_view stage) const {
  for (const Fault& fault : faults_) {
    if (fault.backend == backend && fault.stage == stage) return true;
  }
  return hook_ != nullptr && hook_(backend, stage);
}

Status FaultInjection::Error(std::string_view backend, std::string_view stage) {
  return UnavailableError("failed to " + std::string(stage) + " on " + std::string(backend) +
                          ": fault injected (test hook)");
}

std::string FaultInjection::ToString() const {
  std::string text;
  for (const Fault& fault : faults_) text += (text.empty() ? "" : ",") + fault.backend + ":" + fault.stage;
  return text;
}

}  // namespace handtrack::backend
