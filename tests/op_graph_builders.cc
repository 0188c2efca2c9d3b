#include "op_graph_builders.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace handtrack::testing {
namespace {

using model::Activation;
using model::NodeParams;
using model::OpType;
using model::Padding;

const char* ActivationSuffix(Activation activation) {
  switch (activation) {
    case Activation::kNone:
      return "";
    case Activation::kRelu:
      return "_relu";
    case Activation::kReluN1To1:
      return "_relu_n1_to_1";
    case Activation::kRelu6:
      return "_relu6";
  }
  return "";
}

std::string WindowName(int kh, int kw, int stride, Padding padding) {
  return std::to_string(kh) + "x" + std::to_string(kw) + "_s" + std::to_string(stride) +
         (padding == Padding::kSame ? "_same" : "_valid");
}

std::string ShapeName(const std::vector<int>& shape) {
  std::string name;
  for (int d : shape) name += (name.empty() ? "" : "x") + std::to_string(d);
  return name;
}

OpCase Conv2D(const std::vector<int>& in, int out_c, int kh, int kw, int stride, Padding padding,
              Activation act, bool bias = true, int dilation = 1) {
  const std::string name = "conv2d_" + WindowName(kh, kw, stride, padding) + "_in" + ShapeName(in) + "_out" +
                           std::to_string(out_c) + (bias ? "" : "_nobias") +
                           (dilation > 1 ? "_dil" + std::to_string(dilation) : "") + ActivationSuffix(act);
  GraphBuilder b(name);
  NodeParams p;
  p.padding = padding;
  p.stride_h = p.stride_w = stride;
  p.dilation_h = p.dilation_w = dilation;
  p.activation = act;
  const int x = b.Input(in);
  const int w = b.Constant({out_c, kh, kw, in[3]}, 0.5f);
  const int bias_tensor = bias ? b.Constant({out_c}) : -1;
  const int y = b.Output({in[0], WindowOutputSize(padding, in[1], kh, stride, dilation),
                          WindowOutputSize(padding, in[2], kw, stride, dilation), out_c});
  b.AddNode(OpType::kConv2D, {x, w, bias_tensor}, {y}, p);
  return {name, b.Build()};
}

OpCase DepthwiseConv2D(const std::vector<int>& in, int multiplier, int k, int stride, Padding padding,
                       Activation act, bool bias = true, int dilation = 1) {
  const std::string name = "depthwise_conv2d_" + WindowName(k, k, stride, padding) + "_in" + ShapeName(in) +
                           (multiplier > 1 ? "_m" + std::to_string(multiplier) : "") +
                           (bias ? "" : "_nobias") + (dilation > 1 ? "_dil" + std::to_string(dilation) : "") +
                           ActivationSuffix(act);
  GraphBuilder b(name);
  NodeParams p;
  p.padding = padding;
  p.stride_h = p.stride_w = stride;
  p.dilation_h = p.dilation_w = dilation;
  p.depth_multiplier = multiplier;
  p.activation = act;
  const int channels = in[3] * multiplier;
  const int x = b.Input(in);
  const int w = b.Constant({1, k, k, channels});
  const int bias_tensor = bias ? b.Constant({channels}) : -1;
  const int y = b.Output({in[0], WindowOutputSize(padding, in[1], k, stride, dilation),
                          WindowOutputSize(padding, in[2], k, stride, dilation), channels});
  b.AddNode(OpType::kDepthwiseConv2D, {x, w, bias_tensor}, {y}, p);
  return {name, b.Build()};
}

enum class ConstantOperand { kNone, kFirst, kSecond };

OpCase Add(const std::vector<int>& a, const std::vector<int>& b_shape, const std::vector<int>& out,
           Activation act, ConstantOperand constant = ConstantOperand::kNone) {
  const char* constant_suffix[] = {"", "_const_first", "_const_second"};
  const std::string name = "add_" + ShapeName(a) + "_" + ShapeName(b_shape) +
                           constant_suffix[static_cast<int>(constant)] + ActivationSuffix(act);
  GraphBuilder b(name);
  NodeParams p;
  p.activation = act;
  const int x = constant == ConstantOperand::kFirst ? b.Constant(a, 4.0f) : b.Input(a);
  const int y = constant == ConstantOperand::kSecond ? b.Constant(b_shape, 4.0f) : b.Input(b_shape);
  const int z = b.Output(out);
  b.AddNode(OpType::kAdd, {x, y}, {z}, p);
  return {name, b.Build()};
}

OpCase PRelu(const std::vector<int>& in, const std::vector<int>& alpha) {
  const std::string name = "prelu_" + ShapeName(in) + "_alpha" + ShapeName(alpha);
  GraphBuilder b(name);
  const int x = b.Input(in);
  const int a = b.Constant(alpha);
  const int y = b.Output(in);
  b.AddNode(OpType::kPRelu, {x, a}, {y});
  return {name, b.Build()};
}

OpCase Pool(OpType op, const std::vector<int>& in, int k, int stride, Padding padding, Activation act) {
  const std::string name = std::string(op == OpType::kMaxPool2D ? "max_pool2d_" : "average_pool2d_") +
                           WindowName(k, k, stride, padding) + "_in" + ShapeName(in) + ActivationSuffix(act);
  GraphBuilder b(name);
  NodeParams p;
  p.padding = padding;
  p.stride_h = p.stride_w = stride;
  p.filter_h = p.filter_w = k;
  p.activation = act;
  const int x = b.Input(in);
  const int y = b.Output({in[0], WindowOutputSize(padding, in[1], k, stride),
                          WindowOutputSize(padding, in[2], k, stride), in[3]});
  b.AddNode(op, {x}, {y}, p);
  return {name, b.Build()};
}

OpCase Pad(const std::vector<int>& in, std::vector<int32_t> paddings) {
  std::vector<int> out = in;
  for (size_t axis = 0; axis < in.size(); ++axis) out[axis] += paddings[2 * axis] + paddings[2 * axis + 1];
  const std::string name = "pad_" + ShapeName(in) + "_to_" + ShapeName(out);
  GraphBuilder b(name);
  const int x = b.Input(in);
  const int pads = b.Int32Constant({static_cast<int>(in.size()), 2}, std::move(paddings));
  const int y = b.Output(out);
  b.AddNode(OpType::kPad, {x, pads}, {y});
  return {name, b.Build()};
}

OpCase ResizeBilinear(const std::vector<int>& in, int out_h, int out_w, bool align_corners,
                      bool half_pixel_centers) {
  const std::string mode = align_corners ? "_align_corners" : half_pixel_centers ? "_half_pixel" : "_legacy";
  const std::string name = "resize_bilinear_" + ShapeName(in) + "_to_" + std::to_string(out_h) + "x" +
                           std::to_string(out_w) + mode;
  GraphBuilder b(name);
  NodeParams p;
  p.align_corners = align_corners;
  p.half_pixel_centers = half_pixel_centers;
  const int x = b.Input(in);
  const int size = b.Int32Constant({2}, {out_h, out_w});
  const int y = b.Output({in[0], out_h, out_w, in[3]});
  b.AddNode(OpType::kResizeBilinear, {x, size}, {y}, p);
  return {name, b.Build()};
}

OpCase Reshape(const std::vector<int>& in, const std::vector<int>& out) {
  const std::string name = "reshape_" + ShapeName(in) + "_to_" + ShapeName(out);
  GraphBuilder b(name);
  const int x = b.Input(in);
  const int shape =
      b.Int32Constant({static_cast<int>(out.size())}, std::vector<int32_t>(out.begin(), out.end()));
  const int y = b.Output(out);
  b.AddNode(OpType::kReshape, {x, shape}, {y});
  return {name, b.Build()};
}

OpCase Concatenation(const std::vector<std::vector<int>>& ins, int axis, Activation act) {
  std::string name = "concatenation_axis" + std::to_string(axis);
  for (const auto& in : ins) name += "_" + ShapeName(in);
  name += ActivationSuffix(act);
  GraphBuilder b(name);
  NodeParams p;
  p.axis = axis;
  p.activation = act;
  std::vector<int> inputs;
  std::vector<int> out = ins[0];
  out[axis] = 0;
  for (const auto& in : ins) {
    inputs.push_back(b.Input(in));
    out[axis] += in[axis];
  }
  const int y = b.Output(out);
  b.AddNode(OpType::kConcatenation, inputs, {y}, p);
  return {name, b.Build()};
}

OpCase Mean(const std::vector<int>& in, const std::vector<int32_t>& axes, bool keep_dims) {
  std::string name = "mean_" + ShapeName(in) + "_axes";
  for (int32_t a : axes) name += (a < 0 ? "m" : "") + std::to_string(a < 0 ? -a : a);
  name += keep_dims ? "_keep_dims" : "";
  GraphBuilder b(name);
  NodeParams p;
  p.keep_dims = keep_dims;
  const int x = b.Input(in);
  const int axes_tensor = b.Int32Constant({static_cast<int>(axes.size())}, axes);
  const int y = b.Output(keep_dims ? std::vector<int>{in[0], 1, 1, in[3]} : std::vector<int>{in[0], in[3]});
  b.AddNode(OpType::kMean, {x, axes_tensor}, {y}, p);
  return {name, b.Build()};
}

OpCase FullyConnected(const std::vector<int>& in, int out_c, bool keep_num_dims, Activation act,
                      bool bias = true) {
  const std::string name = "fully_connected_" + ShapeName(in) + "_out" + std::to_string(out_c) +
                           (keep_num_dims ? "_keep_num_dims" : "") + (bias ? "" : "_nobias") +
                           ActivationSuffix(act);
  GraphBuilder b(name);
  NodeParams p;
  p.keep_num_dims = keep_num_dims;
  p.activation = act;
  const int in_c = in.back();
  int64_t numel = 1;
  for (int d : in) numel *= d;
  std::vector<int> out = in;
  out.back() = out_c;
  if (!keep_num_dims) out = {static_cast<int>(numel / in_c), out_c};
  const int x = b.Input(in);
  const int w = b.Constant({out_c, in_c}, 0.25f);
  const int bias_tensor = bias ? b.Constant({out_c}) : -1;
  const int y = b.Output(out);
  b.AddNode(OpType::kFullyConnected, {x, w, bias_tensor}, {y}, p);
  return {name, b.Build()};
}

OpCase Unary(OpType op, const char* op_name, const std::vector<int>& shape, float input_range) {
  const std::string name = std::string(op_name) + "_" + ShapeName(shape);
  GraphBuilder b(name);
  const int x = b.Input(shape);
  const int y = b.Output(shape);
  b.AddNode(op, {x}, {y});
  return {name, b.Build(), input_range};
}

}  // namespace

