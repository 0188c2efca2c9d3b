// The ops the webgpu backend runs, one row each in ops.cc, each in its own
// <op>.cc with its WGSL: Supports<Op>(graph, node) says whether the shader
// runs the node exactly as the reference does (Unsupported naming what it
// lacks: the runtime then gives the node to another backend), and
// Emit<Op>(node, program) adds its dispatches to the segment's program
// (program.h), packing its constants into the weights.
#pragma once

#include <cstdint>

#include "backend/webgpu/program.h"
#include "handtrack/status.h"
#include "model/graph.h"

namespace handtrack::backend::webgpu {

// Nodes fused into a convolution's store (as the wasm backend's epilogue): an
// ADD of the convolution's output and `residual` with the ADD's activation,
// then a PRELU; each optional. `output`: the tensor the fused dispatch writes.
struct FusedTail {
  const model::Node* add = nullptr;
  int residual = -1;
  const model::Node* prelu = nullptr;
  int output = -1;
};

using SupportsFn = Status (*)(const model::Graph& graph, const model::Node& node);
using EmitFn = void (*)(const model::Node& node, const FusedTail& fused, Program& program);

#define HANDTRACK_WEBGPU_DECLARE_OP(name, tflite_name, builtin, options)     \
  Status Supports##name(const model::Graph& graph, const model::Node& node); \
  void Emit##name(const model::Node& node, const FusedTail& fused, Program& program);
HANDTRACK_OP_LIST(HANDTRACK_WEBGPU_DECLARE_OP)
#undef HANDTRACK_WEBGPU_DECLARE_OP

struct OpEntry {
  SupportsFn supports = nullptr;
  EmitFn emit = nullptr;
};

// The entry of `op`, or nullptr when this backend has no shader for it.
const OpEntry* FindOp(model::OpType op);

// Shared by the op files.
// The clamp of a fused activation (+-FLT_MAX for none), as parameter words.
uint32_t ActivationLow(model::Activation activation);
uint32_t ActivationHigh(model::Activation activation);
// Unsupported unless input `index` of the node is a float32 tensor that is
// not a constant (constant: false) or is one (constant: true).
Status RequireFloat(const model::Graph& graph, const model::Node& node, int index, bool constant);
// The offset of a float tensor, in the weights when constant, else in the arena.
uint32_t OffsetOf(Program& program, int tensor);
inline uint32_t IsConstant(const Program& program, int tensor) {
  return program.graph().tensors[tensor].is_constant ? 1u : 0u;
}

// The element-wise shader (elementwise.cc): out = clamp(f(a, b), low, high).
enum class ElementwiseMode : uint32_t { kAdd = 0, kPRelu = 1, kLogistic = 2, kCopy = 3 };
void EmitElementwise(Program& program, ElementwiseMode mode, int a, int b, int out,
                     model::Activation activation);
// Whether a product of `outputs` sums of `depth` terms runs one workgroup per
// output, its 64 threads splitting the sum (split_k.cc): for long sums over
// few outputs (the deep 1x1 convolutions and the fully connected layers),
// where one thread per output would leave the GPU idle. On there by default
// (not on software adapters); "webgpu.split_k" = "0" turns it off, "force"
// puts it everywhere (tests).
bool UseSplitK(const Program& program, int64_t outputs, int64_t depth);
// The WGSL of the split-sum convolution (the same parameters as conv2d.cc's,
// the filter in its own [oc][ky][kx][ic] layout) and fully connected layer
// (fully_connected.cc's, the weights [o][i]).
extern const char kConv2DSplitKShader[];
// Whether convolutions run as a tiled matrix product (conv2d_gemm.cc): on by
// default (not on software adapters); "webgpu.gemm" = "0" turns it off, "force"
// puts it on every convolution (tests). Its WGSL takes conv2d.cc's parameters
// plus P(25) = pixels, the filter packed [ky][kx][ic][oc].
bool UseConvGemm(const Program& program);
extern const char kConv2DGemmShader[];
extern const char kFullyConnectedSplitKShader[];
// The 2-D pooling shader (pool2d.cc), max or average.
void EmitPool2D(Program& program, const model::Node& node, bool average);

}  // namespace handtrack::backend::webgpu
