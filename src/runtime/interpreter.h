// Runs one model graph on a plan of backends, with visible fallback.
//
// Planning: each node goes to the first candidate backend that supports it
// (reference last, which supports everything); consecutive nodes on one
// backend form a segment compiled once. With Delegate::kAuto every available
// backend is a candidate; with a named delegate only that one (it must be
// available) plus the reference backend for the nodes it cannot run.
//
// Fallback: in kAuto mode, a backend whose compile or run fails is dropped
// for this interpreter, the graph is re-planned without it and the run is
// repeated, so callers still get correct results; the reason is recorded
// once and shown by DescribePlan(). With a named delegate the failure is
// returned as an error instead.
//
// Threading: one Run at a time per Interpreter.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "handtrack/models.h"
#include "model/graph.h"

namespace handtrack::runtime {

struct PlanSegment {
  std::string backend;
  backend::SegmentSpec spec;
};

class Interpreter {
 public:
  // `graph` is shared so that several interpreters (e.g. one per thread) can
  // run one loaded model.
  // `precision` goes to the backends (BackendOptions); those that run float32
  // instead are named in the plan's notes.
  static Result<std::unique_ptr<Interpreter>> Create(std::shared_ptr<const model::Graph> graph, Delegate delegate,
                                                     int num_threads, Precision precision = Precision::kFp32);

  const model::Graph& graph() const { return *graph_; }
  int num_inputs() const { return static_cast<int>(graph_->inputs.size()); }
  int num_outputs() const { return static_cast<int>(graph_->outputs.size()); }
  std::span<float> input(int index);
  std::span<const float> output(int index) const;

  Status Run();
  // Benchmarks: mean device milliseconds per replay of the GPU segments'
  // kernels (CompiledSegment::TimeKernelReplays), summed over them; nullopt
  // when no segment runs on a device. Call after a Run (the inputs it left).
  Result<std::optional<double>> TimeKernelReplays(int replays);

  const std::vector<PlanSegment>& plan() const { return plan_; }
  // Counts the plans made so far: it changes when a run re-planned (kAuto
  // fallback), so holders of a cached DescribePlan() know to redo it.
  int plan_generation() const { return plan_generation_; }
  // Names of the backends the plan uses, e.g. "xnnpack+reference".
  std::string BackendSummary() const;
  std::string DescribePlan() const;

 private:
  Interpreter(std::shared_ptr<const model::Graph> graph, Delegate delegate, int num_threads, Precision precision);
  Status Plan();
  Status CompilePlan();
  Status RunPlan();
  // Drops a failed backend (kAuto only) and re-plans; returns the original error otherwise.
  Status FallBack(const std::string& backend_name, const Status& failure);
  float* HostBuffer(int tensor);

  std::shared_ptr<const model::Graph> graph_;
  Delegate delegate_;
  int num_threads_;
  Precision precision_;
  std::vector<std::unique_ptr<backend::Backend>> candidates_;
  std::vector<std::string> notes_;  // why backends were skipped or dropped
  std::vector<std::string> node_fallback_reasons_;  // per node: why earlier candidates declined it
  std::vector<PlanSegment> plan_;
  int plan_generation_ = 0;
  std::vector<std::unique_ptr<backend::CompiledSegment>> compiled_;
  std::vector<std::vector<float>> host_storage_;  // per tensor; empty when not host-visible
  backend::HostTensors host_;
};

}  // namespace handtrack::runtime
