// Models, backends and single-model inference.
//
// handtrack runs MediaPipe's four hand models (.tflite files fetched at
// set-up, see scripts/fetch_models.sh). A model is read by handtrack's own
// verifying .tflite reader, then each node is planned onto the first backend
// that supports it (dtype, shape, attributes), the reference backend last.
//
// Ownership: a ModelRunner owns its model and backend state; the spans it
// returns point into that state and live as long as the runner.
// Threading: one ModelRunner serves one thread at a time (its input and output
// buffers are its own); use one per thread, or a HandEngine
// (handtrack/hand_engine.h), which serves the hand models to any number of
// threads at once. ListBackends, the name/parse functions and the path helpers
// are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "handtrack/status.h"

namespace handtrack {

enum class ModelVariant { kFull, kLite };

// Which backend runs the models, by its name in ListBackends(). "auto"
// (kAuto, the default): the fastest available backend for each node, falling
// back (visibly) to the next one. A named backend ("cuda", "xnnpack",
// "reference", or any backend registered later: Delegate("name")) runs what
// it can, the reference backend the rest; a named backend that is
// unavailable is an error when the model is loaded.
class Delegate {
 public:
  Delegate() = default;  // auto
  explicit Delegate(std::string name) : name_(std::move(name)) {}
  // The built-in backends' names, for existing callers.
  static const Delegate kAuto;
  static const Delegate kCuda;
  static const Delegate kXnnpack;
  static const Delegate kReference;

  const std::string& name() const { return name_; }
  bool is_auto() const { return name_ == "auto"; }
  bool operator==(const Delegate& other) const = default;

 private:
  std::string name_ = "auto";
};
inline const Delegate Delegate::kAuto{"auto"};
inline const Delegate Delegate::kCuda{"cuda"};
inline const Delegate Delegate::kXnnpack{"xnnpack"};
inline const Delegate Delegate::kReference{"reference"};

// "auto", "cuda", ...: the delegate's name.
std::string DelegateName(const Delegate& delegate);
// "auto" or the name of a backend this build knows (ListBackends(), whether
// available here or not); InvalidArgument listing the names otherwise.
Result<Delegate> ParseDelegate(const std::string& name);

// Arithmetic precision of inference. kFp16: half-precision storage of weights
// and activations with float32 accumulation, honoured by the cuda backend
// (weights converted once, at compile); the CPU backends run float32 and say
// so in DescribePlan(). Inputs and outputs stay float32 either way.
// kAuto (the default): the precision of the backend the plan puts first, chosen
// when the model is planned: fp16 on cuda, as MediaPipe's GPU delegate runs
// (its allow_precision_loss defaults to true; fp16 meets the same agreement
// bounds on the shared photos and videos, docs/CUDA.md), fp32 on the CPU
// backends and on webgpu. Engines, landmarkers and runners then report the
// precision chosen in their options() / precision(), never kAuto.
enum class Precision { kFp32, kFp16, kAuto };

// "fp32", "fp16", "auto".
const char* PrecisionName(Precision precision);
// Parses a precision name; InvalidArgument for anything else.
Result<Precision> ParsePrecision(const std::string& name);

// The .tflite bytes of models held in memory (MediaPipe's model_asset_buffer),
// by model name: "palm_detection_full", "hand_landmark_full",
// "palm_detection_lite", "hand_landmark_lite". The bytes are read (and
// verified exactly as a file is) while the engine or landmarker is created;
// the caller owns them and may free them afterwards.
using ModelBuffers = std::map<std::string, std::span<const uint8_t>>;

struct ModelOptions {
  ModelVariant variant = ModelVariant::kFull;
  // Folder holding the .tflite files. Empty: $HANDTRACK_MODELS, else
  // $XDG_CACHE_HOME/handtrack/models, else ~/.cache/handtrack/models.
  std::string model_dir;
  // Models from memory: a model named here is read from these bytes instead
  // of from model_dir (which is then not needed for it).
  ModelBuffers model_buffers;
  Delegate delegate = Delegate::kAuto;
  int num_threads = 1;  // CPU threads for inference (>= 1)
  Precision precision = Precision::kAuto;
  // The GPU a device backend (cuda) runs on: its index in ListGpus(), as
  // nvidia-smi numbers them unless CUDA_VISIBLE_DEVICES says otherwise. 0
  // (default): the first GPU, as before this option existed. Another index is
  // checked when the models are loaded, whatever the delegate: InvalidArgument
  // "failed to select device 3: CUDA device 3 does not exist (2 found)" when
  // there is no such GPU; negative indices always. Every model, batch and
  // image upload of the engine then stays on that GPU, and each call makes it
  // current on the calling thread, so one thread may serve engines on several
  // GPUs. Host backends ignore it.
  int device = 0;
  // Testing and diagnosis: "BACKEND:STAGE[,...]" makes that stage of that
  // backend fail (availability, compile, run; cuda:oom), to exercise the
  // fallback paths. Empty (default): no faults. InvalidArgument when malformed.
  std::string inject_faults;
  // Testing: asked (from any thread) at every point where a fault can be
  // injected, with the backend and stage; true makes it fail there. For tests
  // that switch faults on and off while a model is loaded. Empty: none.
  std::function<bool(std::string_view backend, std::string_view stage)> fault_hook;
  // Backend kernel switches, e.g. {"cuda.fusion", "0"} (every node its own
  // kernel) or {"cuda.tensor_cores", "0"} (products on the CUDA cores), to
  // compare timings or hunt a numerical difference. A key that no available
  // backend reads is an error.
  std::map<std::string, std::string> backend_settings;
};

// The folder the options point at, after the fallbacks above.
std::string ResolveModelDir(const std::string& model_dir);

// "palm_detection_full", "hand_landmark_lite", ...
std::string PalmModelName(ModelVariant variant);
std::string LandmarkModelName(ModelVariant variant);

// A backend this build knows, and whether it can be used here.
struct BackendInfo {
  std::string name;  // "cuda", "xnnpack", "reference", ...
  int priority = 0;  // higher is tried first under auto
  bool compiled_in = false;
  // Runs on a device with memory of its own (a GPU): inputs and outputs are
  // copied, and batching frames pays.
  bool device = false;
  bool available = false;
  std::string detail;  // why it is not compiled in or unavailable, or "ready"
};

// Every backend this build knows (its backend registry), in the order auto
// tries them; ones not compiled in are listed with the reason.
std::vector<BackendInfo> ListBackends();

// One GPU of the machine, as a device backend (cuda) sees it.
struct GpuInfo {
  int index = 0;        // ModelOptions::device, `--device N`
  std::string backend;  // the backend that runs on it: "cuda"
  std::string name;     // "NVIDIA H200"
  int64_t memory_total_bytes = 0;
  int64_t memory_free_bytes = 0;  // when listed
  int compute_capability = 0;     // major * 10 + minor: 90 for Hopper
  bool usable = false;            // this build's kernels run there
  std::string detail;             // "ready", or why it cannot be used
};

struct GpuList {
  std::vector<GpuInfo> gpus;  // by backend, then index
  // Why there is none: no GPU backend in this build, no driver, no device.
  std::string why_none;
};

// Every GPU of the machine, usable or not. It loads this build's kernels on
// each GPU to tell (a CUDA context per GPU, which stays for the process), so
// call it to report, not per frame. Thread-safe; never fails: a build or a
// machine without GPUs gives an empty list with the reason.
GpuList ListGpus();

// Runs one model on float32 inputs; used by benchmarks and tests.
class ModelRunner {
 public:
  // Loads and verifies `path`, plans it with `delegate` and `num_threads`
  // (fp32, batch 1).
  static Result<std::unique_ptr<ModelRunner>> Create(const std::string& path, Delegate delegate,
                                                     int num_threads);

