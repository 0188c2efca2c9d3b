#include "backend/cuda/gemm.h"
#include "backend/cuda/op_util.cuh"

namespace handtrack::backend::cuda {
namespace {

// A 1x1 filter at stride 1 reads exactly one input pixel per output pixel (no
// padding either way), so the convolution is a matrix product of the
// [pixels, in_c] input and the [out_c, in_c] filter.
bool IsPointwise(const model::Graph& graph, const model::Node& node) {
  const auto& filter = graph.tensors[node.inputs[1]].shape;
  return filter[1] == 1 && filter[2] == 1 && node.params.stride_h == 1 && node.params.stride_w == 1;
}

GemmShape PointwiseShape(const model::Graph& graph, const model::Node& node) {
  const auto& in = graph.tensors[node.inputs[0]].shape;
  const auto& filter = graph.tensors[node.inputs[1]].shape;
  return {in[0] * in[1] * in[2], filter[0], filter[3]};
}

// One thread per output element, output channels fastest: a warp shares its
// input pixels and reads the filters from cache.
// out[n, oy, ox, oc] = bias[oc] + sum over (ky, kx, ic) of in[n, iy, ix, ic] * filter[oc, ky, kx, ic]
template <typename T>
__global__ void Conv2DKernel(WindowGeometry g, const T* __restrict__ in, const T* __restrict__ filter,
                             const T* __restrict__ bias, T* __restrict__ out,
                             model::Activation activation, Epilogue epilogue) {
  const int count = g.batch * g.out_h * g.out_w * g.out_c;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    const int oc = i % g.out_c;
    int rest = i / g.out_c;
    const int ox = rest % g.out_w;
    rest /= g.out_w;
    const int oy = rest % g.out_h;
    const int n = rest / g.out_h;
    float acc = bias != nullptr ? ToFloat(bias[oc]) : 0.0f;
    for (int ky = 0; ky < g.filter_h; ++ky) {
      const int iy = oy * g.stride_h - g.pad_top + ky * g.dilation_h;
      if (iy < 0 || iy >= g.in_h) continue;
      for (int kx = 0; kx < g.filter_w; ++kx) {
        const int ix = ox * g.stride_w - g.pad_left + kx * g.dilation_w;
        if (ix < 0 || ix >= g.in_w) continue;
        const T* pixel = in + ((static_cast<size_t>(n) * g.in_h + iy) * g.in_w + ix) * g.in_c;
        const T* weights =
            filter + ((static_cast<size_t>(oc) * g.filter_h + ky) * g.filter_w + kx) * g.in_c;
        for (int ic = 0; ic < g.in_c; ++ic) acc = fmaf(ToFloat(pixel[ic]), ToFloat(weights[ic]), acc);
      }
    }
    out[i] = FromFloat<T>(ApplyEpilogue<T>(epilogue, Activate(acc, activation), i, oc));
  }
}

}  // namespace

int64_t Conv2DScratchBytes(const model::Graph& graph, const model::Node& node, const DeviceInfo& device) {
  return IsPointwise(graph, node) ? GemmScratchBytes(PointwiseShape(graph, node), device) : 0;
}

cudaError_t EnqueueConv2D(const OpLaunch& launch) {
  const float* bias = launch.inputs.size() > 2 ? launch.inputs[2] : nullptr;
  if (IsPointwise(launch.graph, launch.node)) {
    return EnqueueGemm(
        PointwiseShape(launch.graph, launch.node),
        {launch.inputs[0], launch.inputs[1], bias, launch.output, launch.node.params.activation}, launch);
  }
  const auto& filter = launch.input_tensor(1).shape;
  const WindowGeometry g = MakeWindowGeometry(launch, filter[1], filter[2], launch.node.params.dilation_h,
                                              launch.node.params.dilation_w);
  const int count = static_cast<int>(launch.output_tensor().num_elements());
  return WithStorage(launch, [&](auto zero) {
    using T = decltype(zero);
    Conv2DKernel<T><<<BlocksFor(count), kThreadsPerBlock, 0, launch.stream>>>(
        g, As<T>(launch.inputs[0]), As<T>(launch.inputs[1]), As<T>(bias), As<T>(launch.output),
        launch.node.params.activation, launch.epilogue);
    return cudaGetLastError();
  });
}

}  // namespace handtrack::backend::cuda
