#include "backend/xnnpack/op_util.h"

#include <xnnpack.h>

#include <algorithm>
#include <limits>

namespace handtrack::backend::xnnpack {

const char* OpName(model::OpType op) { return model::OpTypeName(op); }

std::string NodeLabel(const model::Node& node) {
  return std::string(OpName(node.op)) + " #" + std::to_string(node.tflite_index);
}

Status Unsupported(const model::Node& node, const std::string& reason) {
  return UnsupportedError(std::string(OpName(node.op)) + " " + reason);
}

std::string ShapeString(std::span<const int> shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i > 0 ? "," : "") + std::to_string(shape[i]);
  return text + "]";
}

Status CheckArity(const model::Node& node, int min_inputs, int max_inputs, int num_outputs) {
  const int inputs = static_cast<int>(node.inputs.size());
  if (inputs < min_inputs || inputs > max_inputs || static_cast<int>(node.outputs.size()) != num_outputs) {
    return Unsupported(node, "with " + std::to_string(inputs) + " inputs and " +
                                 std::to_string(node.outputs.size()) + " outputs: expected " +
                                 std::to_string(min_inputs) + ".." + std::to_string(max_inputs) + " and " +
                                 std::to_string(num_outputs));
  }
  for (int tensor : node.outputs) {
    if (tensor < 0) return Unsupported(node, "with an absent output");
  }
  return Status::Ok();
}

Status CheckFloat(const model::Graph& graph, const model::Node& node, int tensor, const char* role,
                  int rank) {
  if (tensor < 0 || tensor >= static_cast<int>(graph.tensors.size())) {
    return Unsupported(node, std::string("without its ") + role);
  }
  const model::Tensor& t = graph.tensors[tensor];
  if (t.type != model::DataType::kFloat32) {
    return Unsupported(node, std::string("with an int32 ") + role + ": this backend runs float32 only");
  }
  const int actual_rank = static_cast<int>(t.shape.size());
  if (rank != -1 && actual_rank != rank) {
    return Unsupported(node, std::string("with a rank-") + std::to_string(actual_rank) + " " + role + " " +
                                 ShapeString(t.shape) + ": XNNPACK takes rank " + std::to_string(rank));
  }
  if (actual_rank < 1 || actual_rank > XNN_MAX_TENSOR_DIMS) {
    return Unsupported(node, std::string("with a rank-") + std::to_string(actual_rank) + " " + role +
                                 ": XNNPACK takes ranks 1.." + std::to_string(XNN_MAX_TENSOR_DIMS));
  }
  return Status::Ok();
}

Status CheckFloatConstant(const model::Graph& graph, const model::Node& node, int tensor, const char* role,
                          int rank) {
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, tensor, role, rank));
  const model::Tensor& t = graph.tensors[tensor];
  if (!t.is_constant) {
    return Unsupported(node, std::string("with a computed ") + role +
                                 ": XNNPACK 2022-02 needs constant weights, packed at runtime creation");
  }
  if (t.f32.size() != static_cast<size_t>(t.num_elements())) {
    return Unsupported(node, std::string("with a ") + role + " constant lacking data");
  }
  return Status::Ok();
}

Status CheckShape(const model::Graph& graph, const model::Node& node, int tensor, const char* role,
                  const std::vector<int>& expected) {
  const std::vector<int>& actual = graph.tensors[tensor].shape;
  if (actual == expected) return Status::Ok();
  return Unsupported(node, std::string("with ") + role + " shape " + ShapeString(actual) + " where " +
                               ShapeString(expected) + " follows from its inputs");
}

Result<std::span<const int32_t>> Int32Operand(const model::Graph& graph, const model::Node& node, int slot,
                                              const char* role) {
  const int tensor = slot < static_cast<int>(node.inputs.size()) ? node.inputs[slot] : -1;
  if (tensor < 0 || tensor >= static_cast<int>(graph.tensors.size())) {
    return Unsupported(node, std::string("without its ") + role + " operand");
  }
  const model::Tensor& t = graph.tensors[tensor];
  if (t.type != model::DataType::kInt32 || !t.is_constant ||
      t.i32.size() != static_cast<size_t>(t.num_elements())) {
    return Unsupported(node, std::string("with a ") + role + " operand that is not an int32 constant");
  }
  return std::span<const int32_t>(t.i32);
}

OutputRange ActivationRange(model::Activation activation) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  switch (activation) {
    case model::Activation::kNone:
      return {-kInf, kInf};
    case model::Activation::kRelu:
      return {0.0f, kInf};
    case model::Activation::kReluN1To1:
      return {-1.0f, 1.0f};
    case model::Activation::kRelu6:
      return {0.0f, 6.0f};
  }
  return {-kInf, kInf};
}

AxisWindow TfliteWindow(model::Padding padding, int input, int filter, int stride, int dilation) {
  const int effective_filter = (filter - 1) * dilation + 1;
  if (padding == model::Padding::kValid) {
    const int output = input >= effective_filter ? (input - effective_filter) / stride + 1 : 0;
    return {output, 0, 0};
  }
  const int output = (input + stride - 1) / stride;
  const int total = std::max((output - 1) * stride + effective_filter - input, 0);
  return {output, static_cast<uint32_t>(total / 2), static_cast<uint32_t>(total - total / 2)};
}

bool CpuHasAvx512F() {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  // GCC and Clang also check XCR0, i.e. that the OS saves the AVX-512 state.
  static const bool kHasAvx512F = __builtin_cpu_supports("avx512f");
  return kHasAvx512F;
#else
  return false;
#endif
}

bool CpuHasAvx2Fma() {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  static const bool kHasAvx2Fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return kHasAvx2Fma;
#else
  return false;
#endif
}

const char* KernelIsaName(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::kAvx512:
      return "AVX-512F";
    case KernelIsa::kAvx2:
      return "AVX2";
    case KernelIsa::kBest:
      break;
  }
  return "best";
}

Result<KernelIsa> ResolveKernelIsa(KernelIsa requested, const char* kernel) {
  if (requested == KernelIsa::kBest) {
    if (CpuHasAvx512F()) return KernelIsa::kAvx512;
    if (CpuHasAvx2Fma()) return KernelIsa::kAvx2;
    return UnsupportedError(std::string("the ") + kernel + " needs AVX-512F or AVX2, which this CPU lacks");
  }
  const bool has = requested == KernelIsa::kAvx512 ? CpuHasAvx512F() : CpuHasAvx2Fma();
  if (!has) {
    return UnsupportedError(std::string("the ") + kernel + " needs " + KernelIsaName(requested) +
                            ", which this CPU lacks");
  }
  return requested;
}

}  // namespace handtrack::backend::xnnpack