GraphBuilder::GraphBuilder(std::string name, uint32_t seed) : rng_(seed) { graph_.name = std::move(name); }

int GraphBuilder::AddTensor(std::vector<int> shape, bool constant) {
  model::Tensor tensor;
  tensor.name = "t" + std::to_string(graph_.tensors.size());
  tensor.shape = std::move(shape);
  tensor.is_constant = constant;
  graph_.tensors.push_back(std::move(tensor));
  return static_cast<int>(graph_.tensors.size()) - 1;
}

int GraphBuilder::Input(std::vector<int> shape) {
  const int index = AddTensor(std::move(shape), false);
  graph_.inputs.push_back(index);
  return index;
}

int GraphBuilder::Output(std::vector<int> shape) {
  const int index = AddTensor(std::move(shape), false);
  graph_.outputs.push_back(index);
  return index;
}

int GraphBuilder::Intermediate(std::vector<int> shape) { return AddTensor(std::move(shape), false); }

int GraphBuilder::Constant(std::vector<int> shape, float range) {
  const int index = AddTensor(std::move(shape), true);
  model::Tensor& tensor = graph_.tensors[index];
  std::uniform_real_distribution<float> uniform(-range, range);
  tensor.f32.resize(tensor.num_elements());
  for (float& v : tensor.f32) v = uniform(rng_);
  return index;
}

