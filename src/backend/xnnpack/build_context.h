// The state shared while one segment's nodes are added to an XNNPACK
// subgraph: the value id of every graph tensor, and the buffers that static
// values point to.
#pragma once

#include <xnnpack.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "handtrack/status.h"
#include "model/graph.h"

namespace handtrack::backend::xnnpack {

// "xnn_status 2 (invalid parameter)" as a Status whose code says whose fault it
// is; OK for xnn_status_success.
Status XnnStatus(xnn_status status);

class BuildContext {
 public:
  BuildContext(xnn_subgraph_t subgraph, const model::Graph& graph);

  xnn_subgraph_t subgraph() const { return subgraph_; }

  // Defines `tensor` as an external input or output (flags
  // XNN_VALUE_FLAG_EXTERNAL_*) under `external_id`; call before any Value().
  Status DefineExternal(int tensor, uint32_t external_id, uint32_t flags);

  // The value of a graph tensor used as a data operand, defined on first use:
  // internal for activations, static for constants. Constant data is copied
  // into a buffer with XNN_EXTRA_BYTES of slack, because XNNPACK's element-wise
  // kernels may read (never write) past the end of their operands.
  Result<uint32_t> Value(int tensor);

  // The value of a constant weight tensor (CONV/DEPTHWISE/FC filter and bias).
  // XNNPACK packs these at runtime creation with exact reads, so the value
  // points straight into the graph, which outlives the segment.
  Result<uint32_t> WeightValue(int tensor);

  // A static value holding `data` with the given dims; the buffer is owned by
  // the context (see TakeStaticData).
  Result<uint32_t> StaticValue(std::vector<float> data, std::span<const size_t> dims);

  // A fresh internal value, for the intermediate results of ops that lower to
  // several XNNPACK nodes.
  Result<uint32_t> InternalValue(std::span<const size_t> dims);

  // The buffers that static values point to; they must outlive the subgraph
  // and every runtime created from it.
  std::vector<std::vector<float>> TakeStaticData() { return std::move(static_data_); }

 private:
  Result<uint32_t> DefineValue(int tensor, const float* data, uint32_t external_id, uint32_t flags);

  xnn_subgraph_t subgraph_;
  const model::Graph& graph_;
  // Per graph tensor, XNN_INVALID_VALUE_ID until defined; weights apart, as
  // their static values lack the slack that data operands get.
  std::vector<uint32_t> value_ids_;
  std::vector<uint32_t> weight_ids_;
  // Moving the outer vector keeps every inner buffer where it is.
  std::vector<std::vector<float>> static_data_;
};

// Graph dims as XNNPACK wants them.
std::vector<size_t> Dims(const std::vector<int>& shape);

}  // namespace handtrack::backend::xnnpack
