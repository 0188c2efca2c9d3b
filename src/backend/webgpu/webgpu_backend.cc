#include "backend/webgpu/webgpu_backend.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "backend/arena_plan.h"
#include "backend/segment_check.h"
#include "backend/webgpu/device.h"
#include "backend/webgpu/image_sampling.h"
#include "backend/webgpu/ops.h"
#include "backend/webgpu/program.h"

namespace handtrack::backend {
namespace {

using model::OpType;
using webgpu::FusedTail;
using webgpu::Program;

constexpr char kBackend[] = "webgpu";
constexpr char kAllowFallbackAdapter[] = "webgpu.allow_fallback_adapter";
// "0": one output channel per thread in the convolutions (for comparisons).
constexpr char kConvX4[] = "webgpu.conv_x4";
// Split sums (split_k.cc) where the sums are long and the outputs few: on by default but on a
// software adapter; "0": off; "force": everywhere.
constexpr char kSplitK[] = "webgpu.split_k";
// Convolutions as tiled matrix products (conv2d_gemm.cc): on by default but on a software adapter;
// "0": off; "force": everywhere.
constexpr char kGemm[] = "webgpu.gemm";
// "0": model inputs made on the CPU and copied up as floats, never sampled from
// images on the GPU (image_sampling.h), for comparisons.
constexpr char kPreprocess[] = "webgpu.preprocess";
constexpr int kErrorBytes = 1024;

// The backend-specific test hooks asked for in the options (device.h).
int FaultBits(const FaultInjection& faults) {
  int bits = 0;
  if (faults.Has(kBackend, "no-gpu")) bits |= webgpu::kFaultNoGpu;
  if (faults.Has(kBackend, "no-adapter")) bits |= webgpu::kFaultNoAdapter;
  if (faults.Has(kBackend, "request-device")) bits |= webgpu::kFaultRequestDevice;
  if (faults.Has(kBackend, "shader")) bits |= webgpu::kFaultShader;
  if (faults.Has(kBackend, "oom")) bits |= webgpu::kFaultOutOfMemory;
  if (faults.Has(kBackend, "device-lost")) bits |= webgpu::kFaultDeviceLost;
  return bits;
}

// Every node of the graph that reads each tensor, so that a tensor also read
// outside the segment is never fused away.
std::vector<std::vector<int>> ReadersOf(const model::Graph& graph) {
  std::vector<std::vector<int>> readers(graph.tensors.size());
  for (int n = 0; n < static_cast<int>(graph.nodes.size()); ++n)
    for (int t : graph.nodes[n].inputs)
      if (t >= 0) readers[t].push_back(n);
  return readers;
}

class WebGpuSegment : public CompiledSegment {
 public:
  WebGpuSegment(const model::Graph& graph, SegmentSpec spec, std::string label)
      : graph_(graph), spec_(std::move(spec)), label_(std::move(label)) {}
  ~WebGpuSegment() override {
    if (program_id_ > 0) htgpu_release(program_id_);
  }

  Status Build(const BackendOptions& options) {
    faults_ = FaultBits(options.faults);
    const auto allow = options.settings.find(kAllowFallbackAdapter);
    const bool allow_fallback = allow != options.settings.end() && allow->second == "1";
    char error[kErrorBytes] = {0};
    const int adapter = htgpu_acquire(allow_fallback ? 1 : 0, faults_, error, kErrorBytes);
    if (adapter < 0) return UnavailableError("failed to compile " + label_ + ": " + error);
    f16_ = (adapter & 1) != 0 && options.precision == Precision::kFp16;

    BackendSettings settings = options.settings;
    // A software adapter runs threads as a CPU does: split sums only cost it.
    if ((adapter & 2) != 0 && settings.count(kSplitK) == 0) settings[kSplitK] = "0";
    // Nor tiled products: their workgroup barriers cost a CPU emulation more than they save.
    if ((adapter & 2) != 0 && settings.count(kGemm) == 0) settings[kGemm] = "0";
    Program program(graph_, settings);
    const std::vector<Step> steps = PlanSteps();
    PlanBuffers(steps, program);
    for (const Step& step : steps)
      webgpu::FindOp(graph_.nodes[step.node].op)->emit(graph_.nodes[step.node], step.tail, program);
    for (int t : spec_.outputs) CopyOut(t, program);
    const auto preprocess = settings.find(kPreprocess);
    if (preprocess == settings.end() || preprocess->second != "0") {
      for (int t : spec_.inputs) {
        const model::Tensor& tensor = graph_.tensors[t];
        if (tensor.type == model::DataType::kFloat32 && tensor.shape.size() == 4 && tensor.shape[3] == 3 &&
            tensor.shape[0] >= 1)
          sampled_arena_offsets_[t] = program.Act(t);
      }
      if (!sampled_arena_offsets_.empty()) program.set_sampler(webgpu::kSampleImageShader);
    }

    const std::string json = program.ToJson(f16_);
    const std::vector<float>& weights = program.weights();
    program_id_ = htgpu_compile(json.c_str(), weights.data(), static_cast<int>(weights.size()), faults_,
                                error, kErrorBytes);
    if (program_id_ < 0) return UnavailableError("failed to compile " + label_ + ": " + error);
    return Status::Ok();
  }

