#include "engine_pool_options.h"

#include <atomic>
#include <cstdlib>
#include <memory>

namespace handtrack::cli {
namespace {

// HANDTRACK_INJECT_FAULT_ENGINE's engine, fault and start, or nothing when unset.
struct EngineFault {
  int engine = -1;
  std::string backend, stage;
  int64_t after = 0;
};

Result<EngineFault> ReadEngineFault() {
  EngineFault fault;
  const char* text = std::getenv("HANDTRACK_INJECT_FAULT_ENGINE");
  if (text == nullptr || *text == '\0') return fault;
  const std::string value = text;
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    const size_t colon = value.find(':', start);
    parts.push_back(value.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  const auto bad = [&] {
    return InvalidArgumentError("HANDTRACK_INJECT_FAULT_ENGINE must be INDEX:BACKEND:STAGE[:AFTER], got '" +
                                value + "'");
  };
  if (parts.size() < 3 || parts.size() > 4 || parts[1].empty() || parts[2].empty()) return bad();
  const Result<int> engine = ParseIntOption("engine", parts[0], 0, 1023);
  if (!engine.ok()) return bad();
  fault.engine = *engine;
  fault.backend = parts[1];
  fault.stage = parts[2];
  if (parts.size() == 4) {
    const Result<int> after = ParseIntOption("after", parts[3], 0, 1'000'000'000);
    if (!after.ok()) return bad();
    fault.after = *after;
  }
  return fault;
}

bool IsHostBackend(const std::string& name) {
  for (const BackendInfo& backend : ListBackends()) {
    if (backend.name == name) return !backend.device;
  }
  return false;
}

}  // namespace

Result<std::vector<int>> ReadGpus(const ParsedArgs& args, const ModelOptions& model) {
  const std::optional<std::string> text = args.Value("--gpus");
  if (!text.has_value()) return std::vector<int>();
  if (args.Has("--device") || args.Value("--delegate").value_or("").find(':') != std::string::npos) {
    return InvalidArgumentError(
        "--gpus gives every engine its GPU: leave out --device and --delegate NAME:N");
  }
  if (IsHostBackend(model.delegate.name())) {
    return InvalidArgumentError("--gpus runs the models on GPUs: --delegate " + model.delegate.name() +
                                " runs them on the CPU (use --delegate cuda or auto)");
  }
  return ParseGpusOption(*text);
}

Result<EnginePoolOptions> MakeEnginePoolOptions(const HandEngineOptions& engine, const std::vector<int>& gpus,
                                                std::function<void(const std::string& line)> on_event) {
  EnginePoolOptions pool;
  pool.on_event = std::move(on_event);
  if (gpus.empty()) {
    pool.engines.push_back(engine);
  } else {
    for (int gpu : gpus) {
      HandEngineOptions on_gpu = engine;
      if (on_gpu.model.delegate.is_auto()) on_gpu.model.delegate = Delegate::kCuda;
      on_gpu.model.device = gpu;
      pool.engines.push_back(std::move(on_gpu));
    }
    HandEngineOptions cpu = engine;
    cpu.model.delegate = Delegate::kReference;
    for (const BackendInfo& backend : ListBackends()) {
      if (backend.name == Delegate::kXnnpack.name() && backend.available)
        cpu.model.delegate = Delegate::kXnnpack;
    }
    cpu.model.device = 0;
    cpu.model.precision = Precision::kFp32;
    cpu.max_batch = 1;  // a batch runs no faster on the CPU
    pool.fallback = std::move(cpu);
  }
  HT_ASSIGN_OR_RETURN(const EngineFault fault, ReadEngineFault());
  if (fault.engine >= 0) {
    if (fault.engine >= static_cast<int>(pool.engines.size())) {
      return InvalidArgumentError("HANDTRACK_INJECT_FAULT_ENGINE names engine " +
                                  std::to_string(fault.engine) + " of " +
                                  std::to_string(pool.engines.size()));
    }
    auto checks = std::make_shared<std::atomic<int64_t>>(0);
    pool.engines[fault.engine].model.fault_hook = [fault, checks](std::string_view backend,
                                                                  std::string_view stage) {
      return backend == fault.backend && stage == fault.stage && checks->fetch_add(1) >= fault.after;
    };
  }
  return pool;
}

Json EnginePoolJson(const EnginePoolStats& stats) {
  Json engines = Json::array();
  for (const PoolEngineStats& engine : stats.engines) {
    Json entry = {{"engine", engine.label},
                  {"fallback", engine.fallback},
                  {"created", engine.created},
                  {"failed", engine.failed},
                  {"streams", engine.streams_total},
                  {"palm_runs", engine.engine.palm.runs},
                  {"landmark_runs", engine.engine.landmarks.runs}};
    if (engine.failed) entry["failure"] = engine.failure;
    engines.push_back(std::move(entry));
  }
  return Json{{"take_overs", stats.take_overs}, {"engines", std::move(engines)}};
}

}  // namespace handtrack::cli
