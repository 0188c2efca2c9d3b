// Public model-level API: delegates, model paths, backend listing, ModelRunner.
#include "handtrack/models.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "backend/backend.h"
#include "model/batch.h"
#include "model/tflite_reader.h"
#include "runtime/backend_registry.h"
#include "runtime/interpreter.h"
#include "tasks/model_loading.h"

namespace handtrack {

std::string DelegateName(const Delegate& delegate) { return delegate.name(); }

Result<Delegate> ParseDelegate(const std::string& name) {
  const runtime::BackendRegistry& registry = runtime::BackendRegistry::Global();
  if (name == "auto" || registry.Find(name).has_value()) return Delegate(name);
  return InvalidArgumentError("failed to parse delegate '" + name + "': expected one of " +
                              registry.NameList());
}

std::string ResolveModelDir(const std::string& model_dir) {
  if (!model_dir.empty()) return model_dir;
  if (const char* env = std::getenv("HANDTRACK_MODELS"); env != nullptr && *env != '\0') return env;
  if (const char* cache = std::getenv("XDG_CACHE_HOME"); cache != nullptr && *cache != '\0') {
    return std::string(cache) + "/handtrack/models";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.cache/handtrack/models";
}

std::string PalmModelName(ModelVariant variant) {
  return variant == ModelVariant::kLite ? "palm_detection_lite" : "palm_detection_full";
}
std::string LandmarkModelName(ModelVariant variant) {
  return variant == ModelVariant::kLite ? "hand_landmark_lite" : "hand_landmark_full";
}

std::vector<BackendInfo> ListBackends() {
  std::vector<BackendInfo> infos;
  for (const runtime::BackendEntry& entry : runtime::BackendRegistry::Global().Entries()) {
    BackendInfo info;
    info.name = entry.name;
    info.priority = entry.priority;
    info.compiled_in = entry.compiled_in();
    if (!entry.compiled_in()) {
      info.detail = "not compiled into this build (" + entry.not_built_reason + ")";
    } else {
      const std::unique_ptr<backend::Backend> backend = entry.create();
      info.device = backend->memory_space() == backend::MemorySpace::kDevice;
      const Status available = backend->Availability();
      info.available = available.ok();
      info.detail = available.ok() ? "ready" : available.message();
    }
    infos.push_back(std::move(info));
  }
  return infos;
}

namespace {

// The GPUs of every device backend compiled in; `why_none` gathers why there are none.
std::vector<GpuInfo> CollectGpus(bool probe, std::string* why_none) {
  std::vector<GpuInfo> gpus;
  std::string reasons, not_built;
  bool device_backend = false;
  const auto add = [](std::string& list, const std::string& item) {
    list += (list.empty() ? "" : "; ") + item;
  };
  for (const runtime::BackendEntry& entry : runtime::BackendRegistry::Global().Entries()) {
    if (!entry.compiled_in()) {
      add(not_built, entry.name + ": " + entry.not_built_reason);
      continue;
    }
    const std::unique_ptr<backend::Backend> backend = entry.create();
    if (backend->memory_space() != backend::MemorySpace::kDevice) continue;
    device_backend = true;
    std::string why;
    std::vector<GpuInfo> found = backend->ListDevices(probe, &why);
    if (found.empty() && !why.empty()) add(reasons, why);
    gpus.insert(gpus.end(), found.begin(), found.end());
  }
  if (gpus.empty() && why_none != nullptr) {
    *why_none = device_backend ? reasons : "this build has no GPU backend (not built: " + not_built + ")";
  }
  return gpus;
}

}  // namespace

GpuList ListGpus() {
  GpuList list;
  list.gpus = CollectGpus(/*probe=*/true, &list.why_none);
  return list;
}

namespace tasks {

Status CheckDevice(int device) {
  const std::string what = "failed to select device " + std::to_string(device);
  if (device < 0) return InvalidArgumentError(what + ": a device index is 0 or more");
  if (device == 0) return Status::Ok();
  std::string why_none;
  const std::vector<GpuInfo> gpus = CollectGpus(/*probe=*/false, &why_none);
  if (gpus.empty()) return InvalidArgumentError(what + ": there is no GPU (" + why_none + ")");
  if (device >= static_cast<int>(gpus.size())) {
    return InvalidArgumentError(what + ": CUDA device " + std::to_string(device) + " does not exist (" +
                                std::to_string(gpus.size()) + " found)");
  }
  return Status::Ok();
}

Result<model::Graph> ReadModelBuffer(std::span<const uint8_t> bytes, const std::string& name) {
  if (bytes.empty())
    return InvalidModelError("failed to load model " + name + " from memory: the buffer is empty");
  Result<model::Graph> graph = model::ReadTflite(bytes, name);
  if (!graph.ok()) return graph.status().WithPrefix("failed to load model " + name + " from memory");
  return graph;
}

Result<model::Graph> LoadModelGraph(const ModelOptions& options, const std::string& name) {
  if (const auto buffer = options.model_buffers.find(name); buffer != options.model_buffers.end()) {
    return ReadModelBuffer(buffer->second, name);
  }
  const std::string path = ResolveModelDir(options.model_dir) + "/" + name + ".tflite";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return NotFoundError("failed to load model " + path +
                         ": no such file (run scripts/fetch_models.sh, point --models / HANDTRACK_MODELS "
                         "at a folder holding the four .tflite files, or pass the models in memory)");
  }
  return model::ReadTfliteFile(path);
}

Result<runtime::InterpreterOptions> MakeInterpreterOptions(const ModelRunSettings& settings) {
  runtime::InterpreterOptions options;
  options.delegate = settings.delegate.name();
  options.num_threads = settings.num_threads;
  options.precision = settings.precision;
  HT_RETURN_IF_ERROR(CheckDevice(settings.device));
  options.device = settings.device;
  HT_ASSIGN_OR_RETURN(options.faults, backend::FaultInjection::Parse(settings.inject_faults));
  if (settings.fault_hook != nullptr) options.faults.set_hook(settings.fault_hook);
  options.settings = settings.backend_settings;
  return options;
}

}  // namespace tasks

struct ModelRunner::Impl {
  std::unique_ptr<runtime::Interpreter> interpreter;
};

ModelRunner::ModelRunner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ModelRunner::~ModelRunner() = default;

Result<std::unique_ptr<ModelRunner>> ModelRunner::Create(const std::string& path, Delegate delegate,
                                                         int num_threads) {
  Options options;
  options.delegate = delegate;
  options.num_threads = num_threads;
  options.precision = Precision::kFp32;  // as documented: this overload predates kAuto
  return Create(path, options);
}

namespace {

Result<std::unique_ptr<ModelRunner::Impl>> CreateRunnerImpl(const model::Graph& loaded,
                                                            const ModelRunner::Options& options) {
  HT_ASSIGN_OR_RETURN(model::Graph graph, model::WithBatch(loaded, options.batch));
  HT_ASSIGN_OR_RETURN(runtime::InterpreterOptions interpreter_options,
                      tasks::MakeInterpreterOptions(tasks::RunSettingsOf(options)));
  auto impl = std::make_unique<ModelRunner::Impl>();
  HT_ASSIGN_OR_RETURN(impl->interpreter,
                      runtime::Interpreter::Create(std::make_shared<const model::Graph>(std::move(graph)),
                                                   interpreter_options));
  return impl;
}

}  // namespace

Result<std::unique_ptr<ModelRunner>> ModelRunner::Create(const std::string& path, const Options& options) {
  HT_ASSIGN_OR_RETURN(model::Graph loaded, model::ReadTfliteFile(path));
  HT_ASSIGN_OR_RETURN(std::unique_ptr<Impl> impl, CreateRunnerImpl(loaded, options));
  return std::unique_ptr<ModelRunner>(new ModelRunner(std::move(impl)));
}

Result<std::unique_ptr<ModelRunner>> ModelRunner::CreateFromBuffer(std::span<const uint8_t> bytes,
                                                                   const std::string& name,
                                                                   const Options& options) {
  HT_ASSIGN_OR_RETURN(model::Graph loaded, tasks::ReadModelBuffer(bytes, name));
  HT_ASSIGN_OR_RETURN(std::unique_ptr<Impl> impl, CreateRunnerImpl(loaded, options));
  return std::unique_ptr<ModelRunner>(new ModelRunner(std::move(impl)));
}

int ModelRunner::num_inputs() const { return impl_->interpreter->num_inputs(); }
int ModelRunner::num_outputs() const { return impl_->interpreter->num_outputs(); }
std::vector<int> ModelRunner::input_shape(int index) const {
  const auto& g = impl_->interpreter->graph();
  return g.tensors[g.inputs.at(index)].shape;
}
std::vector<int> ModelRunner::output_shape(int index) const {
  const auto& g = impl_->interpreter->graph();
  return g.tensors[g.outputs.at(index)].shape;
}
std::string ModelRunner::input_name(int index) const {
  const auto& g = impl_->interpreter->graph();
  return g.tensors[g.inputs.at(index)].name;
}
std::string ModelRunner::output_name(int index) const {
  const auto& g = impl_->interpreter->graph();
  return g.tensors[g.outputs.at(index)].name;
}
std::span<float> ModelRunner::input(int index) { return impl_->interpreter->input(index); }
std::span<const float> ModelRunner::output(int index) const { return impl_->interpreter->output(index); }
Status ModelRunner::Run() { return impl_->interpreter->Run(); }
Result<std::optional<double>> ModelRunner::TimeDeviceKernels(int replays) {
  if (replays < 1) return InvalidArgumentError("failed to time device kernels: replays must be at least 1");
  return impl_->interpreter->TimeKernelReplays(replays);
}
std::string ModelRunner::DescribePlan() const { return impl_->interpreter->DescribePlan(); }
Precision ModelRunner::precision() const { return impl_->interpreter->precision(); }

}  // namespace handtrack