  Status Run(const HostTensors& tensors) override {
    HT_RETURN_IF_ERROR(CheckHostBuffers(graph_, spec_.inputs, tensors, label_));
    HT_RETURN_IF_ERROR(CheckHostBuffers(graph_, spec_.outputs, tensors, label_));
    io_pointers_.clear();
    for (int t : spec_.inputs) io_pointers_.push_back(tensors.data[t]);
    for (int t : spec_.outputs) io_pointers_.push_back(tensors.data[t]);
    char error[kErrorBytes] = {0};
    if (htgpu_run(program_id_, io_pointers_.data(), faults_, error, kErrorBytes) < 0)
      return UnavailableError("failed to run " + label_ + ": " + error);
    return Status::Ok();
  }

  bool CanSampleInput(int tensor) const override { return sampled_arena_offsets_.count(tensor) != 0; }

  // As Run, but input `tensor` is sampled from the frames' images on the GPU
  // (image_sampling.h): its host buffer is not read.
  Status RunSampled(const HostTensors& tensors, int tensor, std::span<const ImageSampling> frames) override {
    const auto found = sampled_arena_offsets_.find(tensor);
    if (found == sampled_arena_offsets_.end()) {
      return InvalidArgumentError("failed to run " + label_ + ": " + TensorLabel(graph_, tensor) +
                                  " cannot be sampled on the GPU");
    }
    const std::vector<int>& shape = graph_.tensors[tensor].shape;
    if (static_cast<int>(frames.size()) != shape[0]) {
      return InvalidArgumentError("failed to run " + label_ + ": " + std::to_string(frames.size()) +
                                  " sampled frame(s) for " + TensorLabel(graph_, tensor));
    }
    std::vector<int> host_inputs;
    for (int t : spec_.inputs)
      if (t != tensor) host_inputs.push_back(t);
    HT_RETURN_IF_ERROR(CheckHostBuffers(graph_, host_inputs, tensors, label_));
    HT_RETURN_IF_ERROR(CheckHostBuffers(graph_, spec_.outputs, tensors, label_));
    io_pointers_.clear();
    int sampled_input = -1;
    for (size_t i = 0; i < spec_.inputs.size(); ++i) {
      if (spec_.inputs[i] == tensor) sampled_input = static_cast<int>(i);
      io_pointers_.push_back(spec_.inputs[i] == tensor ? nullptr : tensors.data[spec_.inputs[i]]);
    }
    for (int t : spec_.outputs) io_pointers_.push_back(tensors.data[t]);
    const int out_height = shape[1], out_width = shape[2];
    const std::vector<uint32_t> table =
        webgpu::BuildSamplingTable(frames, out_width, out_height, found->second);
    char error[kErrorBytes] = {0};
    if (htgpu_run_sampled(program_id_, io_pointers_.data(), sampled_input, table.data(),
                          static_cast<int>(frames.size()), webgpu::SamplingBlockWords(out_width, out_height),
                          faults_, error, kErrorBytes) < 0)
      return UnavailableError("failed to run " + label_ + ": " + error);
    return Status::Ok();
  }

  Result<double> TimeKernelReplays(int replays) override {
    const double ms = htgpu_time_replays(program_id_, std::max(replays, 1));
    if (ms < 0)
      return UnavailableError("failed to time kernel replays of " + label_ + ": the WebGPU device is gone");
    return ms;
  }

 private:
  // A node, or a convolution with the ADD and PRELU fused into its store, run
  // at the position of its last node (BlazePalm computes the residual after
  // the convolution).
  struct Step {
    int node = -1;
    FusedTail tail;
    std::vector<int> reads, writes;
  };

