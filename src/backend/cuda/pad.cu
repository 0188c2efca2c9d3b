#include <string>

#include "backend/cuda/op_util.cuh"

namespace handtrack::backend::cuda {
namespace {

// Ranks the kernel's fixed-size geometry holds (TFLite's PAD goes to 5).
constexpr int kMaxPadRank = 6;

struct PadGeometry {
  int rank;
  int in_dims[kMaxPadRank];
  int out_dims[kMaxPadRank];
  int before[kMaxPadRank];
};

// Zero padding: one thread per output element, which reads its input
// element or writes zero.
template <typename T>
__global__ void PadKernel(PadGeometry g, int count, const T* __restrict__ in, T* __restrict__ out) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    int rest = i, in_index = 0, in_stride = 1;
    bool inside = true;
    for (int d = g.rank - 1; d >= 0; --d) {
      const int coordinate = rest % g.out_dims[d] - g.before[d];
      rest /= g.out_dims[d];
      inside = inside && coordinate >= 0 && coordinate < g.in_dims[d];
      in_index += coordinate * in_stride;
      in_stride *= g.in_dims[d];
    }
    out[i] = inside ? in[in_index] : FromFloat<T>(0.0f);
  }
}

}  // namespace

Status SupportsPad(const model::Graph& graph, const model::Node& node) {
  const size_t rank = graph.tensors[node.inputs[0]].shape.size();
  if (rank > kMaxPadRank) {
    return UnsupportedError("PAD of a rank-" + std::to_string(rank) + " tensor (at most " +
                            std::to_string(kMaxPadRank) + ")");
  }
  return Status::Ok();
}

cudaError_t EnqueuePad(const OpLaunch& launch) {
  const auto& in = launch.input_tensor(0).shape;
  const auto& out = launch.output_tensor().shape;
  const auto& paddings = launch.input_tensor(1).i32;
  PadGeometry g{};
  g.rank = static_cast<int>(in.size());
  for (int d = 0; d < g.rank; ++d) {
    g.in_dims[d] = in[d];
    g.out_dims[d] = out[d];
    g.before[d] = paddings[2 * d];
  }
  const int count = static_cast<int>(launch.output_tensor().num_elements());
  return WithStorage(launch, [&](auto zero) {
    using T = decltype(zero);
    PadKernel<T><<<BlocksFor(count), kThreadsPerBlock, 0, launch.stream>>>(g, count, As<T>(launch.inputs[0]),
                                                                           As<T>(launch.output));
    return cudaGetLastError();
  });
}

}  // namespace handtrack::backend::cuda
