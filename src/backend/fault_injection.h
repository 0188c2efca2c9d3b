// Fault injection, the one test hook every backend and the runtime share.
//
// A FaultInjection holds "BACKEND:STAGE" pairs, e.g. "xnnpack:compile" or
// "cuda:oom". The runtime makes the generic stages of a backend fail
// (availability, compile, run, and run@N: the Nth run, counting from 1); a
// backend asks for faults only it can place (cuda:oom). Tests and the CLI
// build one with Parse() and pass it in options (runtime::InterpreterOptions,
// ModelOptions::inject_faults); the library never reads the environment for it.
// A test that must switch faults on and off while a model is loaded adds a
// hook (ModelOptions::fault_hook), asked at every check.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "handtrack/status.h"

namespace handtrack::backend {

class FaultInjection {
 public:
  // Asked with (backend, stage) at every check; must be thread-safe.
  using Hook = std::function<bool(std::string_view backend, std::string_view stage)>;

  FaultInjection() = default;

  // Parses "BACKEND:STAGE[,BACKEND:STAGE...]" (empty: no faults).
  // InvalidArgument naming the bad entry for anything else.
  static Result<FaultInjection> Parse(std::string_view spec);

  void set_hook(Hook hook) { hook_ = std::move(hook); }

  bool empty() const { return faults_.empty() && hook_ == nullptr; }
  // Whether "backend:stage" was asked for, or the hook says so now.
  bool Has(std::string_view backend, std::string_view stage) const;
  // The error an injected fault reports: Unavailable "failed to <stage> on
  // <backend>: fault injected (test hook)".
  static Status Error(std::string_view backend, std::string_view stage);
  // The spec it was parsed from, normalised ("a:b,c:d").
  std::string ToString() const;

 private:
  struct Fault {
    std::string backend;
    std::string stage;
  };
  std::vector<Fault> faults_;
  Hook hook_;
};

}  // namespace handtrack::backend