  std::vector<Step> PlanSteps() const {
    const std::vector<std::vector<int>> readers = ReadersOf(graph_);
    const std::set<int> in_segment(spec_.nodes.begin(), spec_.nodes.end());
    const std::set<int> outputs(spec_.outputs.begin(), spec_.outputs.end());
    auto sole_reader = [&](int t) -> int {
      if (outputs.count(t) != 0 || readers[t].size() != 1 || in_segment.count(readers[t][0]) == 0) return -1;
      return readers[t][0];
    };
    std::vector<int> runs_at(graph_.nodes.size(), -1);   // conv -> the node it runs at
    std::vector<int> absorbed(graph_.nodes.size(), -1);  // fused node -> its conv
    std::vector<FusedTail> tails(graph_.nodes.size());
    for (int n : spec_.nodes) {
      const model::Node& node = graph_.nodes[n];
      if (node.op != OpType::kConv2D) continue;
      FusedTail tail;
      int last = n;
      int t = node.outputs[0];
      int next = sole_reader(t);
      if (next >= 0 && graph_.nodes[next].op == OpType::kAdd &&
          webgpu::SupportsAdd(graph_, graph_.nodes[next]).ok()) {
        const model::Node& add = graph_.nodes[next];
        const int other = add.inputs[0] == t ? add.inputs[1] : add.inputs[0];
        if (other != t && !graph_.tensors[other].is_constant) {
          tail.add = &add;
          tail.residual = other;
          last = next;
          t = add.outputs[0];
          next = sole_reader(t);
        }
      }
      const int out_c = graph_.tensors[node.outputs[0]].shape.back();
      if (next >= 0 && graph_.nodes[next].op == OpType::kPRelu &&
          webgpu::SupportsPRelu(graph_, graph_.nodes[next]).ok() &&
          graph_.tensors[graph_.nodes[next].inputs[1]].is_constant &&
          graph_.tensors[graph_.nodes[next].inputs[1]].num_elements() == out_c) {
        tail.prelu = &graph_.nodes[next];
        last = next;
        t = graph_.nodes[next].outputs[0];
      }
      if (last == n) continue;
      tail.output = t;
      tails[n] = tail;
      runs_at[n] = last;
      if (tail.add != nullptr) absorbed[tail.add - graph_.nodes.data()] = n;
      if (tail.prelu != nullptr) absorbed[tail.prelu - graph_.nodes.data()] = n;
    }
    std::vector<Step> steps;
    for (int n : spec_.nodes) {
      const model::Node& node = graph_.nodes[n];
      Step step;
      if (runs_at[n] >= 0) continue;  // runs later, at its last fused node
      int conv = absorbed[n];
      if (conv >= 0) {
        if (runs_at[conv] != n) continue;
        const model::Node& c = graph_.nodes[conv];
        step.node = conv;
        step.tail = tails[conv];
        step.reads.push_back(c.inputs[0]);
        if (step.tail.residual >= 0) step.reads.push_back(step.tail.residual);
        step.writes.push_back(step.tail.output);
      } else {
        step.node = n;
        for (int t : node.inputs)
          if (t >= 0 && !graph_.tensors[t].is_constant) step.reads.push_back(t);
        step.writes = node.outputs;
      }
      steps.push_back(std::move(step));
    }
    return steps;
  }

  // Arena offsets for every non-constant tensor of the segment, from their
  // lifetimes; the io layout (inputs, then outputs) and the copies in.
  void PlanBuffers(const std::vector<Step>& steps, Program& program) {
    std::vector<int> tensors;
    std::vector<BufferLifetime> lifetimes;
    const int end = static_cast<int>(steps.size());
    auto last_read = [&](int t, int from) {
      int last = from;
      for (int s = std::max(from, 0); s < end; ++s)
        if (std::find(steps[s].reads.begin(), steps[s].reads.end(), t) != steps[s].reads.end()) last = s;
      if (std::find(spec_.outputs.begin(), spec_.outputs.end(), t) != spec_.outputs.end()) last = end;
      return last;
    };
    auto bytes = [&](int t) { return graph_.tensors[t].num_elements() * int64_t{4}; };
    for (int t : spec_.inputs) {
      tensors.push_back(t);
      lifetimes.push_back({bytes(t), -1, last_read(t, -1)});
    }
    for (int s = 0; s < end; ++s) {
      for (int t : steps[s].writes) {
        tensors.push_back(t);
        lifetimes.push_back({bytes(t), s, last_read(t, s)});
      }
    }
    const ArenaPlan plan = PlanArena(lifetimes, 16);
    for (size_t i = 0; i < tensors.size(); ++i) program.set_arena_offset(tensors[i], plan.offsets[i] / 4);
    program.set_arena_elements(plan.total_bytes / 4);
    int64_t io = 0;
    auto place = [&](int t) {
      const int64_t at = io;
      io += (graph_.tensors[t].num_elements() + 3) / 4 * 4;
      return at;
    };
    for (int t : spec_.inputs) {
      const int64_t at = place(t);
      program.AddInput(at, graph_.tensors[t].num_elements());
      program.Shader("copy_in", kCopyInShader);
      program.Dispatch("copy_in", graph_.tensors[t].num_elements(), {0, uint32_t(at), program.Act(t)});
    }
    const int64_t output_base = io;
    for (int t : spec_.outputs) {
      output_io_.push_back(place(t));
      program.AddOutput(output_io_.back(), graph_.tensors[t].num_elements());
    }
    program.set_io(output_base, std::max<int64_t>(io, 4));
  }