  struct Options {
    Delegate delegate = Delegate::kAuto;
    int num_threads = 1;
    Precision precision = Precision::kAuto;  // as ModelOptions::precision
    int device = 0;                          // as ModelOptions::device
    // Frames per Run() (>= 1, at most 4096). The loaded graph is rewritten
    // before planning: every non-constant tensor whose first dimension is 1
    // (inputs, activations, outputs) gets first dimension `batch`, and RESHAPE
    // shape operands that carry the batch follow. Inputs and outputs then hold
    // `batch` frames back to back (frame i at offset i * per-frame size), and
    // input_shape()/output_shape() report the batched shapes. A model whose
    // batch cannot be rewritten fails Create with InvalidArgument naming the
    // node.
    int batch = 1;
    // As ModelOptions::inject_faults, ::fault_hook and ::backend_settings.
    std::string inject_faults;
    std::function<bool(std::string_view backend, std::string_view stage)> fault_hook;
    std::map<std::string, std::string> backend_settings;
  };
  static Result<std::unique_ptr<ModelRunner>> Create(const std::string& path, const Options& options);
  // The same from a .tflite file's bytes, read during the call; `name` names
  // the model in plans and messages.
  static Result<std::unique_ptr<ModelRunner>> CreateFromBuffer(std::span<const uint8_t> bytes,
                                                               const std::string& name,
                                                               const Options& options);
  ~ModelRunner();
  ModelRunner(const ModelRunner&) = delete;
  ModelRunner& operator=(const ModelRunner&) = delete;

  int num_inputs() const;
  int num_outputs() const;
  std::vector<int> input_shape(int index) const;
  std::vector<int> output_shape(int index) const;
  std::string input_name(int index) const;
  std::string output_name(int index) const;

  // Writable input buffer `index`, valid until the runner is destroyed.
  std::span<float> input(int index);
  // Output buffer `index`, filled by Run(); read it before the next Run(). On a GPU plan it may be
  // the device's pinned staging, which a fallback during a later Run() frees and replaces.
  std::span<const float> output(int index) const;

  Status Run();

  // Benchmarks: replays the GPU kernels of the plan `replays` times on the
  // inputs the last Run() left on the device, without host copies, and returns
  // the mean milliseconds per replay (summed over GPU segments); nullopt when
  // nothing runs on a GPU. This is how peers that keep their inputs on the
  // device time themselves (e.g. PyTorch with CUDA graphs).
  Result<std::optional<double>> TimeDeviceKernels(int replays);

  // The execution plan: node groups per backend and every fallback reason.
  std::string DescribePlan() const;
  // The precision the model was planned in: Options::precision, or what kAuto chose.
  Precision precision() const;

  struct Impl;

 private:
  explicit ModelRunner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace handtrack