int GraphBuilder::Int32Constant(std::vector<int> shape, std::vector<int32_t> values) {
  const int index = AddTensor(std::move(shape), true);
  graph_.tensors[index].type = model::DataType::kInt32;
  graph_.tensors[index].i32 = std::move(values);
  return index;
}

void GraphBuilder::AddNode(model::OpType op, std::vector<int> inputs, std::vector<int> outputs,
                           model::NodeParams params) {
  model::Node node;
  node.op = op;
  node.inputs = std::move(inputs);
  node.outputs = std::move(outputs);
  node.params = params;
  node.tflite_index = static_cast<int>(graph_.nodes.size());
  graph_.nodes.push_back(std::move(node));
}

int WindowOutputSize(model::Padding padding, int input, int filter, int stride, int dilation) {
  const int effective = (filter - 1) * dilation + 1;
  if (padding == model::Padding::kSame) return (input + stride - 1) / stride;
  return (input - effective) / stride + 1;
}

std::vector<std::vector<float>> RandomInputs(const model::Graph& graph, uint32_t seed, float range) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-range, range);
  std::vector<std::vector<float>> inputs;
  for (int index : graph.inputs) {
    std::vector<float> values(graph.tensors[index].num_elements());
    for (float& v : values) v = uniform(rng);
    inputs.push_back(std::move(values));
  }
  return inputs;
}

// The hand models' residual blocks, whose convolution a backend may fuse with
// what follows it (the wasm backend does: bias, activation, ADD, PRELU in one
// store). kPalmShortcut is BlazePalm's channel-growing block, where the ADD's
// other operand (MAX_POOL_2D then PAD) is computed after the convolution.
enum class Block { kPalm, kPalmShortcut, kLandmark, kConvPrelu };

