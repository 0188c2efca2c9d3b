#include "backend/reference/reference_backend.h"

#include <string>
#include <utility>
#include <vector>

#include "backend/op_table.h"
#include "backend/reference/kernels.h"
#include "backend/segment_check.h"

namespace handtrack::backend {
namespace {

using model::OpType;

// Derived from the one op list: the reference backend implements every op.
constexpr OpRow<reference::KernelFn> kKernelRows[] = {
#define HANDTRACK_REFERENCE_KERNEL_ROW(name, tflite_name, builtin, options) \
  {OpType::k##name, &reference::name},
    HANDTRACK_OP_LIST(HANDTRACK_REFERENCE_KERNEL_ROW)
#undef HANDTRACK_REFERENCE_KERNEL_ROW
};
constexpr OpTable<reference::KernelFn> kKernels = MakeOpTable(kKernelRows);
static_assert(kKernels.Complete(), "the reference backend is every plan's last fallback: it runs every op");

class ReferenceSegment : public CompiledSegment {
 public:
  ReferenceSegment(const model::Graph& graph, SegmentSpec spec, std::string label)
      : graph_(graph), spec_(std::move(spec)), label_(std::move(label)) {
    // Tensors produced inside the segment and not visible to the host get a buffer of their own.
    internal_.resize(graph.tensors.size());
    for (int n : spec_.nodes) {
      for (int t : graph.nodes[n].outputs) internal_[t].resize(graph.tensors[t].num_elements());
    }
    for (int t : spec_.outputs) internal_[t].clear();
  }

  Status Run(const HostTensors& tensors) override {
    // Compile() checked that every tensor a node reads is a constant, a segment
    // input or produced inside: the segment's inputs and outputs are all the
    // host must hand in.
    HT_RETURN_IF_ERROR(CheckHostBuffers(graph_, spec_.inputs, tensors, label_));
    HT_RETURN_IF_ERROR(CheckHostBuffers(graph_, spec_.outputs, tensors, label_));
    std::vector<const float*> inputs;
    std::vector<float*> outputs;
    for (int n : spec_.nodes) {
      const model::Node& node = graph_.nodes[n];
      inputs.clear();
      outputs.clear();
      for (int t : node.inputs) inputs.push_back(t < 0 ? nullptr : Buffer(t, tensors));
      for (int t : node.outputs) outputs.push_back(Buffer(t, tensors));
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
  std::string label_;
  std::vector<std::vector<float>> internal_;
};

class ReferenceBackend : public Backend {
 public:
  const char* name() const override { return "reference"; }
  Status Availability() const override { return Status::Ok(); }
  Status Supports(const model::Graph&, int) const override { return Status::Ok(); }
  Result<std::unique_ptr<CompiledSegment>> Compile(const model::Graph& graph, const SegmentSpec& spec,
                                                   const BackendOptions&) override {
    std::string label = SegmentLabel(graph, spec, "reference");
    HT_RETURN_IF_ERROR(CheckSegmentSpec(graph, spec, label));
    return std::unique_ptr<CompiledSegment>(new ReferenceSegment(graph, spec, std::move(label)));
  }
};

}  // namespace

namespace reference {
KernelFn FindKernel(OpType op) {
  const KernelFn* kernel = kKernels.Find(op);
  return kernel != nullptr ? *kernel : nullptr;
}
}  // namespace reference

std::unique_ptr<Backend> CreateReferenceBackend() { return std::make_unique<ReferenceBackend>(); }

}  // namespace handtrack::backend
