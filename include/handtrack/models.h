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
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "handtrack/status.h"

namespace handtrack {

enum class ModelVariant { kFull, kLite };

// Which backend runs the models. kAuto: the fastest available backend for
// each node, falling back (visibly) to the next one; a named backend that is
// unavailable is an error.
enum class Delegate { kAuto, kCuda, kXnnpack, kReference };

// "auto", "cuda", "xnnpack", "reference".
const char* DelegateName(Delegate delegate);
// Parses a delegate name; InvalidArgument for anything else.
Result<Delegate> ParseDelegate(const std::string& name);

// Arithmetic precision of inference. kFp16: half-precision storage of weights
// and activations with float32 accumulation, honoured by the cuda backend
// (weights converted once, at compile); the CPU backends run float32 and say
// so in DescribePlan(). Inputs and outputs stay float32 either way.
enum class Precision { kFp32, kFp16 };

// "fp32", "fp16".
const char* PrecisionName(Precision precision);
// Parses a precision name; InvalidArgument for anything else.
Result<Precision> ParsePrecision(const std::string& name);

struct ModelOptions {
  ModelVariant variant = ModelVariant::kFull;
  // Folder holding the .tflite files. Empty: $HANDTRACK_MODELS, else
  // $XDG_CACHE_HOME/handtrack/models, else ~/.cache/handtrack/models.
  std::string model_dir;
  Delegate delegate = Delegate::kAuto;
  int num_threads = 1;  // CPU threads for inference (>= 1)
  Precision precision = Precision::kFp32;
};

// The folder the options point at, after the fallbacks above.
std::string ResolveModelDir(const std::string& model_dir);

// "palm_detection_full", "hand_landmark_lite", ...
std::string PalmModelName(ModelVariant variant);
std::string LandmarkModelName(ModelVariant variant);

// A backend compiled into this build, and whether it can be used here.
struct BackendInfo {
  std::string name;      // "cuda", "xnnpack", "reference"
  bool available = false;
  std::string detail;    // why it is unavailable, or what it runs on
};

// Every backend this build knows, in the order kAuto tries them.
std::vector<BackendInfo> ListBackends();

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
    Precision precision = Precision::kFp32;
    // Frames per Run() (>= 1, at most 4096). The loaded graph is rewritten
    // before planning: every non-constant tensor whose first dimension is 1
    // (inputs, activations, outputs) gets first dimension `batch`, and RESHAPE
    // shape operands that carry the batch follow. Inputs and outputs then hold
    // `batch` frames back to back (frame i at offset i * per-frame size), and
    // input_shape()/output_shape() report the batched shapes. A model whose
    // batch cannot be rewritten fails Create with InvalidArgument naming the
    // node.
    int batch = 1;
  };
  static Result<std::unique_ptr<ModelRunner>> Create(const std::string& path, const Options& options);
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
  // Output buffer `index`, filled by Run().
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

  struct Impl;

 private:
  explicit ModelRunner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace handtrack