OpCase ResidualBlock(Block block, int size, int channels, int batch = 1) {
  const char* names[] = {"palm", "palm_shortcut", "landmark", "conv_prelu"};
  const std::string name = std::string("block_") + names[static_cast<int>(block)] + "_" +
                           (batch > 1 ? std::to_string(batch) + "x" : "") + std::to_string(size) + "x" +
                           std::to_string(size) + "x" + std::to_string(channels);
  GraphBuilder b(name);
  NodeParams plain;
  const int x = b.Input({batch, size, size, channels});
  if (block == Block::kConvPrelu) {  // BlazePalm's first layer: 5x5 stride 2 then PRELU
    NodeParams stride2;
    stride2.stride_h = stride2.stride_w = 2;
    const int out = (size + 1) / 2;
    const int conv = b.Intermediate({batch, out, out, 16});
    b.AddNode(OpType::kConv2D, {x, b.Constant({16, 5, 5, channels}, 0.3f), b.Constant({16})}, {conv},
              stride2);
    b.AddNode(OpType::kPRelu, {conv, b.Constant({1, 1, 16})}, {b.Output({batch, out, out, 16})});
    return {name, b.Build()};
  }
  NodeParams depthwise = plain;
  depthwise.activation = block == Block::kLandmark ? Activation::kRelu6 : Activation::kNone;
  const int k = block == Block::kLandmark ? 3 : 5;
  if (block == Block::kPalmShortcut) depthwise.stride_h = depthwise.stride_w = 2;
  const int out = block == Block::kPalmShortcut ? (size + 1) / 2 : size;
  const int out_c = block == Block::kPalmShortcut ? 2 * channels : channels;
  const int dw = b.Intermediate({batch, out, out, channels});
  b.AddNode(OpType::kDepthwiseConv2D, {x, b.Constant({1, k, k, channels}, 0.3f), b.Constant({channels})},
            {dw}, depthwise);
  const int conv = b.Intermediate({batch, out, out, out_c});
  b.AddNode(OpType::kConv2D, {dw, b.Constant({out_c, 1, 1, channels}, 0.3f), b.Constant({out_c})}, {conv},
            plain);
  int shortcut = x;
  if (block == Block::kPalmShortcut) {
    NodeParams pool;
    pool.filter_h = pool.filter_w = 2;
    pool.stride_h = pool.stride_w = 2;
    pool.padding = Padding::kValid;
    const int pooled = b.Intermediate({batch, out, out, channels});
    b.AddNode(OpType::kMaxPool2D, {x}, {pooled}, pool);
    shortcut = b.Intermediate({batch, out, out, out_c});
    b.AddNode(OpType::kPad, {pooled, b.Int32Constant({4, 2}, {0, 0, 0, 0, 0, 0, 0, channels})}, {shortcut});
  }
  if (block == Block::kLandmark) {
    b.AddNode(OpType::kAdd, {shortcut, conv}, {b.Output({batch, out, out, out_c})});
    return {name, b.Build()};
  }
  const int sum = b.Intermediate({batch, out, out, out_c});
  b.AddNode(OpType::kAdd, {conv, shortcut}, {sum});
  b.AddNode(OpType::kPRelu, {sum, b.Constant({1, 1, out_c})}, {b.Output({batch, out, out, out_c})});
  return {name, b.Build()};
}

