#include <algorithm>
#include <cstdint>
#include <string>

#include "backend/cuda/op_util.cuh"
#include "backend/cuda/vector_access.cuh"

namespace handtrack::backend::cuda {
namespace {

// Ranks the kernel's fixed-size geometry holds (TFLite's PAD goes to 5).
constexpr int kMaxPadRank = 6;

// Dims in units of the kernel's element (a value, or a 16-byte vector of
// values along the last axis), right-aligned: the tensor's `rank` dims sit at
// [kMaxPadRank - rank, kMaxPadRank), innermost last, so that the kernel's
// unrolled loop indexes them with constants (a runtime index would copy the
// arrays to local memory).
struct PadGeometry {
  int rank;
  int in_dims[kMaxPadRank];
  int out_dims[kMaxPadRank];
  int before[kMaxPadRank];
};

// Zero padding: one thread per output element, which copies its input
// element or writes zero. Padding only moves bits and zero is all-zero bits
// in float and half alike, so the kernel copies raw elements: uint16_t or
// uint32_t (one value), or uint4 (16 bytes: 8 halves or 4 floats).
template <typename Element>
__global__ void PadKernel(PadGeometry g, int count, const Element* __restrict__ in,
                          Element* __restrict__ out) {
  const int outermost = kMaxPadRank - g.rank;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    int rest = i, in_index = 0, in_stride = 1;
    bool inside = true;
#pragma unroll
    for (int d = kMaxPadRank - 1; d >= 0; --d) {
      if (d < outermost) break;
      // The outermost coordinate is what is left (i < count): no division.
      const int out_coordinate = d > outermost ? rest % g.out_dims[d] : rest;
      rest = d > outermost ? rest / g.out_dims[d] : 0;
      const int coordinate = out_coordinate - g.before[d];
      inside = inside && coordinate >= 0 && coordinate < g.in_dims[d];
      in_index += coordinate * in_stride;
      in_stride *= g.in_dims[d];
    }
    out[i] = inside ? in[in_index] : Element{};
  }
}

// Merges each dim into the next inner one when that inner dim is not padded:
// for an unpadded inner dim of size m, the pair (o, p) flattens to o * m + p
// on both sides, with `before` scaled by m, and is inside exactly when o is.
// [n, h, w, c] -> [n, h, w, c + k] becomes [n * h * w, c] -> [n * h * w, c + k]:
// one division per element instead of three.
PadGeometry MergeUnpaddedDims(int rank, const int* in_dims, const int* out_dims, const int* before) {
  PadGeometry merged{};
  int d_out = kMaxPadRank - 1;  // the merged dim being built, from the innermost
  merged.in_dims[d_out] = in_dims[rank - 1];
  merged.out_dims[d_out] = out_dims[rank - 1];
  merged.before[d_out] = before[rank - 1];
  for (int d = rank - 2; d >= 0; --d) {
    if (merged.in_dims[d_out] == merged.out_dims[d_out]) {
      // Unpadded (paddings are never negative): fold dim d in as its outer part.
      const int m = merged.in_dims[d_out];
      merged.in_dims[d_out] = in_dims[d] * m;
      merged.out_dims[d_out] = out_dims[d] * m;
      merged.before[d_out] = before[d] * m;
    } else {
      --d_out;
      merged.in_dims[d_out] = in_dims[d];
      merged.out_dims[d_out] = out_dims[d];
      merged.before[d_out] = before[d];
    }
  }
  merged.rank = kMaxPadRank - d_out;
  return merged;
}

template <typename Element>
cudaError_t LaunchPad(const PadGeometry& g, const float* in, float* out, cudaStream_t stream) {
  int count = 1;
  for (int d = kMaxPadRank - g.rank; d < kMaxPadRank; ++d) count *= g.out_dims[d];
  PadKernel<Element><<<BlocksFor(count), kThreadsPerBlock, 0, stream>>>(
      g, count, reinterpret_cast<const Element*>(in), reinterpret_cast<Element*>(out));
  return cudaGetLastError();
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
  // A scalar (rank 0) is a one-element copy.
  const int rank = std::max(static_cast<int>(in.size()), 1);
  int in_dims[kMaxPadRank], out_dims[kMaxPadRank], before[kMaxPadRank];
  for (int d = 0; d < rank; ++d) {
    const bool scalar = in.empty();
    in_dims[d] = scalar ? 1 : in[d];
    out_dims[d] = scalar ? 1 : out[d];
    before[d] = scalar ? 0 : paddings[2 * d];
  }
  const PadGeometry g = MergeUnpaddedDims(rank, in_dims, out_dims, before);
  // Fast path: the innermost (merged) dim's input rows, output rows and
  // leading padding are whole 16-byte vectors, so each output vector is
  // entirely copied or entirely zero. Alignment: every vector then starts at
  // an element offset that is a multiple of the lane count, 16-byte aligned
  // in a 256-byte aligned buffer (checked). The palm model's channel pads
  // ([n, h, w, 32] -> [n, h, w, 64]) take it in both precisions.
  const int lanes = launch.half ? kVectorLanes<__half> : kVectorLanes<float>;
  const int last = kMaxPadRank - 1;
  if (g.in_dims[last] % lanes == 0 && g.out_dims[last] % lanes == 0 && g.before[last] % lanes == 0 &&
      VectorAligned(launch.inputs[0], launch.output)) {
    PadGeometry vectors = g;
    vectors.in_dims[last] /= lanes;
    vectors.out_dims[last] /= lanes;
    vectors.before[last] /= lanes;
    return LaunchPad<uint4>(vectors, launch.inputs[0], launch.output, launch.stream);
  }
  if (launch.half) return LaunchPad<uint16_t>(g, launch.inputs[0], launch.output, launch.stream);
  return LaunchPad<uint32_t>(g, launch.inputs[0], launch.output, launch.stream);
}

}  // namespace handtrack::backend::cuda
