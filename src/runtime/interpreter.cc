#include "runtime/interpreter.h"

#include <algorithm>
#include <cstdlib>
#include <map>

namespace handtrack::runtime {
namespace {

// Test hook: HANDTRACK_INJECT_FAULT="BACKEND:STAGE[,BACKEND:STAGE...]" with
// STAGE one of availability, compile, run makes that step of that backend
// fail, so fallback paths can be exercised on any machine.
bool FaultInjected(const std::string& backend, const char* stage) {
  const char* spec = std::getenv("HANDTRACK_INJECT_FAULT");
  if (spec == nullptr) return false;
  const std::string wanted = backend + ":" + stage;
  std::string all = spec;
  size_t start = 0;
  while (start <= all.size()) {
    size_t end = all.find(',', start);
    if (end == std::string::npos) end = all.size();
    if (all.compare(start, end - start, wanted) == 0) return true;
    start = end + 1;
  }
  return false;
}

Status InjectedFault(const std::string& backend, const char* stage) {
  return UnavailableError("failed to " + std::string(stage) + " on " + backend +
                          ": fault injected by HANDTRACK_INJECT_FAULT");
}

const char* BackendNameOf(Delegate delegate) { return DelegateName(delegate); }

}  // namespace

Interpreter::Interpreter(std::shared_ptr<const model::Graph> graph, Delegate delegate, int num_threads,
                         Precision precision)
    : graph_(std::move(graph)), delegate_(delegate), num_threads_(num_threads), precision_(precision) {}

Result<std::unique_ptr<Interpreter>> Interpreter::Create(std::shared_ptr<const model::Graph> graph,
                                                         Delegate delegate, int num_threads,
                                                         Precision precision) {
  if (graph == nullptr) return InvalidArgumentError("failed to create interpreter: no graph");
  if (num_threads < 1 || num_threads > 256) {
    return InvalidArgumentError("failed to create interpreter: num_threads " + std::to_string(num_threads) +
                                " is not in [1, 256]");
  }
  std::unique_ptr<Interpreter> interpreter(new Interpreter(std::move(graph), delegate, num_threads, precision));
  const std::string wanted = BackendNameOf(delegate);
  bool found = false;
  for (auto& backend : backend::CreateAllBackends()) {
    const std::string name = backend->name();
    const bool is_reference = name == "reference";
    if (delegate != Delegate::kAuto && name != wanted && !is_reference) continue;
    found |= name == wanted;
    Status available = FaultInjected(name, "availability") ? InjectedFault(name, "start") : backend->Availability();
    if (!available.ok()) {
      if (delegate != Delegate::kAuto) {
        return UnavailableError("failed to use delegate " + wanted + ": " + available.message());
      }
      interpreter->notes_.push_back(name + " skipped: " + available.message());
      continue;
    }
    interpreter->candidates_.push_back(std::move(backend));
  }
  if (delegate != Delegate::kAuto && !found) {
    return UnavailableError("failed to use delegate " + wanted + ": this build of handtrack does not include it");
  }
  const model::Graph& g = *interpreter->graph_;
  interpreter->host_storage_.resize(g.tensors.size());
  interpreter->host_.data.assign(g.tensors.size(), nullptr);
  for (int t : g.inputs) interpreter->HostBuffer(t);
  for (int t : g.outputs) interpreter->HostBuffer(t);
  while (true) {
    HT_RETURN_IF_ERROR(interpreter->Plan());
    Status compiled = interpreter->CompilePlan();
    if (compiled.ok()) break;
    // CompilePlan names the failing backend in notes via FallBack; retry without it.
    if (compiled.code() != StatusCode::kUnavailable || interpreter->delegate_ != Delegate::kAuto) return compiled;
  }
  return interpreter;
}

float* Interpreter::HostBuffer(int tensor) {
  if (host_storage_[tensor].empty()) {
    // Slack after the data: XNNPACK kernels may read (never write) up to 16 bytes past an input.
    host_storage_[tensor].resize(graph_->tensors[tensor].num_elements() + backend::kHostBufferSlackFloats);
    host_.data[tensor] = host_storage_[tensor].data();
  }
  return host_.data[tensor];
}

std::span<float> Interpreter::input(int index) {
  const int t = graph_->inputs.at(index);
  return {host_.data[t], static_cast<size_t>(graph_->tensors[t].num_elements())};
}

std::span<const float> Interpreter::output(int index) const {
  const int t = graph_->outputs.at(index);
  return {host_.data[t], static_cast<size_t>(graph_->tensors[t].num_elements())};
}

Status Interpreter::Plan() {
  const model::Graph& g = *graph_;
  ++plan_generation_;
  plan_.clear();
  compiled_.clear();
  node_fallback_reasons_.assign(g.nodes.size(), "");
  std::vector<int> owner(g.nodes.size(), -1);
  for (int n = 0; n < static_cast<int>(g.nodes.size()); ++n) {
    for (int b = 0; b < static_cast<int>(candidates_.size()); ++b) {
      Status supported = candidates_[b]->Supports(g, n);
      if (supported.ok()) {
        owner[n] = b;
        break;
      }
      node_fallback_reasons_[n] += std::string(node_fallback_reasons_[n].empty() ? "" : "; ") +
                                   candidates_[b]->name() + ": " + supported.message();
    }
    if (owner[n] < 0) {
      return UnsupportedError("failed to plan " + model::NodeLabel(g, n) + " of model " + g.name +
                              ": no backend supports it (" + node_fallback_reasons_[n] + ")");
    }
  }
  // Consecutive nodes of one backend form a segment.
  std::vector<int> segment_of_node(g.nodes.size());
  for (int n = 0; n < static_cast<int>(g.nodes.size()); ++n) {
    if (plan_.empty() || plan_.back().backend != candidates_[owner[n]]->name()) {
      plan_.push_back({candidates_[owner[n]]->name(), {}});
    }
    plan_.back().spec.nodes.push_back(n);
    segment_of_node[n] = static_cast<int>(plan_.size()) - 1;
  }
  // Boundary tensors: produced in one segment and read in another, or graph inputs/outputs.
  std::vector<int> producer_segment(g.tensors.size(), -1);
  for (int n = 0; n < static_cast<int>(g.nodes.size()); ++n) {
    for (int t : g.nodes[n].outputs) producer_segment[t] = segment_of_node[n];
  }
  auto add_unique = [](std::vector<int>& list, int t) {
    if (std::find(list.begin(), list.end(), t) == list.end()) list.push_back(t);
  };
  for (int n = 0; n < static_cast<int>(g.nodes.size()); ++n) {
    const int s = segment_of_node[n];
    for (int t : g.nodes[n].inputs) {
      if (t < 0 || g.tensors[t].is_constant || producer_segment[t] == s) continue;
      add_unique(plan_[s].spec.inputs, t);
      if (producer_segment[t] >= 0) add_unique(plan_[producer_segment[t]].spec.outputs, t);
      HostBuffer(t);
    }
  }
  for (int t : g.outputs) add_unique(plan_[producer_segment[t]].spec.outputs, t);
  return Status::Ok();
}

Status Interpreter::CompilePlan() {
  backend::BackendOptions options;
  options.num_threads = num_threads_;
  options.precision = precision_;
  for (const PlanSegment& segment : plan_) {
    backend::Backend* backend = nullptr;
    for (auto& candidate : candidates_) {
      if (segment.backend == candidate->name()) backend = candidate.get();
    }
    Result<std::unique_ptr<backend::CompiledSegment>> compiled =
        FaultInjected(segment.backend, "compile")
            ? Result<std::unique_ptr<backend::CompiledSegment>>(InjectedFault(segment.backend, "compile"))
            : backend->Compile(*graph_, segment.spec, options);
    if (!compiled.ok()) return FallBack(segment.backend, compiled.status());
    compiled_.push_back(std::move(compiled).value());
    if (!backend->HonoursPrecision(precision_)) {
      const std::string note = segment.backend + " runs fp32: precision " + PrecisionName(precision_) +
                               " is honoured by the cuda backend only";
      if (std::find(notes_.begin(), notes_.end(), note) == notes_.end()) notes_.push_back(note);
    }
  }
  return Status::Ok();
}

Status Interpreter::FallBack(const std::string& backend_name, const Status& failure) {
  if (delegate_ != Delegate::kAuto || backend_name == "reference") {
    return failure.WithPrefix("failed to run model " + graph_->name + " on " + backend_name);
  }
  notes_.push_back(backend_name + " dropped, fell back: " + failure.message());
  candidates_.erase(std::remove_if(candidates_.begin(), candidates_.end(),
                                   [&](const auto& b) { return backend_name == b->name(); }),
                    candidates_.end());
  return UnavailableError(failure.message());  // the caller re-plans
}

Status Interpreter::RunPlan() {
  for (size_t s = 0; s < compiled_.size(); ++s) {
    Status status = FaultInjected(plan_[s].backend, "run") ? InjectedFault(plan_[s].backend, "run")
                                                           : compiled_[s]->Run(host_);
    if (!status.ok()) return FallBack(plan_[s].backend, status);
  }
  return Status::Ok();
}

Status Interpreter::Run() {
  while (true) {
    Status status = RunPlan();
    if (status.ok() || status.code() != StatusCode::kUnavailable || delegate_ != Delegate::kAuto) return status;
    // A backend failed and was dropped: plan again without it and repeat the run.
    while (true) {
      HT_RETURN_IF_ERROR(Plan());
      Status compiled = CompilePlan();
      if (compiled.ok()) break;
      if (compiled.code() != StatusCode::kUnavailable) return compiled;
    }
  }
}

Result<std::optional<double>> Interpreter::TimeKernelReplays(int replays) {
  std::optional<double> total;
  for (const auto& segment : compiled_) {
    Result<double> ms = segment->TimeKernelReplays(replays);
    if (!ms.ok() && ms.status().code() == StatusCode::kUnsupported) continue;  // a CPU segment
    HT_RETURN_IF_ERROR(ms.status());
    total = total.value_or(0.0) + *ms;
  }
  return total;
}

std::string Interpreter::BackendSummary() const {
  std::string summary;
  for (const PlanSegment& segment : plan_) {
    if (summary.find(segment.backend) == std::string::npos) summary += (summary.empty() ? "" : "+") + segment.backend;
  }
  return summary;
}

std::string Interpreter::DescribePlan() const {
  const model::Graph& g = *graph_;
  std::string out = g.name + ": " + std::to_string(g.nodes.size()) + " nodes in " + std::to_string(plan_.size()) +
                    " segment(s), " + std::to_string(num_threads_) + " thread(s), " + PrecisionName(precision_) + "\n";
  for (const PlanSegment& segment : plan_) {
    const auto& nodes = segment.spec.nodes;
    out += "  " + segment.backend + ": " + std::to_string(nodes.size()) + " node(s), " +
           model::NodeLabel(g, nodes.front()) + (nodes.size() > 1 ? " .. " + model::NodeLabel(g, nodes.back()) : "") +
           "\n";
    std::map<std::string, std::vector<std::string>> by_reason;
    for (int n : nodes) {
      if (!node_fallback_reasons_[n].empty()) by_reason[node_fallback_reasons_[n]].push_back(model::NodeLabel(g, n));
    }
    for (const auto& [reason, labels] : by_reason) {
      std::string names;
      for (const auto& label : labels) names += (names.empty() ? "" : ", ") + label;
      out += "    fallback for " + names + " (" + reason + ")\n";
    }
  }
  for (const std::string& note : notes_) out += "  note: " + note + "\n";
  return out;
}

}  // namespace handtrack::runtime