std::vector<OpCase> LargeBatchOpCases() {
  constexpr Padding kSame = Padding::kSame, kValid = Padding::kValid;
  constexpr Activation kNone = Activation::kNone, kRelu = Activation::kRelu, kRelu6 = Activation::kRelu6;
  return {
      // 1x1 convolutions: K a multiple of 32 and not (the zero-filled tail), N below,
      // at and above one 64-wide tile, odd N, no bias.
      Conv2D({8, 56, 56, 24}, 144, 1, 1, 1, kValid, kRelu6),
      Conv2D({16, 28, 28, 40}, 240, 1, 1, 1, kValid, kNone),
      Conv2D({16, 48, 48, 64}, 6, 1, 1, 1, kValid, kNone),
      Conv2D({16, 24, 24, 128}, 108, 1, 1, 1, kValid, kRelu, /*bias=*/false),
      Conv2D({64, 14, 14, 480}, 80, 1, 1, 1, kValid, kNone),
      Conv2D({32, 12, 12, 256}, 35, 1, 1, 1, kValid, kRelu),
      // First layers: 3 channels in, 8-channel groups out.
      Conv2D({16, 64, 64, 3}, 24, 3, 3, 2, kSame, kRelu6),
      Conv2D({8, 96, 96, 3}, 32, 5, 5, 2, kSame, kNone),
      // Depthwise: both filters, both strides, odd widths (a partial 4-pixel tile).
      DepthwiseConv2D({16, 56, 56, 144}, 1, 3, 1, kSame, kRelu6),
      DepthwiseConv2D({64, 57, 57, 64}, 1, 3, 2, kSame, kNone),
      DepthwiseConv2D({32, 41, 41, 240}, 1, 5, 1, kSame, kRelu),
      DepthwiseConv2D({64, 56, 56, 144}, 1, 5, 2, kSame, kNone, /*bias=*/false),
      DepthwiseConv2D({64, 50, 50, 32}, 1, 5, 2, kValid, kRelu6),
      // Batches of a few frames, where the CUDA backend now takes the row tiles too (from 128
      // threads per multiprocessor: cuda.small_depthwise_row_tiles).
      DepthwiseConv2D({4, 48, 48, 64}, 1, 5, 1, kSame, kRelu),
      DepthwiseConv2D({8, 28, 28, 128}, 1, 3, 1, kSame, kNone),
      DepthwiseConv2D({8, 95, 95, 32}, 1, 5, 2, kSame, kRelu6),
      // BlazePalm's channel-growing block on three frames, the palm model's first such block's
      // shape: the ADD's pooled and padded operand, folded into the convolution's epilogue,
      // is read from the right frame and pixel.
      ResidualBlock(Block::kPalmShortcut, 96, 32, /*batch=*/3),
      // A filter too large for shared memory (5 x 5 x 1152 floats): read from global memory.
      DepthwiseConv2D({16, 14, 14, 1152}, 1, 5, 1, kSame, kNone),
      // First layers at a batch where the CUDA backend takes its 4-pixel strip kernel
      // (3 channels in, stride 2, 3x3 or 5x5): the palm and landmark models' shapes, a
      // width that leaves a partial strip (95 = 4 * 23 + 3), VALID with no bias.
      Conv2D({16, 192, 192, 3}, 32, 5, 5, 2, kSame, kNone),
      Conv2D({16, 224, 224, 3}, 24, 3, 3, 2, kSame, kRelu6),
      Conv2D({8, 190, 190, 3}, 32, 5, 5, 2, kSame, kRelu),
      Conv2D({16, 191, 191, 3}, 16, 3, 3, 2, kValid, kNone, /*bias=*/false),
      // Channel-vectorized kernels (16-byte vectors: 4 floats, 8 halves). Channel
      // counts that are multiples of 8 take them in both precisions; 36, 20, 12 and 4
      // only in fp32 (fp16 takes the element-wise kernels).
      Pad({32, 48, 48, 32}, {0, 0, 0, 0, 0, 0, 0, 32}),
      Pad({16, 24, 24, 64}, {0, 0, 1, 1, 1, 1, 8, 8}),
      Pad({16, 40, 40, 4}, {0, 0, 0, 0, 0, 0, 0, 4}),
      Pad({16, 30, 30, 12}, {0, 0, 2, 0, 0, 3, 0, 0}),
      Pool(OpType::kMaxPool2D, {32, 96, 96, 32}, 2, 2, kValid, kNone),
      Pool(OpType::kMaxPool2D, {16, 47, 47, 16}, 2, 2, kSame, kRelu),
      Pool(OpType::kMaxPool2D, {16, 24, 24, 36}, 2, 2, kValid, kNone),
      Pool(OpType::kAveragePool2D, {16, 24, 24, 64}, 3, 1, kSame, kRelu6),
      Pool(OpType::kAveragePool2D, {16, 25, 25, 20}, 2, 2, kSame, kNone),
      Add({32, 48, 48, 64}, {32, 48, 48, 64}, {32, 48, 48, 64}, kNone),
      Add({16, 24, 24, 36}, {16, 24, 24, 36}, {16, 24, 24, 36}, kRelu6),
      Add({16, 24, 24, 64}, {16, 24, 24, 64}, {16, 24, 24, 64}, kRelu, ConstantOperand::kSecond),
      ResizeBilinear({32, 12, 12, 256}, 24, 24, false, true),
      ResizeBilinear({16, 6, 6, 256}, 12, 12, true, false),
      ResizeBilinear({16, 12, 12, 36}, 24, 24, false, false),
      PRelu({32, 48, 48, 64}, {64}),
      PRelu({16, 24, 24, 36}, {1, 1, 36}),
      Concatenation({{16, 12, 12, 64}, {16, 12, 12, 24}}, 3, kNone),
      Concatenation({{16, 12, 12, 20}, {16, 12, 12, 12}}, 3, kRelu),
      Concatenation({{32, 864, 18}, {32, 1152, 18}}, 1, kNone),
      // ADD -> ADD -> PRELU and ADD -> PRELU: the palm blocks' endings, which the CUDA
      // backend folds into the first ADD's kernel (residual and PReLU slopes loaded as
      // vectors), on 64 channels (both precisions vectorized) and 36 (fp32 only).
      [] {
        GraphBuilder b("add_add_prelu_16x24x24x64");
        const std::vector<int> shape = {16, 24, 24, 64};
        const int x = b.Input(shape), y = b.Input(shape), skip = b.Input(shape);
        const int sum = b.Intermediate(shape), sum2 = b.Intermediate(shape), out = b.Output(shape);
        NodeParams relu;
        relu.activation = kRelu;
        b.AddNode(OpType::kAdd, {x, y}, {sum});
        b.AddNode(OpType::kAdd, {sum, skip}, {sum2}, relu);
        b.AddNode(OpType::kPRelu, {sum2, b.Constant({1, 1, 64})}, {out});
        return OpCase{"add_add_prelu_16x24x24x64", b.Build()};
      }(),
      [] {
        GraphBuilder b("add_prelu_16x24x24x36");
        const std::vector<int> shape = {16, 24, 24, 36};
        const int x = b.Input(shape), y = b.Input(shape);
        const int sum = b.Intermediate(shape), out = b.Output(shape);
        b.AddNode(OpType::kAdd, {x, y}, {sum});
        b.AddNode(OpType::kPRelu, {sum, b.Constant({36})}, {out});
        return OpCase{"add_prelu_16x24x24x36", b.Build()};
      }(),
  };
}

