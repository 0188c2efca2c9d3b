// Runs one model graph on a plan of backends, with visible fallback.
//
// Backends: the interpreter plans on the backends it is given
// (InterpreterOptions::backends), or, when given none, on the ones the
// BackendRegistry creates for the delegate: every available one under
// "auto", the named one plus the registry's fallback backend otherwise.
//
// Planning: each node goes to the first candidate backend that supports it;
// consecutive nodes on one backend form a segment compiled once. Crossing
// between a device backend (MemorySpace::kDevice) and the host costs copies,
// so a short run of device nodes between host segments (fewer than
// min_device_run nodes) is given to the best host backend that supports all
// of them instead of bouncing there and back. DescribePlan() lists the
// copies a run makes between segments.
//
// Fallback: under "auto", a backend whose compile or run fails is dropped
// for this interpreter, the graph is re-planned without it and the run is
// repeated, so callers still get correct results; the reason is recorded
// once and shown by DescribePlan(). With a named delegate the failure is
// returned as an error instead. The last candidate (the fallback backend) is
// never dropped: its failure is the interpreter's.
//
// Threading: one Run or RunAsync at a time per Interpreter.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/fault_injection.h"
#include "handtrack/models.h"
#include "model/graph.h"

namespace handtrack::runtime {

struct PlanSegment {
  std::string backend;
  backend::SegmentSpec spec;
};

struct InterpreterOptions {
  // "auto" or a backend name (the registry's, or one of `backends`).
  std::string delegate = "auto";
  int num_threads = 1;  // CPU threads of a run, [1, 256]
  // BackendOptions::priority: kHigh for a model whose runs callers wait on in turn.
  backend::RunPriority priority = backend::RunPriority::kNormal;
  // kAuto: the first candidate's Backend::PreferredPrecision, chosen at Create.
  Precision precision = Precision::kAuto;
  // The GPU of device backends (Backend::SelectDevice) created from the
  // registry; backends given in `backends` keep theirs.
  int device = 0;
  // The candidates, highest priority first; the last one is the fallback for
  // what the others cannot run. Empty: created from BackendRegistry::Global().
  std::vector<std::shared_ptr<backend::Backend>> backends;
  // Test hook: "BACKEND:availability|compile|run" fail there; backends get
  // the whole set for faults of their own (cuda:oom).
  backend::FaultInjection faults;
  // Kernel switches (BackendOptions::settings); keys no candidate reads are an error.
  backend::BackendSettings settings;
  // Device runs shorter than this between host segments go to the host (see above).
  int min_device_run = 4;
};

class Interpreter {
 public:
  // `graph` is shared so that several interpreters (e.g. one per thread) can
  // run one loaded model. `precision` goes to the backends (BackendOptions);
  // those that run float32 instead are named in the plan's notes.
  static Result<std::unique_ptr<Interpreter>> Create(std::shared_ptr<const model::Graph> graph,
                                                     const InterpreterOptions& options);

  const model::Graph& graph() const { return *graph_; }
  int num_inputs() const { return static_cast<int>(graph_->inputs.size()); }
  int num_outputs() const { return static_cast<int>(graph_->outputs.size()); }
  std::span<float> input(int index);
  // Valid until the next Run (or re-plan): a device segment's output may be read from its own
  // pinned staging (CompiledSegment::OutputHostBuffer) rather than from a copy.
  std::span<const float> output(int index) const;

  Status Run();
  // Runs without blocking on asynchronous segments (CompiledSegment::RunAsync):
  // returns at once, and `done` is called exactly once when the outputs are
  // written or the run failed (after any fallback), possibly before RunAsync
  // returns when every segment is synchronous. The inputs must stay untouched
  // until then.
  void RunAsync(backend::RunCompletion done);

