#include "runtime/backend_registry.h"

#include <algorithm>
#include <mutex>

namespace handtrack::runtime {

struct BackendRegistry::State {
  mutable std::mutex mutex;
  std::vector<BackendEntry> entries;  // highest priority first
};

BackendRegistry::State& BackendRegistry::state() const {
  static State state;
  return state;
}

BackendRegistry& BackendRegistry::Global() {
  static BackendRegistry* registry = [] {
    auto* created = new BackendRegistry();  // never destroyed: backends may be looked up at exit
    RegisterBuiltinBackends(*created);
    return created;
  }();
  return *registry;
}

Status BackendRegistry::Register(BackendEntry entry) {
  if (entry.name.empty() || entry.name == "auto") {
    return InvalidArgumentError("failed to register backend '" + entry.name +
                                "': the name is reserved or empty");
  }
  if (!entry.compiled_in() && entry.not_built_reason.empty()) {
    return InvalidArgumentError("failed to register backend " + entry.name +
                                ": it has no factory and no reason why it is not built");
  }
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  for (const BackendEntry& existing : s.entries) {
    if (existing.name == entry.name) {
      return InvalidArgumentError("failed to register backend " + entry.name + ": the name is taken");
    }
  }
  // After every entry of the same or higher priority: ties keep registration order.
  auto position = std::find_if(s.entries.begin(), s.entries.end(), [&](const BackendEntry& existing) {
    return existing.priority < entry.priority;
  });
  s.entries.insert(position, std::move(entry));
  return Status::Ok();
}

bool BackendRegistry::Unregister(const std::string& name) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  const auto erased = std::erase_if(s.entries, [&](const BackendEntry& entry) { return entry.name == name; });
  return erased > 0;
}

std::vector<BackendEntry> BackendRegistry::Entries() const {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.entries;
}

std::optional<BackendEntry> BackendRegistry::Find(const std::string& name) const {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  for (const BackendEntry& entry : s.entries) {
    if (entry.name == name) return entry;
  }
  return std::nullopt;
}

std::string BackendRegistry::NameList() const {
  std::string names = "auto";
  for (const BackendEntry& entry : Entries()) names += ", " + entry.name;
  return names;
}

ScopedBackendRegistration::ScopedBackendRegistration(BackendEntry entry)
    : name_(entry.name), status_(BackendRegistry::Global().Register(std::move(entry))) {}

ScopedBackendRegistration::~ScopedBackendRegistration() {
  if (status_.ok()) BackendRegistry::Global().Unregister(name_);
}

}  // namespace handtrack::runtime
