// The interface every backend implements (reference, xnnpack, cuda, later
// the browser's), and what the runtime hands them.
//
// The runtime (src/runtime) asks each backend, in priority order, whether it
// supports a node; consecutive nodes given to the same backend form a
// segment, which the backend compiles once and then runs many times. Which
// backends exist is the runtime's BackendRegistry (runtime/backend_registry.h);
// a backend never needs to be named anywhere else.
// Tensors that cross a segment boundary, and the graph's own inputs and
// outputs, live in host memory owned by the runtime (HostTensors); a backend
// keeps every tensor internal to a segment in memory of its own choosing.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "backend/fault_injection.h"
#include "backend/image_sampling.h"

#include "handtrack/models.h"
#include "handtrack/status.h"
#include "model/graph.h"

namespace handtrack::backend {

// Host float32 buffers indexed by tensor index; nullptr for tensors that are
// not host-visible. Constant tensors are read from the graph, not from here.
// Every host buffer has kHostBufferSlackFloats readable floats after its
// data, because vectorised kernels (XNNPACK) may over-read their inputs.
inline constexpr size_t kHostBufferSlackFloats = 16;

struct HostTensors {
  std::vector<float*> data;
};

// A device segment's runs, summed: the GPU's part and the host's parts around it.
struct SegmentRunTimes {
  // On the device, from launch to completion on the segment's stream, as device
  // events time them (waiting for the GPU to be free included).
  double device_seconds = 0;
  // On the host: copying inputs into and outputs out of the staging buffers.
  double copy_seconds = 0;
  // On the host: the launch calls (the graph's launch and its timing events).
  double launch_seconds = 0;
  // On the host: from the launch calls' return to the stream's synchronisation
  // returning (the device's part, plus its start and the host's wake-up).
  double wait_seconds = 0;

  SegmentRunTimes& operator+=(const SegmentRunTimes& o) {
    device_seconds += o.device_seconds;
    copy_seconds += o.copy_seconds;
    launch_seconds += o.launch_seconds;
    wait_seconds += o.wait_seconds;
    return *this;
  }
  SegmentRunTimes& operator-=(const SegmentRunTimes& o) {
    device_seconds -= o.device_seconds;
    copy_seconds -= o.copy_seconds;
    launch_seconds -= o.launch_seconds;
    wait_seconds -= o.wait_seconds;
    return *this;
  }
};

struct SegmentSpec {
  std::vector<int> nodes;    // node indices, in execution order
  std::vector<int> inputs;   // non-constant tensors the segment reads but does not produce
  std::vector<int> outputs;  // tensors the segment produces that are read after it (or graph outputs)
};

// Kernel switches, key -> value (e.g. "cuda.fusion" -> "0"). Each backend
// names the keys it reads (Backend::SettingKeys); the runtime refuses others.
using BackendSettings = std::map<std::string, std::string>;

// How urgently a model's runs are wanted next to other models' runs on the same device.
// kHigh: each run sits on its caller's critical path (the landmark model in VIDEO mode: a
// stream's next frame waits for this one's landmarks), while the others run ahead of their
// callers (palm detection over a window of frames). A device backend may start kHigh runs'
// work before normal work it has waiting (CUDA: stream priorities); results never change.
enum class RunPriority { kNormal, kHigh };

struct BackendOptions {
  int num_threads = 1;
  RunPriority priority = RunPriority::kNormal;
  // kFp16: a backend that honours it (cuda) stores weights and activations as
  // half floats; the others run float32 (the runtime notes it in the plan).
  // Segment inputs and outputs in HostTensors are float32 either way. Never
  // kAuto: the runtime resolves it (Backend::PreferredPrecision) before compiling.
  Precision precision = Precision::kFp32;
  // Test hook: faults only the backend can place (e.g. "cuda:oom"); the
  // runtime itself injects the generic stages (see fault_injection.h).
  FaultInjection faults;
  BackendSettings settings;
};

// Where a backend keeps a segment's tensors. Host backends read and write
// HostTensors in place; a device backend copies a segment's inputs in and its
// outputs out, which the planner counts as the cost of crossing to it.
enum class MemorySpace { kHost, kDevice };

// Called once when an asynchronous run completes, with its status.
using RunCompletion = std::function<void(Status)>;

class CompiledSegment {
 public:
  virtual ~CompiledSegment() = default;
  // Reads spec.inputs from `tensors` and writes spec.outputs there.
  // Not thread-safe: one Run at a time per segment.
  virtual Status Run(const HostTensors& tensors) = 0;
  // The same, for devices whose work completes later (WebGPU maps its result
  // buffers asynchronously): starts the run and returns; `done` is called
  // exactly once, with the outputs written, on whichever thread completes the
  // work (for WebGPU, the owning thread's event loop). Until then the caller
  // must keep `tensors` alive and not touch them. Synchronous backends keep
  // this default: Run, then `done` before returning.
  virtual void RunAsync(const HostTensors& tensors, RunCompletion done) { done(Run(tensors)); }
  // Benchmarks only: launches the segment's device kernels `replays` times on
  // the data already on the device (no host copies) and returns the mean
  // milliseconds per launch. Unsupported for backends without a device (CPU).
  virtual Result<double> TimeKernelReplays(int replays) {
    (void)replays;
    return UnsupportedError("failed to time kernel replays: the segment has no device kernels");
  }
  // Where this segment's runs (Run and RunSampled) spent their time so far, summed
  // (SegmentRunTimes); all 0 for segments without a device.
  virtual SegmentRunTimes run_times() const { return {}; }
  // Host memory where the segment itself leaves output `tensor` at the end of
  // each run (a device segment's pinned staging area), with
  // kHostBufferSlackFloats readable floats after it; nullptr when it has none
  // (the default). Owned by the segment, valid for its lifetime, rewritten by
  // each of its runs. A caller may use it as the tensor's host buffer: a run
  // given that pointer in HostTensors copies nothing for it.
  virtual float* OutputHostBuffer(int tensor) const {
    (void)tensor;
    return nullptr;
  }
  // Pre-processing on the device (image_sampling.h): whether RunSampled can
  // produce segment input `tensor` from 8-bit images instead of reading it
  // from HostTensors. Only float32 RGB inputs of shape [N, H, W, 3].
  virtual bool CanSampleInput(int tensor) const {
    (void)tensor;
    return false;
  }
  // Run, with input `tensor` sampled on the device: frames[i] fills index i of
  // its first dimension (one entry per index). The other inputs come from
  // `tensors` as in Run. Same threading as Run.
  virtual Status RunSampled(const HostTensors& tensors, int tensor, std::span<const ImageSampling> frames) {
    (void)tensors;
    (void)tensor;
    (void)frames;
    return UnsupportedError("failed to run segment: it cannot sample images on a device");
  }
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;