std::vector<OpCase> SmallProductOpCases() {
  constexpr Padding kValid = Padding::kValid;
  constexpr Activation kNone = Activation::kNone, kRelu = Activation::kRelu, kRelu6 = Activation::kRelu6;
  return {
      Conv2D({1, 12, 12, 256}, 256, 1, 1, 1, kValid, kRelu),
      Conv2D({1, 6, 6, 256}, 256, 1, 1, 1, kValid, kNone),
      Conv2D({1, 7, 7, 1152}, 192, 1, 1, 1, kValid, kNone),
      Conv2D({2, 9, 9, 200}, 24, 1, 1, 1, kValid, kRelu6),
      Conv2D({1, 24, 24, 128}, 35, 1, 1, 1, kValid, kNone, /*bias=*/false),
      Conv2D({1, 5, 5, 40}, 13, 1, 1, 1, kValid, kRelu),
      Conv2D({4, 48, 48, 64}, 64, 1, 1, 1, kValid, kNone),
      FullyConnected({1, 1152}, 63, false, kNone),
      FullyConnected({3, 1152}, 1, false, kNone),
      FullyConnected({2, 256}, 17, false, kRelu, /*bias=*/false),
      // One warp per output (cuda.warp_products) up to 16 rows, K not a multiple of 4; then tiles.
      FullyConnected({4, 37}, 9, false, kRelu6),
      FullyConnected({16, 300}, 40, false, kNone),
      FullyConnected({17, 1152}, 63, false, kNone),
  };
}