  void CopyOut(int t, Program& program) {
    const size_t index = std::find(spec_.outputs.begin(), spec_.outputs.end(), t) - spec_.outputs.begin();
    program.Shader("copy_out", kCopyOutShader);
    program.Dispatch("copy_out", graph_.tensors[t].num_elements(),
                     {0, uint32_t(output_io_[index]), program.Act(t)});
  }

  // The float32 io buffer to and from the arena (whose storage may be f16).
  static constexpr char kCopyInShader[] = "fn run(i: u32) { act[P(2u) + i] = S(io[P(1u) + i]); }\n";
  static constexpr char kCopyOutShader[] = "fn run(i: u32) { io[P(1u) + i] = f32(act[P(2u) + i]); }\n";

  const model::Graph& graph_;
  SegmentSpec spec_;
  std::string label_;
  int faults_ = 0;
  bool f16_ = false;
  int program_id_ = 0;
  std::vector<int64_t> output_io_;
  std::vector<float*> io_pointers_;
  std::map<int, uint32_t> sampled_arena_offsets_;  // inputs the GPU can sample -> arena offset
};

class WebGpuBackend : public Backend {
 public:
  const char* name() const override { return kBackend; }
  Status Availability() const override {
    if (htgpu_present() == 0)
      return UnavailableError("navigator.gpu is missing (this browser or worker offers no WebGPU)");
    return Status::Ok();
  }
  Status Supports(const model::Graph& graph, int node_index) const override {
    const model::Node& node = graph.nodes[node_index];
    const webgpu::OpEntry* op = webgpu::FindOp(node.op);
    if (op == nullptr)
      return UnsupportedError(std::string("no WGSL shader for ") + model::OpTypeName(node.op));
    for (int t : node.outputs)
      if (graph.tensors[t].type != model::DataType::kFloat32)
        return UnsupportedError(std::string(model::OpTypeName(node.op)) + " with a non-float32 output");
    return op->supports(graph, node);
  }
  // fp16: half-float storage of weights and activations where the adapter has
  // shader-f16 (arithmetic in f32); float32 where it has not.
  bool HonoursPrecision(Precision precision) const override {
    return precision == Precision::kFp32 || precision == Precision::kFp16;
  }
  MemorySpace memory_space() const override { return MemorySpace::kDevice; }
  std::vector<std::string> SettingKeys() const override {
    return {kAllowFallbackAdapter, kConvX4, kSplitK, kGemm, kPreprocess};
  }
  Result<std::unique_ptr<ImageUploader>> CreateImageUploader() override {
    if (htgpu_present() == 0) return std::unique_ptr<ImageUploader>();
    return webgpu::CreateImageUploader();
  }
  Result<std::unique_ptr<CompiledSegment>> Compile(const model::Graph& graph, const SegmentSpec& spec,
                                                   const BackendOptions& options) override {
    std::string label = SegmentLabel(graph, spec, "webgpu");
    HT_RETURN_IF_ERROR(CheckSegmentSpec(graph, spec, label));
    auto segment = std::make_unique<WebGpuSegment>(graph, spec, std::move(label));
    HT_RETURN_IF_ERROR(segment->Build(options));
    return std::unique_ptr<CompiledSegment>(std::move(segment));
  }
};

}  // namespace

std::unique_ptr<Backend> CreateWebGpuBackend() { return std::make_unique<WebGpuBackend>(); }

}  // namespace handtrack::backend
