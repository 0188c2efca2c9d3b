// The backend registry: which backends this process knows, in what order
// "auto" tries them, whether each was compiled in and why not.
//
// The built-in backends (cuda, xnnpack, reference) are registered when the
// registry is first used (builtin_backends.cc, the one file that names them);
// anything else (a test's fake backend, a later browser backend) registers
// itself with Register(). Everything that lists or picks backends — the
// planner (runtime::Interpreter), ListBackends(), ParseDelegate(),
// `handtrack devices` — reads this registry, so adding a backend edits no
// public header and no name comparison elsewhere.
//
// Threading: every method is thread-safe; Entries() returns a snapshot.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "handtrack/status.h"

namespace handtrack::runtime {

struct BackendEntry {
  std::string name;  // lower-case, unique: "cuda", "xnnpack", "reference"
  // Higher is tried first under "auto"; ties keep registration order.
  int priority = 0;
  // The backend of last resort: runs every node the model reader accepts, on
  // the host. A plan for a named delegate adds it for the nodes the delegate
  // cannot run, and it is never dropped on a failure.
  bool fallback = false;
  // Tried under "auto". False for a backend that runs only when named: the
  // portable wasm kernels on a native build, where xnnpack is the fast CPU
  // backend and the native fallback order must stay xnnpack -> reference.
  bool in_auto = true;
  // Creates a backend object (cheap; state lives in compiled segments). Null
  // when the backend is not compiled into this build.
  std::function<std::unique_ptr<backend::Backend>()> create;
  // Why it is not compiled in ("built without nvcc"); empty when it is.
  std::string not_built_reason;

  bool compiled_in() const { return create != nullptr; }
};

class BackendRegistry {
 public:
  // The process-wide registry, with the built-in backends registered.
  static BackendRegistry& Global();

  // InvalidArgument when the name is taken or empty, or for an entry
  // that is neither compiled in nor says why not.
  Status Register(BackendEntry entry);
  // Whether an entry of that name was there.
  bool Unregister(const std::string& name);

  // Every entry, highest priority first.
  std::vector<BackendEntry> Entries() const;
  std::optional<BackendEntry> Find(const std::string& name) const;
  // "auto, cuda, xnnpack, reference" style list for messages.
  std::string NameList() const;

 private:
  BackendRegistry() = default;
  struct State;
  State& state() const;
};

// Registers an entry for the lifetime of the object (tests).
class ScopedBackendRegistration {
 public:
  explicit ScopedBackendRegistration(BackendEntry entry);
  ~ScopedBackendRegistration();
  ScopedBackendRegistration(const ScopedBackendRegistration&) = delete;
  ScopedBackendRegistration& operator=(const ScopedBackendRegistration&) = delete;
  const Status& status() const { return status_; }

 private:
  std::string name_;
  Status status_;
};

// builtin_backends.cc: registers the backends compiled into this build, and
// the ones left out with the reason. Called once by Global().
void RegisterBuiltinBackends(BackendRegistry& registry);

}  // namespace handtrack::runtime
