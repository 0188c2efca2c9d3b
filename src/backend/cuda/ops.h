// The ops the CUDA backend runs, listed once (ops.cc), one file per op
// (<op>.cu). Each op enqueues its kernels for one node on a stream that is
// being captured into the segment's CUDA graph; it runs once per Compile, so
// host-side work there (reading int32 operands, planning a GEMM) costs nothing
// per inference.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <span>

#include "base/yuv_rgb.h"
#include "handtrack/status.h"
#include "model/graph.h"

namespace handtrack::backend::cuda {

// Kernels index elements with 32-bit ints (64-bit division is slow on GPUs):
// Supports() keeps every tensor under 2^30 elements, so that a grid-stride
// index plus the largest stride never overflows.
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 30;

// What kernels are planned for; read once per segment.
struct DeviceInfo {
  int index = 0;  // the CUDA device (ModelOptions::device) the segment lives on
  int multiprocessors = 1;
  // major * 10 + minor, e.g. 90 for Hopper. The tensor-core GEMM (mma.sync,
  // cp.async) needs 80 or more; older GPUs run the CUDA-core kernels.
  int compute_capability = 0;
  // cudaDevAttrMaxSharedMemoryPerBlockOptin: the shared memory one block may have (48 KiB
  // without opting in; kernels that want more set cudaFuncAttributeMaxDynamicSharedMemorySize).
  int max_shared_bytes_per_block = 48 * 1024;
  // Setting "cuda.tensor_cores" "0" keeps every product on the CUDA cores.
  bool tensor_cores = true;
  // Setting "cuda.small_tensor_cores" "0" keeps fp16 products too small for
  // 128-row tiles on every multiprocessor (small batches) on the CUDA cores.
  bool small_tensor_cores = true;
  // Depthwise layers take the row-tiled kernel from 128 threads per multiprocessor (batches of
  // a few frames); setting "cuda.small_depthwise_row_tiles" "0" keeps it to launches of 1024.
  bool small_depthwise_row_tiles = true;
  // Kernels whose taps are unrolled at compile time, every load of a filter row (depthwise: of
  // the whole filter) issued before the first multiply-add: the depthwise layers the row tiles
  // do not take (3x3 and 5x5), and the first layers (3 channels in) at batches too small for
  // the 4-pixel strips. Setting "cuda.unrolled_taps" "0" keeps both on the generic kernels,
  // which wait for memory once per tap.
  bool unrolled_taps = true;
  // fp16 depthwise layers sum each filter row's taps in half precision (HFMA2, two channels
  // per instruction, no conversions) and add the row sums into float sums; "0" sums every tap
  // in float as fp32 layers do. Setting "cuda.half_row_sums".
  bool half_row_sums = true;
  // Products with too few output tiles to fill the GPU are split over K into partial sums that
  // a second kernel adds up; each split covers at least this many values of K. A split saves
  // part of each block's chain of K steps but costs that second launch, so short products are
  // better left whole. Setting "cuda.split_min_k" (a positive integer).
  int split_min_k = 64;
  // How many blocks a product split over K aims for per multiprocessor. Setting
  // "cuda.split_blocks_per_sm" (a positive integer).
  int split_blocks_per_multiprocessor = 2;
  // How many groups of 4 warps one block of a split fp16 product on the tensor cores splits its
  // K range between (1, 2, 4 or 8): the groups sum their partials through shared memory in group
  // order, so a product split into S parts needs S / k_groups blocks per output tile, and none
  // of the second kernel's launches when S <= k_groups. Setting "cuda.k_groups".
  int k_groups = 4;
  // Products of at most 16 rows (fully connected layers at small batches) on a kernel with one
  // warp per output instead of 64-row tiles split over K (gemm.cu). Setting
  // "cuda.warp_products" "0" keeps them on the tiled GEMMs.
  bool warp_products = true;
};

// Folded ADD / PRELU nodes (see fusion.h), applied to each output value v of
// a kernel after its own bias and activation, in this order:
//   v = residual_activation(v + residual[i]);  v = v >= 0 ? v : v * prelu_alpha[channel]
// where i is the value's index and channel its index along the last axis.
struct Epilogue {
  const float* residual = nullptr;  // none when nullptr
  model::Activation residual_activation = model::Activation::kNone;
  const float* prelu_alpha = nullptr;  // none when nullptr
  // A MAX_POOL (2x2, stride 2) and channel PAD folded in front of the ADD (fusion.h), used
  // instead of `residual`: the ADD's operand at output pixel (n, y, x), channel c, is the
  // largest value of pooled_input's 2x2 window at (2y, 2x), channel c, when c < pooled_channels,
  // else 0 (the PAD's zeros). pooled_input is [n, 2 * out_h, 2 * out_w, pooled_channels], a
  // multiple of 8 channels; out_* are the shape of the kernel's output. None when nullptr.
  const float* pooled_input = nullptr;
  int pooled_channels = 0;
  int out_h = 0, out_w = 0, out_c = 0;
};

// One node's launch: device pointers of its tensors, and where to enqueue.
struct OpLaunch {
  const model::Graph& graph;
  const model::Node& node;
  // Per node input: the device data of a float32 tensor; nullptr for an
  // absent optional input and for int32 operands, which ops read from the
  // graph on the host.
  std::span<const float* const> inputs;
  float* output;             // device data of the step's output (node.outputs[0], or a folded node's)
  const Epilogue& epilogue;  // all-null unless the op's entry takes epilogues
  float* scratch;            // the entry's scratch_bytes() for this node alone; nullptr when 0
  const DeviceInfo& device;
  cudaStream_t stream;
  // Precision::kFp16: every float tensor on the device (weights, activations,
  // epilogue operands) holds __half values behind these float pointers; the
  // kernels convert to float, accumulate in float and store __half. Scratch
  // stays float.
  bool half = false;

