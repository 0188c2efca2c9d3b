#include "backend/reference/reference_backend.h"

#include <vector>

#include "backend/reference/kernels.h"

namespace handtrack::backend {
namespace {

using model::OpType;

struct KernelEntry {
  OpType op;
  reference::KernelFn fn;
};

// The one list of reference kernels.
constexpr KernelEntry kKernels[] = {
    {OpType::kAdd, reference::Add},
    {OpType::kAveragePool2D, reference::AveragePool2D},
    {OpType::kConcatenation, reference::Concatenation},
    {OpType::kConv2D, reference::Conv2D},
    {OpType::kDepthwiseConv2D, reference::DepthwiseConv2D},
    {OpType::kFullyConnected, reference::FullyConnected},
    {OpType::kLogistic, reference::Logistic},
    {OpType::kMaxPool2D, reference::MaxPool2D},
    {OpType::kMean, reference::Mean},
    {OpType::kPad, reference::Pad},
    {OpType::kPRelu, reference::PRelu},
    {OpType::kRelu, reference::Relu},
    {OpType::kRelu6, reference::Relu6},
    {OpType::kReshape, reference::Reshape},
    {OpType::kResizeBilinear, reference::ResizeBilinear},
};
static_assert(std::size(kKernels) == model::kNumOpTypes, "every op needs a reference kernel");

class ReferenceSegment : public CompiledSegment {
 public:
  ReferenceSegment(const model::Graph& graph, SegmentSpec spec) : graph_(graph), spec_(std::move(spec)) {
    // Tensors produced inside the segment and not visible to the host get a buffer of their own.
    internal_.resize(graph.tensors.size());
    for (int n : spec_.nodes) {
      for (int t : graph.nodes[n].outputs) internal_[t].resize(graph.tensors[t].num_elements());
    }
    for (int t : spec_.outputs) internal_[t].clear();
  }

  Status Run(const HostTensors& tensors) override {
    std::vector<const float*> inputs;
    std::vector<float*> outputs;
    for (int n : spec_.nodes) {
      const model::Node& node = graph_.nodes[n];
      inputs.clear();
      outputs.clear();
      for (int t : node.inputs) inputs.push_back(t < 0 ? nullptr : Buffer(t, tensors));
      for (int t : node.outputs) outputs.push_back(Buffer(t, tensors));
      for (float* out : outputs) {
        if (out == nullptr) return InternalError("failed to run " + model::NodeLabel(graph_, n) + ": no output buffer");
      }
      reference::FindKernel(node.op)({graph_, node, inputs, outputs});
    }
    return Status::Ok();
  }

 private:
  float* Buffer(int t, const HostTensors& tensors) {
    const model::Tensor& tensor = graph_.tensors[t];
    if (tensor.is_constant) return const_cast<float*>(tensor.f32.data());  // kernels never write inputs
    if (!internal_[t].empty()) return internal_[t].data();
    return t < static_cast<int>(tensors.data.size()) ? tensors.data[t] : nullptr;
  }

  const model::Graph& graph_;
  SegmentSpec spec_;
  std::vector<std::vector<float>> internal_;
};

class ReferenceBackend : public Backend {
 public:
  const char* name() const override { return "reference"; }
  Status Availability() const override { return Status::Ok(); }
  Status Supports(const model::Graph&, int) const override { return Status::Ok(); }
  Result<std::unique_ptr<CompiledSegment>> Compile(const model::Graph& graph, const SegmentSpec& spec,
                                                   const BackendOptions&) override {
    return std::unique_ptr<CompiledSegment>(new ReferenceSegment(graph, spec));
  }
};

}  // namespace

namespace reference {
KernelFn FindKernel(OpType op) {
  for (const KernelEntry& entry : kKernels) {
    if (entry.op == op) return entry.fn;
  }
  return nullptr;  // unreachable: the static_assert above keeps the table complete
}
}  // namespace reference

std::unique_ptr<Backend> CreateReferenceBackend() { return std::make_unique<ReferenceBackend>(); }

}  // namespace handtrack::backend