  // OK when the backend can be used on this machine; otherwise Unavailable
  // with the reason (e.g. "no CUDA device").
  virtual Status Availability() const = 0;

  // OK when this backend can run the node as given (dtype, shapes,
  // attributes); otherwise Unsupported with a reason naming what is missing.
  virtual Status Supports(const model::Graph& graph, int node_index) const = 0;

  // Whether Compile honours BackendOptions::precision (else it runs float32).
  virtual bool HonoursPrecision(Precision precision) const { return precision == Precision::kFp32; }
  // What Precision::kAuto means for a plan led by this backend.
  virtual Precision PreferredPrecision() const { return Precision::kFp32; }

  virtual MemorySpace memory_space() const { return MemorySpace::kHost; }

  // Device backends whose segments, run from several threads at once, overlap
  // on the device (cuda's streams). False where a run must finish before the
  // thread does anything else (webgpu: one thread, waiting on its event loop).
  virtual bool OverlapsRuns() const { return false; }

  // Device backends: the device (GPU index, ModelOptions::device) that
  // Availability, Compile and CreateImageUploader use; called at most once,
  // right after creation, before any other call (default 0). Host backends
  // ignore it.
  virtual void SelectDevice(int device) { (void)device; }

  // Device backends: every device of the machine, usable or not (ListGpus),
  // or none with `why_none` set. `probe`: also free memory and whether this
  // build's kernels run there, which may create a context on each device.
  // Host backends: none, `why_none` untouched.
  virtual std::vector<GpuInfo> ListDevices(bool probe, std::string* why_none) const {
    (void)probe;
    (void)why_none;
    return {};
  }

  // The BackendOptions::settings keys this backend reads, e.g. "cuda.fusion".
  virtual std::vector<std::string> SettingKeys() const { return {}; }

  // An uploader of host images to the device whose segments sample them
  // (CanSampleInput), or nullptr when the backend has no such device.
  virtual Result<std::unique_ptr<ImageUploader>> CreateImageUploader() {
    return std::unique_ptr<ImageUploader>();
  }

  // Prepares a segment of supported nodes. The graph outlives the segment.
  virtual Result<std::unique_ptr<CompiledSegment>> Compile(const model::Graph& graph, const SegmentSpec& spec,
                                                           const BackendOptions& options) = 0;
};

}  // namespace handtrack::backend