  const model::Tensor& input_tensor(size_t i) const { return graph.tensors[node.inputs[i]]; }
  const model::Tensor& output_tensor() const { return graph.tensors[node.outputs[0]]; }
};

// Unsupported with a reason when the op cannot run a node the model reader
// accepted; nullptr in the table when it runs them all.
using SupportsFn = Status (*)(const model::Graph& graph, const model::Node& node);
// Device scratch a node needs while it runs (shared with other nodes' data
// otherwise); nullptr in the table for none.
using ScratchBytesFn = int64_t (*)(const model::Graph& graph, const model::Node& node,
                                   const DeviceInfo& device);
// Enqueues the node's kernels; returns the first launch error.
using EnqueueFn = cudaError_t (*)(const OpLaunch& launch);

struct OpEntry {
  SupportsFn supports = nullptr;
  ScratchBytesFn scratch_bytes = nullptr;
  EnqueueFn enqueue = nullptr;
  bool takes_epilogue = false;  // the kernel applies OpLaunch::epilogue
};

// The entry of `op`, or nullptr when the backend has no kernel for it (the
// node then goes to another backend; see backend/op_table.h).
const OpEntry* FindOp(model::OpType op);

// Whether `op`'s kernel applies an epilogue.
bool TakesEpilogue(model::OpType op);

// Declared for every op of model/op_list.h; an op is implemented when its
// <op>.cu defines Enqueue<Op> and ops.cc has its row.
#define HANDTRACK_CUDA_DECLARE_OP(name, tflite_name, builtin, options) \
  cudaError_t Enqueue##name(const OpLaunch& launch);
HANDTRACK_OP_LIST(HANDTRACK_CUDA_DECLARE_OP)
#undef HANDTRACK_CUDA_DECLARE_OP
// Ops' own support checks and scratch sizes, where they need them.
int64_t Conv2DScratchBytes(const model::Graph& graph, const model::Node& node, const DeviceInfo& device);
int64_t FullyConnectedScratchBytes(const model::Graph& graph, const model::Node& node,
                                   const DeviceInfo& device);
Status SupportsPad(const model::Graph& graph, const model::Node& node);

// fp16 segments: a staged float32 input into its __half tensor (`out` holds
// __half values), and a __half output (`in`) into float32 for the host.
cudaError_t EnqueueFloatToHalf(const float* in, float* out, int64_t count, cudaStream_t stream);
cudaError_t EnqueueHalfToFloat(const float* in, float* out, int64_t count, cudaStream_t stream);

// Several __half tensors into float32 in one launch (a segment's outputs before their copy out).
struct HalfToFloatCopy {
  const float* in = nullptr;  // __half values
  float* out = nullptr;
  int64_t count = 0;
};
inline constexpr int kMaxHalfToFloatCopies = 8;
// At most kMaxHalfToFloatCopies copies; more is an invalid value.
cudaError_t EnqueueHalfToFloatCopies(std::span<const HalfToFloatCopy> copies, cudaStream_t stream);

// Pre-processing (backend/image_sampling.h): one frame's image and grid, as
// the sampling kernel reads them from device memory.
struct ImageSamplingParams {
  const uint8_t* pixels = nullptr;  // device address; nullptr: the frame is zeros
  int64_t stride_bytes = 0;
  int width = 0;
  int height = 0;
  int bytes_per_pixel = 3;
  int swap_red_blue = 0;
  int replicate_border = 0;
  // NV12 (chroma set): `pixels` is the luma plane, each pixel converted by YuvPixelToRgb.
  const uint8_t* chroma = nullptr;
  int64_t chroma_stride_bytes = 0;
  YuvToRgbCoefficients yuv;
  const uint32_t* rgb_table = nullptr;  // set: the conversion, instead of `yuv`
  double origin_x = 0, origin_y = 0;
  double column_step_x = 0, column_step_y = 0;
  double row_step_x = 0, row_step_y = 0;
};

// Samples `frames` images (params: a device array) into float RGB NHWC tensors
// of out_height x out_width, back to back at `out`, with the CPU samplers' bits;
// `half`: `out` holds __half values, each the float value rounded to nearest.
cudaError_t EnqueueImageSampling(const ImageSamplingParams* params, int frames, int out_width, int out_height,
                                 float* out, cudaStream_t stream, bool half = false);

// cudaSuccess when this build holds kernels the current device can run
// (machine code for it, or PTX it can compile); the error otherwise.
cudaError_t ProbeKernelImage();

}  // namespace handtrack::backend::cuda
