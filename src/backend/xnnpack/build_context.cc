#include "backend/xnnpack/build_context.h"

#include <algorithm>
#include <string>
#include <utility>

#include "backend/segment_check.h"

namespace handtrack::backend::xnnpack {
namespace {

const char* XnnStatusName(xnn_status status) {
  switch (status) {
    case xnn_status_success:
      return "success";
    case xnn_status_uninitialized:
      return "uninitialized";
    case xnn_status_invalid_parameter:
      return "invalid parameter";
    case xnn_status_invalid_state:
      return "invalid state";
    case xnn_status_unsupported_parameter:
      return "unsupported parameter";
    case xnn_status_unsupported_hardware:
      return "unsupported hardware";
    case xnn_status_out_of_memory:
      return "out of memory";
  }
  return "unknown";
}

}  // namespace

Status XnnStatus(xnn_status status) {
  if (status == xnn_status_success) return Status::Ok();
  std::string message =
      "xnn_status " + std::to_string(static_cast<int>(status)) + " (" + XnnStatusName(status) + ")";
  switch (status) {
    case xnn_status_unsupported_parameter:
      return UnsupportedError(std::move(message));
    case xnn_status_uninitialized:
    case xnn_status_unsupported_hardware:
      return UnavailableError(std::move(message));
    case xnn_status_out_of_memory:
      return ResourceExhaustedError(std::move(message));
    default:
      return InternalError(std::move(message));  // Supports() let through a node XNNPACK rejects
  }
}

std::vector<size_t> Dims(const std::vector<int>& shape) {
  return std::vector<size_t>(shape.begin(), shape.end());
}

BuildContext::BuildContext(xnn_subgraph_t subgraph, const model::Graph& graph)
    : subgraph_(subgraph),
      graph_(graph),
      value_ids_(graph.tensors.size(), XNN_INVALID_VALUE_ID),
      weight_ids_(graph.tensors.size(), XNN_INVALID_VALUE_ID) {}

Status BuildContext::DefineExternal(int tensor, uint32_t external_id, uint32_t flags) {
  if (graph_.tensors[tensor].is_constant) {
    return InternalError(TensorLabel(graph_, tensor) +
                         " is constant and cannot be a segment input or output");
  }
  HT_ASSIGN_OR_RETURN(value_ids_[tensor], DefineValue(tensor, nullptr, external_id, flags));
  return Status::Ok();
}

Result<uint32_t> BuildContext::Value(int tensor) {
  if (value_ids_[tensor] != XNN_INVALID_VALUE_ID) return value_ids_[tensor];
  const model::Tensor& t = graph_.tensors[tensor];
  const float* data = nullptr;
  if (t.is_constant) {
    std::vector<float> padded(t.f32.size() + XNN_EXTRA_BYTES / sizeof(float), 0.0f);
    std::copy(t.f32.begin(), t.f32.end(), padded.begin());
    static_data_.push_back(std::move(padded));
    data = static_data_.back().data();
  }
  HT_ASSIGN_OR_RETURN(value_ids_[tensor], DefineValue(tensor, data, XNN_INVALID_VALUE_ID, /*flags=*/0));
  return value_ids_[tensor];
}

Result<uint32_t> BuildContext::WeightValue(int tensor) {
  if (weight_ids_[tensor] != XNN_INVALID_VALUE_ID) return weight_ids_[tensor];
  const model::Tensor& t = graph_.tensors[tensor];
  if (!t.is_constant) {
    return InternalError(TensorLabel(graph_, tensor) + " is used as weights but is not constant");
  }
  HT_ASSIGN_OR_RETURN(weight_ids_[tensor],
                      DefineValue(tensor, t.f32.data(), XNN_INVALID_VALUE_ID, /*flags=*/0));
  return weight_ids_[tensor];
}

Result<uint32_t> BuildContext::DefineValue(int tensor, const float* data, uint32_t external_id,
                                           uint32_t flags) {
  const model::Tensor& t = graph_.tensors[tensor];
  if (t.type != model::DataType::kFloat32) {
    return InternalError(TensorLabel(graph_, tensor) + " is int32; XNNPACK values are float32 here");
  }
  if (t.is_constant && t.f32.size() != static_cast<size_t>(t.num_elements())) {
    return InternalError(TensorLabel(graph_, tensor) + " has " + std::to_string(t.f32.size()) +
                         " values for its " + std::to_string(t.num_elements()) + " elements");
  }
  const std::vector<size_t> dims = Dims(t.shape);
  uint32_t id = XNN_INVALID_VALUE_ID;
  const Status status = XnnStatus(xnn_define_tensor_value(subgraph_, xnn_datatype_fp32, dims.size(),
                                                          dims.data(), data, external_id, flags, &id));
  if (!status.ok()) return status.WithPrefix(TensorLabel(graph_, tensor));
  return id;
}

Result<uint32_t> BuildContext::StaticValue(std::vector<float> data, std::span<const size_t> dims) {
  data.resize(data.size() + XNN_EXTRA_BYTES / sizeof(float), 0.0f);
  static_data_.push_back(std::move(data));
  uint32_t id = XNN_INVALID_VALUE_ID;
  HT_RETURN_IF_ERROR(XnnStatus(xnn_define_tensor_value(subgraph_, xnn_datatype_fp32, dims.size(), dims.data(),
                                                       static_data_.back().data(), XNN_INVALID_VALUE_ID,
                                                       /*flags=*/0, &id)));
  return id;
}

Result<uint32_t> BuildContext::InternalValue(std::span<const size_t> dims) {
  uint32_t id = XNN_INVALID_VALUE_ID;
  HT_RETURN_IF_ERROR(
      XnnStatus(xnn_define_tensor_value(subgraph_, xnn_datatype_fp32, dims.size(), dims.data(),
                                        /*data=*/nullptr, XNN_INVALID_VALUE_ID, /*flags=*/0, &id)));
  return id;
}

}  // namespace handtrack::backend::xnnpack
