// Helpers shared by the op files: support checks whose messages name the op
// and the attribute, and TFLite's shape rules.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "handtrack/status.h"
#include "model/graph.h"

namespace handtrack::backend::xnnpack {

// TFLite's name of the op ("CONV_2D"), and "CONV_2D #12" for a node.
const char* OpName(model::OpType op);
std::string NodeLabel(const model::Node& node);

// UnsupportedError("<OP> <reason>").
Status Unsupported(const model::Node& node, const std::string& reason);

// "[1,48,48,32]"
std::string ShapeString(std::span<const int> shape);

// The node has min_inputs..max_inputs inputs and exactly num_outputs outputs.
Status CheckArity(const model::Node& node, int min_inputs, int max_inputs, int num_outputs);

// The tensor the node uses as `role` exists and is float32 of rank 1..6
// (XNN_MAX_TENSOR_DIMS), and of `rank` when that is not -1.
Status CheckFloat(const model::Graph& graph, const model::Node& node, int tensor, const char* role,
                  int rank = -1);

// As CheckFloat, and the tensor is a constant (XNNPACK 2022-02 packs weights
// at runtime creation, so they cannot be computed by the graph).
Status CheckFloatConstant(const model::Graph& graph, const model::Node& node, int tensor, const char* role,
                          int rank);

// The tensor has exactly the `expected` shape.
Status CheckShape(const model::Graph& graph, const model::Node& node, int tensor, const char* role,
                  const std::vector<int>& expected);

// The int32 constant operand `role` at the node's input `slot`.
Result<std::span<const int32_t>> Int32Operand(const model::Graph& graph, const model::Node& node, int slot,
                                              const char* role);

// output_min / output_max of a fused activation.
struct OutputRange {
  float min;
  float max;
};
OutputRange ActivationRange(model::Activation activation);

// Whether this CPU runs AVX-512F code (false also when the OS does not save
// the AVX-512 state).
bool CpuHasAvx512F();
// Whether this CPU runs AVX2 code with FMA3 (false also when the OS does not
// save the AVX state).
bool CpuHasAvx2Fma();

// The instruction set that one of the backend's own kernels (depthwise_kernel.h,
// residual_kernel.h) runs with. kBest: AVX-512F where the CPU has it, else
// AVX2 + FMA3; tests ask for each explicitly.
enum class KernelIsa { kBest, kAvx512, kAvx2 };
const char* KernelIsaName(KernelIsa isa);  // "AVX-512F", "AVX2", "best"

// `requested` with kBest resolved for this CPU; Unsupported "the <kernel>
// needs <isa>, which this CPU lacks" when it cannot run it (and on CPUs that
// are not x86).
Result<KernelIsa> ResolveKernelIsa(KernelIsa requested, const char* kernel);

// TFLite's output size and zero padding along one spatial axis; SAME puts the
// odd extra pixel after (bottom/right). output < 1 when the filter does not fit.
struct AxisWindow {
  int output;
  uint32_t pad_before;
  uint32_t pad_after;
};
AxisWindow TfliteWindow(model::Padding padding, int input, int filter, int stride, int dilation);

}  // namespace handtrack::backend::xnnpack