  // Pre-processing on the device (backend/image_sampling.h). Whether graph
  // input `index` can be sampled from 8-bit images by the device segment that
  // reads it (the plan as it is now: it changes when auto drops a backend).
  bool CanSampleInput(int index) const;
  // That segment's backend (whose CreateImageUploader serves it), or nullptr
  // when CanSampleInput is false.
  std::shared_ptr<backend::Backend> SamplingBackend(int index) const;
  // Run with graph input `index` sampled on the device: frames[i] fills index i
  // of its first dimension (one entry per index). When the plan cannot sample
  // it, now or after a fallback during this run, fill_host writes each frame's
  // floats into the host input and the run goes on as Run does. The other
  // inputs come from input() as in Run.
  Status RunSampled(int index, std::span<const backend::ImageSampling> frames,
                    const backend::HostInputFill& fill_host);

  // Benchmarks: mean device milliseconds per replay of the GPU segments'
  // kernels (CompiledSegment::TimeKernelReplays), summed over them; nullopt
  // when no segment runs on a device. Call after a Run (the inputs it left).
  Result<std::optional<double>> TimeKernelReplays(int replays);
  // The runs' device and host times so far, summed over the segments
  // (CompiledSegment::run_times); all 0 on the CPU. Starts again after a re-plan.
  backend::SegmentRunTimes run_times() const;

  const std::vector<PlanSegment>& plan() const { return plan_; }
  // Counts the plans made so far: it changes when a run re-planned (auto
  // fallback), so holders of a cached DescribePlan() know to redo it.
  int plan_generation() const { return plan_generation_; }
  // The precision the backends were asked for: the options', or what kAuto chose at Create
  // (kept when a fallback re-plans without that backend).
  Precision precision() const { return options_.precision; }
  // Names of the backends the plan uses, e.g. "xnnpack+reference".
  std::string BackendSummary() const;
  // Segments, fallback reasons per node, copies between segments, notes.
  std::string DescribePlan() const;
  // Host<->device copies one run makes between segments, and their bytes.
  struct Copies {
    int tensors = 0;
    int64_t bytes = 0;
  };
  Copies CopiesPerRun() const;

 private:
  struct Candidate {
    std::shared_ptr<backend::Backend> backend;
    std::string name;
  };
  explicit Interpreter(std::shared_ptr<const model::Graph> graph, const InterpreterOptions& options);
  Status ChooseCandidates();
  Status CheckSettings() const;
  Status Plan();
  Status CompilePlan();
  // Plans and compiles until a plan compiles, dropping failed backends under "auto".
  Status PlanAndCompile();
  // Drops a failed backend (auto, not the last candidate), sets
  // dropped_backend_ so that the caller re-plans, and returns the failure;
  // returns it prefixed with the model and backend otherwise.
  Status FallBack(const std::string& backend_name, const Status& failure);
  // Runs segments from `first` on; on a failure falls back and starts over.
  void RunFrom(size_t first, std::shared_ptr<backend::RunCompletion> done);
  backend::Backend* FindCandidate(const std::string& name) const;
  // Whether the segment runs on a device backend, copying its inputs in and outputs out.
  bool CopiesToDevice(const PlanSegment& segment) const;
  float* HostBuffer(int tensor);
  // The segment that may sample graph input `index` on the device, or -1.
  int SamplingSegment(int index) const;

  std::shared_ptr<const model::Graph> graph_;
  InterpreterOptions options_;
  std::vector<Candidate> candidates_;
  std::vector<std::string> notes_;                  // why backends were skipped or dropped
  std::vector<std::string> node_fallback_reasons_;  // per node: why earlier candidates declined it
  std::vector<PlanSegment> plan_;
  int plan_generation_ = 0;
  bool dropped_backend_ = false;
  std::vector<std::unique_ptr<backend::CompiledSegment>> compiled_;
  // Per tensor; empty when not host-visible, or when its host buffer is lent by the segment that
  // writes it (CompiledSegment::OutputHostBuffer; host_ points there then).
  std::vector<std::vector<float>> host_storage_;
  backend::HostTensors host_;
};

}  // namespace handtrack::runtime
