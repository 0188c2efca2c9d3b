// Public model-level API: delegates, model paths, backend listing, ModelRunner.
#include "handtrack/models.h"

#include <cstdlib>

#include "backend/backend.h"
#include "model/batch.h"
#include "model/tflite_reader.h"
#include "runtime/interpreter.h"

namespace handtrack {

const char* DelegateName(Delegate delegate) {
  switch (delegate) {
    case Delegate::kAuto: return "auto";
    case Delegate::kCuda: return "cuda";
    case Delegate::kXnnpack: return "xnnpack";
    case Delegate::kReference: return "reference";
  }
  return "auto";
}

Result<Delegate> ParseDelegate(const std::string& name) {
  for (Delegate d : {Delegate::kAuto, Delegate::kCuda, Delegate::kXnnpack, Delegate::kReference}) {
    if (name == DelegateName(d)) return d;
  }
  return InvalidArgumentError("failed to parse delegate '" + name + "': expected auto, cuda, xnnpack or reference");
}

const char* PrecisionName(Precision precision) { return precision == Precision::kFp16 ? "fp16" : "fp32"; }

Result<Precision> ParsePrecision(const std::string& name) {
  for (Precision p : {Precision::kFp32, Precision::kFp16}) {
    if (name == PrecisionName(p)) return p;
  }
  return InvalidArgumentError("failed to parse precision '" + name + "': expected fp32 or fp16");
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
  bool have_cuda = false, have_xnnpack = false;
  for (const auto& backend : backend::CreateAllBackends()) {
    const std::string name = backend->name();
    have_cuda |= name == "cuda";
    have_xnnpack |= name == "xnnpack";
    Status available = backend->Availability();
    infos.push_back({name, available.ok(), available.ok() ? "ready" : available.message()});
  }
  if (!have_cuda) {
    infos.insert(infos.begin(), {"cuda", false, "not compiled into this build (CMake found no CUDA toolkit)"});
  }
  if (!have_xnnpack) {
    infos.insert(infos.end() - 1, {"xnnpack", false, "not compiled into this build (libxnnpack-dev was missing)"});
  }
  return infos;
}

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
  return Create(path, options);
}

Result<std::unique_ptr<ModelRunner>> ModelRunner::Create(const std::string& path, const Options& options) {
  HT_ASSIGN_OR_RETURN(model::Graph loaded, model::ReadTfliteFile(path));
  HT_ASSIGN_OR_RETURN(model::Graph graph, model::WithBatch(loaded, options.batch));
  auto impl = std::make_unique<Impl>();
  HT_ASSIGN_OR_RETURN(impl->interpreter, runtime::Interpreter::Create(
                                             std::make_shared<const model::Graph>(std::move(graph)),
                                             options.delegate, options.num_threads, options.precision));
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

}  // namespace handtrack
