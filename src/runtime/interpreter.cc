#include "runtime/interpreter.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "runtime/backend_registry.h"

namespace handtrack::runtime {
namespace {

std::string FormatBytes(int64_t bytes) {
  if (bytes >= 10 * 1024 * 1024) return std::to_string(bytes / (1024 * 1024)) + " MB";
  if (bytes >= 10 * 1024) return std::to_string(bytes / 1024) + " KB";
  return std::to_string(bytes) + " B";
}

// The float data of `tensors`, in bytes: what a device segment copies for them.
int64_t TensorBytes(const model::Graph& graph, const std::vector<int>& tensors) {
  int64_t bytes = 0;
  for (int t : tensors) bytes += graph.tensors[t].num_elements() * static_cast<int64_t>(sizeof(float));
  return bytes;
}

}  // namespace

Interpreter::Interpreter(std::shared_ptr<const model::Graph> graph, const InterpreterOptions& options)
    : graph_(std::move(graph)), options_(options) {}

Result<std::unique_ptr<Interpreter>> Interpreter::Create(std::shared_ptr<const model::Graph> graph,
                                                         const InterpreterOptions& options) {
  if (graph == nullptr) return InvalidArgumentError("failed to create interpreter: no graph");
  if (options.num_threads < 1 || options.num_threads > 256) {
    return InvalidArgumentError("failed to create interpreter: num_threads " +
                                std::to_string(options.num_threads) + " is not in [1, 256]");
  }
  if (options.min_device_run < 1) {
    return InvalidArgumentError("failed to create interpreter: min_device_run " +
                                std::to_string(options.min_device_run) + " is below 1");
  }
  // The reader guarantees these; graphs built by hand (tests, tools) are checked here too.
  const model::Graph& g = *graph;
  if (g.nodes.empty() || g.outputs.empty()) {
    return InvalidModelError("failed to plan model " + g.name + ": it has no " +
                             (g.nodes.empty() ? "operators" : "outputs"));
  }
  std::unique_ptr<Interpreter> interpreter(new Interpreter(std::move(graph), options));
  HT_RETURN_IF_ERROR(interpreter->ChooseCandidates());
  HT_RETURN_IF_ERROR(interpreter->CheckSettings());
  // Candidates come highest priority first: the first takes every node it supports.
  if (interpreter->options_.precision == Precision::kAuto)
    interpreter->options_.precision = interpreter->candidates_.front().backend->PreferredPrecision();
  interpreter->host_storage_.resize(g.tensors.size());
  interpreter->host_.data.assign(g.tensors.size(), nullptr);
  for (int t : g.inputs) interpreter->HostBuffer(t);
  for (int t : g.outputs) interpreter->HostBuffer(t);
  HT_RETURN_IF_ERROR(interpreter->PlanAndCompile());
  return interpreter;
}

Status Interpreter::ChooseCandidates() {
  const std::string& wanted = options_.delegate;
  const bool automatic = wanted == "auto";
  auto fail = [&](const std::string& reason) {
    return UnavailableError("failed to use delegate " + wanted + ": " + reason);
  };
  // (backend, whether it is the named delegate)
  std::vector<std::pair<std::shared_ptr<backend::Backend>, bool>> chosen;
  if (!options_.backends.empty()) {
    bool found = automatic;
    for (size_t i = 0; i < options_.backends.size(); ++i) {
      const auto& backend = options_.backends[i];
      if (backend == nullptr)
        return InvalidArgumentError("failed to create interpreter: backend #" + std::to_string(i) +
                                    " is null");
      const bool named = backend->name() == wanted;
      found |= named;
      if (automatic || named || i + 1 == options_.backends.size()) chosen.emplace_back(backend, named);
    }
    if (!found) return fail("it is not one of the backends given");
  } else {
    const BackendRegistry& registry = BackendRegistry::Global();
    if (!automatic) {
      const std::optional<BackendEntry> entry = registry.Find(wanted);
      if (!entry.has_value()) return fail("no such backend (known: " + registry.NameList() + ")");
      if (!entry->compiled_in())
        return fail("this build of handtrack does not include it (" + entry->not_built_reason + ")");
    }
    for (const BackendEntry& entry : registry.Entries()) {
      if (!entry.compiled_in()) continue;
      const bool named = entry.name == wanted;
      if (!automatic && !named && !entry.fallback) continue;
      if (automatic && !entry.in_auto && !entry.fallback) continue;
      std::shared_ptr<backend::Backend> backend = entry.create();
      if (backend == nullptr || backend->name() != entry.name) {
        return InternalError(
            "failed to create backend " + entry.name + ": its factory made " +
            (backend == nullptr ? std::string("nothing") : "backend " + std::string(backend->name())));
      }
      backend->SelectDevice(options_.device);
      chosen.emplace_back(std::move(backend), named);
    }
  }
  for (auto& [backend, named] : chosen) {
    const std::string name = backend->name();
    if (FindCandidate(name) != nullptr) continue;  // listed twice (e.g. the fallback named)
    const Status available = options_.faults.Has(name, "availability")
                                 ? backend::FaultInjection::Error(name, "start")
                                 : backend->Availability();
    if (!available.ok()) {
      if (named) return fail(available.message());
      notes_.push_back(name + " skipped: " + available.message());
      continue;
    }
    candidates_.push_back({std::move(backend), name});
  }
  if (candidates_.empty())
    return UnavailableError("failed to use delegate " + wanted + ": no backend is available");
  return Status::Ok();
}

Status Interpreter::CheckSettings() const {
  std::set<std::string> known;
  for (const Candidate& candidate : candidates_) {
    for (const std::string& key : candidate.backend->SettingKeys()) known.insert(key);
  }
  for (const auto& [key, value] : options_.settings) {
    // A setting of a backend that is registered but not a candidate here is
    // harmless (a CPU-only machine told to turn cuda fusion off).
    const std::string owner = key.substr(0, key.find('.'));
    const bool owner_is_candidate = FindCandidate(owner) != nullptr;
    if (known.count(key) == 0 && (owner_is_candidate || !BackendRegistry::Global().Find(owner).has_value())) {
      std::string names;
      for (const std::string& k : known) names += (names.empty() ? "" : ", ") + k;
      return InvalidArgumentError("failed to apply backend setting '" + key +
                                  "': no backend reads it (known: " + (names.empty() ? "none" : names) + ")");
    }
  }
  return Status::Ok();
}

backend::Backend* Interpreter::FindCandidate(const std::string& name) const {
  for (const Candidate& candidate : candidates_) {
    if (candidate.name == name) return candidate.backend.get();
  }
  return nullptr;
}

bool Interpreter::CopiesToDevice(const PlanSegment& segment) const {
  const backend::Backend* backend = FindCandidate(segment.backend);
  return backend != nullptr && backend->memory_space() == backend::MemorySpace::kDevice;
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
  const int num_nodes = static_cast<int>(g.nodes.size());
  ++plan_generation_;
  plan_.clear();
  compiled_.clear();
  // The segments that lent their output buffers are gone: those tensors get host memory again.
  for (size_t t = 0; t < host_.data.size(); ++t) {
    if (host_.data[t] != nullptr && host_storage_[t].empty()) {
      host_.data[t] = nullptr;
      HostBuffer(static_cast<int>(t));
    }
  }
  node_fallback_reasons_.assign(g.nodes.size(), "");
  std::vector<int> owner(g.nodes.size(), -1);
  auto note_declined = [&](int n, const std::string& reason) {
    node_fallback_reasons_[n] += (node_fallback_reasons_[n].empty() ? "" : "; ") + reason;
  };
  for (int n = 0; n < num_nodes; ++n) {
    for (int b = 0; b < static_cast<int>(candidates_.size()); ++b) {
      const Status supported = candidates_[b].backend->Supports(g, n);
      if (supported.ok()) {
        owner[n] = b;
        break;
      }
      note_declined(n, candidates_[b].name + ": " + supported.message());
    }
    if (owner[n] < 0) {
      return UnsupportedError("failed to plan " + model::NodeLabel(g, n) + " of model " + g.name +
                              ": no backend supports it (" + node_fallback_reasons_[n] + ")");
    }
  }
  // Short device runs between host work: the copies in and out cost more than
  // the device saves, so the best host backend that runs them all takes them.
  auto on_device = [&](int b) {
    return candidates_[b].backend->memory_space() == backend::MemorySpace::kDevice;
  };
  for (int start = 0; start < num_nodes;) {
    int end = start;
    while (end < num_nodes && owner[end] == owner[start]) ++end;
    const int length = end - start;
    if (on_device(owner[start]) && length < options_.min_device_run && length < num_nodes) {
      for (int b = 0; b < static_cast<int>(candidates_.size()); ++b) {
        if (on_device(b)) continue;
        bool runs_all = true;
        for (int n = start; n < end && runs_all; ++n) runs_all = candidates_[b].backend->Supports(g, n).ok();
        if (!runs_all) continue;
        for (int n = start; n < end; ++n) {
          note_declined(n, candidates_[owner[n]].name + ": a run of " + std::to_string(length) +
                               " node(s) is not worth the copies to and from the device");
          owner[n] = b;
        }
        break;
      }
    }
    start = end;
  }
  // Consecutive nodes of one backend form a segment.
  std::vector<int> segment_of_node(g.nodes.size());
  for (int n = 0; n < num_nodes; ++n) {
    if (plan_.empty() || plan_.back().backend != candidates_[owner[n]].name) {
      plan_.push_back({candidates_[owner[n]].name, {}});
    }
    plan_.back().spec.nodes.push_back(n);
    segment_of_node[n] = static_cast<int>(plan_.size()) - 1;
  }
  // Boundary tensors: produced in one segment and read in another, or graph inputs/outputs.
  std::vector<int> producer_segment(g.tensors.size(), -1);
  for (int n = 0; n < num_nodes; ++n) {
    for (int t : g.nodes[n].outputs) producer_segment[t] = segment_of_node[n];
  }
  auto add_unique = [](std::vector<int>& list, int t) {
    if (std::find(list.begin(), list.end(), t) == list.end()) list.push_back(t);
  };
  for (int n = 0; n < num_nodes; ++n) {
    const int s = segment_of_node[n];
    for (int t : g.nodes[n].inputs) {
      if (t < 0 || g.tensors[t].is_constant || producer_segment[t] == s) continue;
      add_unique(plan_[s].spec.inputs, t);
      if (producer_segment[t] >= 0) add_unique(plan_[producer_segment[t]].spec.outputs, t);
      HostBuffer(t);
    }
  }
  for (int t : g.outputs) {
    if (producer_segment[t] < 0) {
      return InvalidModelError("failed to plan model " + g.name + ": output tensor '" + g.tensors[t].name +
                               "' is produced by no node");
    }
    add_unique(plan_[producer_segment[t]].spec.outputs, t);
  }
  return Status::Ok();
}

Status Interpreter::CompilePlan() {
  backend::BackendOptions options;
  options.num_threads = options_.num_threads;
  options.priority = options_.priority;
  options.precision = options_.precision;
  options.faults = options_.faults;
  options.settings = options_.settings;
  for (const PlanSegment& segment : plan_) {
    backend::Backend* backend = FindCandidate(segment.backend);
    Result<std::unique_ptr<backend::CompiledSegment>> compiled =
        options_.faults.Has(segment.backend, "compile")
            ? Result<std::unique_ptr<backend::CompiledSegment>>(
                  backend::FaultInjection::Error(segment.backend, "compile"))
            : backend->Compile(*graph_, segment.spec, options);
    if (!compiled.ok()) return FallBack(segment.backend, compiled.status());
    compiled_.push_back(std::move(compiled).value());
    if (!backend->HonoursPrecision(options_.precision)) {
      const std::string note =
          segment.backend + " runs fp32: it does not honour precision " + PrecisionName(options_.precision);
      if (std::find(notes_.begin(), notes_.end(), note) == notes_.end()) notes_.push_back(note);
    }
  }
  // Outputs a segment leaves in host memory of its own (a device's pinned staging) are read
  // there: no copy into a buffer of ours after each run. Ours is freed until a re-plan.
  for (size_t s = 0; s < compiled_.size(); ++s) {
    for (int t : plan_[s].spec.outputs) {
      float* lent = compiled_[s]->OutputHostBuffer(t);
      if (lent == nullptr) continue;
      host_.data[t] = lent;
      std::vector<float>().swap(host_storage_[t]);
    }
  }
  return Status::Ok();
}

Status Interpreter::PlanAndCompile() {
  while (true) {
    HT_RETURN_IF_ERROR(Plan());
    const Status compiled = CompilePlan();
    if (compiled.ok() || !std::exchange(dropped_backend_, false)) return compiled;
  }
}

Status Interpreter::FallBack(const std::string& backend_name, const Status& failure) {
  const bool last = candidates_.size() <= 1 || candidates_.back().name == backend_name;
  if (options_.delegate != "auto" || last) {
    return failure.WithPrefix("failed to run model " + graph_->name + " on " + backend_name);
  }
  notes_.push_back(backend_name + " dropped, fell back: " + failure.message());
  std::erase_if(candidates_, [&](const Candidate& c) { return c.name == backend_name; });
  compiled_.clear();
  dropped_backend_ = true;  // PlanAndCompile and the run loops plan again
  return failure;
}

Status Interpreter::Run() {
  while (true) {
    Status status = Status::Ok();
    for (size_t s = 0; s < compiled_.size() && status.ok(); ++s) {
      const std::string& name = plan_[s].backend;
      status = options_.faults.Has(name, "run") ? backend::FaultInjection::Error(name, "run")
                                                : compiled_[s]->Run(host_);
      if (!status.ok()) status = FallBack(name, status);
    }
    if (status.ok() || !std::exchange(dropped_backend_, false)) return status;
    // A backend failed and was dropped: plan again without it and repeat the run.
    HT_RETURN_IF_ERROR(PlanAndCompile());
  }
}

int Interpreter::SamplingSegment(int index) const {
  if (index < 0 || index >= num_inputs()) return -1;
  const int tensor = graph_->inputs[index];
  int reader = -1;
  for (size_t s = 0; s < plan_.size(); ++s) {
    const std::vector<int>& inputs = plan_[s].spec.inputs;
    if (std::find(inputs.begin(), inputs.end(), tensor) == inputs.end()) continue;
    if (reader >= 0) return -1;  // read by two segments: the host copy is needed anyway
    reader = static_cast<int>(s);
  }
  if (reader < 0 || static_cast<size_t>(reader) >= compiled_.size()) return -1;
  return compiled_[reader]->CanSampleInput(tensor) ? reader : -1;
}

bool Interpreter::CanSampleInput(int index) const { return SamplingSegment(index) >= 0; }

std::shared_ptr<backend::Backend> Interpreter::SamplingBackend(int index) const {
  const int segment = SamplingSegment(index);
  if (segment < 0) return nullptr;
  for (const Candidate& candidate : candidates_) {
    if (candidate.name == plan_[segment].backend) return candidate.backend;
  }
  return nullptr;
}

Status Interpreter::RunSampled(int index, std::span<const backend::ImageSampling> frames,
                               const backend::HostInputFill& fill_host) {
  if (index < 0 || index >= num_inputs()) {
    return InvalidArgumentError("failed to run model " + graph_->name + ": no input " +
                                std::to_string(index));
  }
  const int tensor = graph_->inputs[index];
  const int batch = graph_->tensors[tensor].shape.empty() ? 1 : graph_->tensors[tensor].shape[0];
  if (static_cast<int>(frames.size()) != batch) {
    return InvalidArgumentError("failed to run model " + graph_->name + ": " + std::to_string(frames.size()) +
                                " sampled frame(s) for an input of batch " + std::to_string(batch));
  }
  while (true) {
    const int sampler = SamplingSegment(index);
    if (sampler < 0) {
      // The host path: the floats the device would have made, then an ordinary run.
      const size_t frame_size = graph_->tensors[tensor].num_elements() / std::max(batch, 1);
      float* host = HostBuffer(tensor);
      for (int f = 0; f < batch; ++f) fill_host(f, host + f * frame_size);
      return Run();
    }
    Status status = Status::Ok();
    for (size_t s = 0; s < compiled_.size() && status.ok(); ++s) {
      const std::string& name = plan_[s].backend;
      if (options_.faults.Has(name, "run")) {
        status = backend::FaultInjection::Error(name, "run");
      } else if (static_cast<int>(s) == sampler) {
        status = compiled_[s]->RunSampled(host_, tensor, frames);
      } else {
        status = compiled_[s]->Run(host_);
      }
      if (!status.ok()) status = FallBack(name, status);
    }
    if (status.ok() || !std::exchange(dropped_backend_, false)) return status;
    // Re-planned without the failed backend; the loop then samples again or fills the host input.
    HT_RETURN_IF_ERROR(PlanAndCompile());
  }
}

void Interpreter::RunAsync(backend::RunCompletion done) {
  RunFrom(0, std::make_shared<backend::RunCompletion>(std::move(done)));
}

void Interpreter::RunFrom(size_t first, std::shared_ptr<backend::RunCompletion> done) {
  if (first >= compiled_.size()) {
    (*done)(Status::Ok());
    return;
  }
  auto after_segment = [this, first, done](Status status) {
    if (status.ok()) {
      RunFrom(first + 1, done);
      return;
    }
    status = FallBack(plan_[first].backend, status);
    if (std::exchange(dropped_backend_, false)) status = PlanAndCompile();
    if (!status.ok()) {
      (*done)(status);
      return;
    }
    RunFrom(0, done);  // re-planned without the failed backend: the whole run again
  };
  const std::string& name = plan_[first].backend;
  if (options_.faults.Has(name, "run")) {
    after_segment(backend::FaultInjection::Error(name, "run"));
    return;
  }
  compiled_[first]->RunAsync(host_, std::move(after_segment));
}

backend::SegmentRunTimes Interpreter::run_times() const {
  backend::SegmentRunTimes total;
  for (const auto& segment : compiled_) total += segment->run_times();
  return total;
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
  std::vector<std::string> names;
  for (const PlanSegment& segment : plan_) {
    if (std::find(names.begin(), names.end(), segment.backend) == names.end())
      names.push_back(segment.backend);
  }
  std::string summary;
  for (const std::string& name : names) summary += (summary.empty() ? "" : "+") + name;
  return summary;
}

Interpreter::Copies Interpreter::CopiesPerRun() const {
  Copies copies;
  for (const PlanSegment& segment : plan_) {
    if (!CopiesToDevice(segment)) continue;
    copies.tensors += static_cast<int>(segment.spec.inputs.size() + segment.spec.outputs.size());
    copies.bytes += TensorBytes(*graph_, segment.spec.inputs) + TensorBytes(*graph_, segment.spec.outputs);
  }
  return copies;
}

std::string Interpreter::DescribePlan() const {
  const model::Graph& g = *graph_;
  std::string out = g.name + ": " + std::to_string(g.nodes.size()) + " nodes in " +
                    std::to_string(plan_.size()) + " segment(s), " + std::to_string(options_.num_threads) +
                    " thread(s), " + PrecisionName(options_.precision) + "\n";
  for (const PlanSegment& segment : plan_) {
    const auto& nodes = segment.spec.nodes;
    out += "  " + segment.backend + ": " + std::to_string(nodes.size()) + " node(s), " +
           model::NodeLabel(g, nodes.front()) +
           (nodes.size() > 1 ? " .. " + model::NodeLabel(g, nodes.back()) : "");
    if (CopiesToDevice(segment)) {
      out += ", copies in " + std::to_string(segment.spec.inputs.size()) + " tensor(s) (" +
             FormatBytes(TensorBytes(g, segment.spec.inputs)) + "), out " +
             std::to_string(segment.spec.outputs.size()) + " (" +
             FormatBytes(TensorBytes(g, segment.spec.outputs)) + ")";
    }
    out += "\n";
    std::map<std::string, std::vector<std::string>> by_reason;
    for (int n : nodes) {
      if (!node_fallback_reasons_[n].empty())
        by_reason[node_fallback_reasons_[n]].push_back(model::NodeLabel(g, n));
    }
    for (const auto& [reason, labels] : by_reason) {
      std::string names;
      for (const auto& label : labels) names += (names.empty() ? "" : ", ") + label;
      out += "    fallback for " + names + " (" + reason + ")\n";
    }
  }
  const Copies copies = CopiesPerRun();
  if (copies.tensors > 0) {
    out += "  copies between host and device per run: " + std::to_string(copies.tensors) + " tensor(s), " +
           FormatBytes(copies.bytes) + "\n";
  }
  for (const std::string& note : notes_) out += "  note: " + note + "\n";
  return out;
}

}  // namespace handtrack::runtime