std::vector<OpCase> AllOpCases() {
  constexpr Padding kSame = Padding::kSame;
  constexpr Padding kValid = Padding::kValid;
  constexpr Activation kNone = Activation::kNone;
  constexpr Activation kRelu = Activation::kRelu;
  constexpr Activation kRelu6 = Activation::kRelu6;
  constexpr Activation kReluN1 = Activation::kReluN1To1;
  return {
      // CONV_2D: the palm models' 5x5 stride-2 SAME convolutions need the extra pixel bottom/right.
      Conv2D({1, 5, 7, 3}, 13, 1, 1, 1, kValid, kNone),
      Conv2D({1, 9, 11, 6}, 10, 3, 3, 1, kSame, kRelu),
      Conv2D({1, 12, 14, 3}, 16, 5, 5, 2, kSame, kRelu6),
      Conv2D({1, 13, 11, 5}, 7, 5, 5, 2, kSame, kNone),
      Conv2D({1, 10, 9, 4}, 9, 3, 3, 2, kValid, kReluN1),
      Conv2D({1, 8, 8, 12}, 17, 2, 2, 2, kSame, kNone, /*bias=*/false),
      Conv2D({2, 11, 10, 3}, 5, 3, 3, 1, kSame, kNone, true, /*dilation=*/2),
      Conv2D({1, 3, 3, 37}, 11, 3, 3, 1, kSame, kRelu),
      Conv2D({1, 64, 64, 3}, 32, 5, 5, 2, kSame, kNone),
      Conv2D({1, 1, 1, 3}, 2, 3, 3, 1, kSame, kNone),
      // DEPTHWISE_CONV_2D
      DepthwiseConv2D({1, 9, 7, 13}, 1, 3, 1, kSame, kNone),
      DepthwiseConv2D({1, 12, 12, 10}, 1, 5, 2, kSame, kRelu6),
      DepthwiseConv2D({1, 11, 13, 9}, 1, 5, 2, kSame, kRelu),
      DepthwiseConv2D({1, 10, 9, 17}, 1, 3, 1, kValid, kReluN1),
      DepthwiseConv2D({1, 8, 8, 3}, 2, 3, 1, kSame, kNone),
      DepthwiseConv2D({1, 7, 8, 5}, 1, 3, 2, kSame, kNone, /*bias=*/false),
      DepthwiseConv2D({2, 10, 11, 6}, 1, 3, 1, kSame, kNone, true, /*dilation=*/2),
      // The XNNPACK backend's own depthwise kernel (3x3 and 5x5, stride 1 or 2, 16 channels per vector, up to
      // 8 output pixels per block): channels below, above and between multiples of 16, rows of several
      // pixel blocks with a partial last one, inputs smaller than the filter, batches, every activation.
      DepthwiseConv2D({1, 9, 11, 24}, 1, 3, 1, kSame, kRelu6),
      DepthwiseConv2D({1, 10, 10, 40}, 1, 5, 2, kSame, kRelu),
      DepthwiseConv2D({1, 7, 9, 1}, 1, 3, 2, kSame, kNone),
      DepthwiseConv2D({1, 13, 11, 40}, 1, 5, 1, kSame, kNone),
      DepthwiseConv2D({1, 11, 9, 24}, 1, 3, 2, kValid, kRelu6),
      DepthwiseConv2D({1, 8, 12, 24}, 1, 3, 2, kSame, kRelu),
      DepthwiseConv2D({1, 15, 17, 33}, 1, 5, 2, kSame, kRelu6),
      DepthwiseConv2D({1, 6, 29, 16}, 1, 3, 1, kSame, kRelu),
      DepthwiseConv2D({1, 7, 12, 16}, 1, 5, 1, kValid, kReluN1),
      DepthwiseConv2D({2, 8, 9, 24}, 1, 5, 1, kSame, kNone),
      DepthwiseConv2D({1, 2, 3, 24}, 1, 5, 2, kSame, kRelu6),
      DepthwiseConv2D({1, 1, 1, 17}, 1, 3, 1, kSame, kNone),
      DepthwiseConv2D({1, 9, 9, 40}, 1, 5, 1, kSame, kRelu6, /*bias=*/false),
      DepthwiseConv2D({1, 6, 7, 144}, 1, 5, 2, kSame, kNone),
      DepthwiseConv2D({1, 9, 10, 16}, 2, 5, 2, kSame, kRelu),
      DepthwiseConv2D({1, 10, 9, 16}, 1, 2, 2, kSame, kNone),
      DepthwiseConv2D({1, 11, 11, 24}, 1, 7, 1, kSame, kRelu6),
      // ADD
      Add({1, 7, 9, 13}, {1, 7, 9, 13}, {1, 7, 9, 13}, kNone),
      Add({1, 5, 6, 11}, {1, 5, 6, 11}, {1, 5, 6, 11}, kRelu),
      Add({1, 5, 6, 11}, {1, 5, 6, 11}, {1, 5, 6, 11}, kRelu6),
      Add({1, 5, 6, 11}, {1, 5, 6, 11}, {1, 5, 6, 11}, kReluN1),
      Add({1, 5, 5, 11}, {1, 5, 5, 11}, {1, 5, 5, 11}, kNone, ConstantOperand::kSecond),
      Add({2, 3}, {2, 3}, {2, 3}, kRelu6, ConstantOperand::kFirst),
      Add({3, 1, 4, 2, 5}, {3, 1, 4, 2, 5}, {3, 1, 4, 2, 5}, kRelu),
      // PRELU
      PRelu({1, 9, 7, 13}, {1, 1, 13}),
      PRelu({1, 6, 6, 32}, {32}),
      // MAX_POOL_2D and AVERAGE_POOL_2D
      Pool(OpType::kMaxPool2D, {1, 8, 10, 7}, 2, 2, kValid, kNone),
      Pool(OpType::kMaxPool2D, {1, 9, 11, 5}, 2, 2, kSame, kNone),
      Pool(OpType::kMaxPool2D, {1, 9, 7, 3}, 2, 2, kValid, kNone),
      Pool(OpType::kMaxPool2D, {1, 10, 10, 4}, 3, 2, kSame, kRelu),
      Pool(OpType::kMaxPool2D, {2, 7, 6, 9}, 3, 1, kSame, kRelu6),
      Pool(OpType::kMaxPool2D, {1, 8, 8, 3}, 2, 3, kValid, kNone),
      Pool(OpType::kAveragePool2D, {1, 8, 6, 7}, 2, 2, kValid, kNone),
      Pool(OpType::kAveragePool2D, {1, 7, 9, 5}, 3, 1, kSame, kNone),
      Pool(OpType::kAveragePool2D, {1, 11, 9, 3}, 3, 2, kSame, kReluN1),
      Pool(OpType::kAveragePool2D, {1, 9, 9, 6}, 2, 2, kSame, kRelu6),
      Pool(OpType::kAveragePool2D, {1, 8, 7, 3}, 2, 3, kSame, kNone),
      // PAD
      Pad({1, 6, 6, 5}, {0, 0, 0, 0, 0, 0, 0, 4}),
      Pad({1, 12, 12, 32}, {0, 0, 0, 0, 0, 0, 0, 32}),
      Pad({1, 5, 4, 3}, {0, 0, 1, 2, 2, 1, 0, 0}),
      Pad({2, 7, 3}, {1, 0, 0, 3, 2, 2}),
      // RESIZE_BILINEAR
      ResizeBilinear({1, 6, 6, 7}, 12, 12, false, true),
      ResizeBilinear({1, 5, 7, 3}, 9, 4, false, true),
      ResizeBilinear({1, 5, 5, 3}, 9, 8, true, false),
      ResizeBilinear({1, 4, 5, 2}, 7, 10, false, false),
      ResizeBilinear({1, 1, 1, 3}, 4, 4, true, false),
      ResizeBilinear({1, 4, 4, 3}, 1, 1, true, false),
      ResizeBilinear({1, 7, 5, 9}, 3, 2, false, true),
      // RESHAPE
      Reshape({1, 4, 4, 6}, {1, 32, 3}),
      Reshape({1, 2, 3, 4}, {24}),
      Reshape({1, 63}, {1, 21, 3}),
      // CONCATENATION
      Concatenation({{1, 32, 3}, {1, 20, 3}}, 1, kNone),
      Concatenation({{1, 3, 4, 5}, {1, 3, 4, 2}, {1, 3, 4, 7}}, 3, kNone),
      Concatenation({{2, 3}, {1, 3}}, 0, kNone),
      Concatenation({{1, 5, 2}, {1, 7, 2}}, 1, kRelu6),
      // MEAN
      Mean({1, 7, 7, 23}, {1, 2}, false),
      Mean({2, 5, 3, 6}, {2, 1}, true),
      // FULLY_CONNECTED
      FullyConnected({1, 37}, 13, false, kNone),
      FullyConnected({3, 10}, 7, false, kRelu, /*bias=*/false),
      FullyConnected({1, 2, 3, 8}, 5, false, kRelu6),
      FullyConnected({1, 2, 3, 8}, 5, true, kNone),
      // LOGISTIC, RELU, RELU6
      Unary(OpType::kLogistic, "logistic", {1, 63}, 12),
      Unary(OpType::kLogistic, "logistic", {2, 3, 5, 7}, 4),
      Unary(OpType::kLogistic, "logistic", {1, 2, 2, 2, 3}, 4),
      Unary(OpType::kRelu, "relu", {1, 5, 7, 11}, 4),
      Unary(OpType::kRelu6, "relu6", {3, 17}, 9),
      // Residual blocks (fusion across nodes), with partial weight panels and odd sizes.
      ResidualBlock(Block::kPalm, 11, 12),
      ResidualBlock(Block::kPalmShortcut, 10, 8),
      ResidualBlock(Block::kLandmark, 9, 20),
      ResidualBlock(Block::kConvPrelu, 13, 3),
  };
}

