#include "backend/cuda/gemm.h"
#include "backend/cuda/op_util.cuh"

namespace handtrack::backend::cuda {
namespace {

// out[b, o] = bias[o] + sum over i of in[b, i] * weights[o, i]: the GEMM with
// the batch rows as M.
GemmShape FullyConnectedShape(const model::Graph& graph, const model::Node& node) {
  const auto& weights = graph.tensors[node.inputs[1]].shape;
  const int64_t rows = graph.tensors[node.inputs[0]].num_elements() / weights[1];
  return {static_cast<int>(rows), weights[0], weights[1]};
}

}  // namespace

int64_t FullyConnectedScratchBytes(const model::Graph& graph, const model::Node& node,
                                   const DeviceInfo& device) {
  return GemmScratchBytes(FullyConnectedShape(graph, node), device);
}

cudaError_t EnqueueFullyConnected(const OpLaunch& launch) {
  const float* bias = launch.inputs.size() > 2 ? launch.inputs[2] : nullptr;
  return EnqueueGemm(FullyConnectedShape(launch.graph, launch.node),
                     {launch.inputs[0], launch.inputs[1], bias, launch.output, launch.node.params.activation},
                     launch);
}

}  // namespace handtrack::backend::cuda