std::vector<OpCase> BeyondReaderOpCases() {
  return {
      Add({1, 5, 5, 11}, {11}, {1, 5, 5, 11}, Activation::kNone, ConstantOperand::kSecond),
      Add({1, 3}, {2, 3}, {2, 3}, Activation::kRelu6, ConstantOperand::kFirst),
      Add({1, 4, 3, 5}, {1, 1, 1, 1}, {1, 4, 3, 5}, Activation::kNone),
      Add({1, 4, 1, 5}, {1, 1, 3, 1}, {1, 4, 3, 5}, Activation::kNone),
      PRelu({1, 4, 5, 7}, {1}),
      Mean({1, 4, 6, 9}, {-3, -2}, false),
  };
}

model::Graph ChainOfOpsGraph() {
  GraphBuilder b("chain");
  const int x = b.Input({1, 12, 12, 5});
  const int w = b.Constant({8, 3, 3, 5}, 0.5f), bias = b.Constant({8});
  const int conv = b.Output({1, 6, 6, 8});
  model::NodeParams stride2;
  stride2.stride_h = stride2.stride_w = 2;
  b.AddNode(model::OpType::kConv2D, {x, w, bias}, {conv}, stride2);
  const int alpha = b.Constant({1, 1, 8}), prelu = b.Intermediate({1, 6, 6, 8});
  b.AddNode(model::OpType::kPRelu, {conv, alpha}, {prelu});
  const int sum = b.Intermediate({1, 6, 6, 8});
  b.AddNode(model::OpType::kAdd, {prelu, conv}, {sum});
  const int pads = b.Int32Constant({4, 2}, {0, 0, 0, 0, 0, 0, 0, 3}), padded = b.Intermediate({1, 6, 6, 11});
  b.AddNode(model::OpType::kPad, {sum, pads}, {padded});
  const int size = b.Int32Constant({2}, {12, 12}), resized = b.Output({1, 12, 12, 11});
  model::NodeParams half_pixel;
  half_pixel.half_pixel_centers = true;
  b.AddNode(model::OpType::kResizeBilinear, {padded, size}, {resized}, half_pixel);
  return b.Build();
}

backend::SegmentSpec WholeGraph(const model::Graph& graph) {
  backend::SegmentSpec spec;
  for (int i = 0; i < static_cast<int>(graph.nodes.size()); ++i) spec.nodes.push_back(i);
  spec.inputs = graph.inputs;
  spec.outputs = graph.outputs;
  return spec;
}

HostBuffers::HostBuffers(const model::Graph& graph, const Tensors& inputs) : storage(graph.tensors.size()) {
  tensors.data.assign(graph.tensors.size(), nullptr);
  for (size_t t = 0; t < graph.tensors.size(); ++t) {
    if (graph.tensors[t].is_constant) continue;
    storage[t].assign(graph.tensors[t].num_elements() + backend::kHostBufferSlackFloats, NAN);
    tensors.data[t] = storage[t].data();
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::copy(inputs[i].begin(), inputs[i].end(), tensors.data[graph.inputs[i]]);
  }
}

Tensors HostBuffers::Outputs(const model::Graph& graph) const {
  Tensors outputs;
  for (int t : graph.outputs) {
    outputs.emplace_back(storage[t].begin(), storage[t].begin() + graph.tensors[t].num_elements());
  }
  return outputs;
}

}  // namespace handtrack::testing
