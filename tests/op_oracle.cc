// The naive loops moved here from xnnpack_backend_test.cc, so that every
// backend test (backend_op_test above all) can judge the cases the reference
// backend does not run.
#include "op_oracle.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "backend/backend.h"
#include "backend/reference/reference_backend.h"
#include "model/tflite_reader.h"

namespace handtrack::testing {
namespace {

float Activate(float x, model::Activation activation) {
  switch (activation) {
    case model::Activation::kNone:
      return x;
    case model::Activation::kRelu:
      return std::max(x, 0.0f);
    case model::Activation::kReluN1To1:
      return std::clamp(x, -1.0f, 1.0f);
    case model::Activation::kRelu6:
      return std::clamp(x, 0.0f, 6.0f);
  }
  return x;
}

int PadBefore(model::Padding padding, int in, int out, int filter, int stride, int dilation) {
  if (padding == model::Padding::kValid) return 0;
  return std::max((out - 1) * stride + (filter - 1) * dilation + 1 - in, 0) / 2;
}

// Row-major strides of a shape, broadcast (stride 0) where the dim is 1 and
// right-aligned to `rank`.
std::vector<int64_t> BroadcastStrides(const std::vector<int>& shape, size_t rank) {
  std::vector<int64_t> strides(rank, 0);
  int64_t stride = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    const size_t dim = shape.size() - 1 - i;
    strides[rank - 1 - i] = shape[dim] == 1 ? 0 : stride;
    stride *= shape[dim];
  }
  return strides;
}

class NaiveInterpreter {
 public:
  NaiveInterpreter(const model::Graph& graph, const Tensors& inputs)
      : g_(graph), values_(graph.tensors.size()) {
    for (size_t t = 0; t < graph.tensors.size(); ++t) {
      if (graph.tensors[t].is_constant) values_[t] = graph.tensors[t].f32;
    }
    for (size_t i = 0; i < inputs.size(); ++i) values_[graph.inputs[i]] = inputs[i];
  }

  Tensors Run() {
    for (const model::Node& node : g_.nodes) {
      values_[node.outputs[0]].assign(g_.tensors[node.outputs[0]].num_elements(), 0.0f);
      Eval(node);
    }
    Tensors outputs;
    for (int t : g_.outputs) outputs.push_back(values_[t]);
    return outputs;
  }

 private:
  const std::vector<int>& Shape(int t) const { return g_.tensors[t].shape; }

  void Eval(const model::Node& n) {
    const model::NodeParams& p = n.params;
    std::vector<float>& out = values_[n.outputs[0]];
    const std::vector<float>& in = values_[n.inputs[0]];
    const std::vector<int>& is = Shape(n.inputs[0]);
    const std::vector<int>& os = Shape(n.outputs[0]);
    switch (n.op) {
      case model::OpType::kConv2D:
      case model::OpType::kDepthwiseConv2D: {
        const bool depthwise = n.op == model::OpType::kDepthwiseConv2D;
        const std::vector<float>& w = values_[n.inputs[1]];
        const std::vector<int>& ws = Shape(n.inputs[1]);
        const bool has_bias = n.inputs.size() > 2 && n.inputs[2] >= 0;
        const int kh = ws[1], kw = ws[2], ic = is[3], oc = os[3];
        const int pt = PadBefore(p.padding, is[1], os[1], kh, p.stride_h, p.dilation_h);
        const int pl = PadBefore(p.padding, is[2], os[2], kw, p.stride_w, p.dilation_w);
        for (int b = 0; b < os[0]; ++b)
          for (int oy = 0; oy < os[1]; ++oy)
            for (int ox = 0; ox < os[2]; ++ox)
              for (int o = 0; o < oc; ++o) {
                double acc = has_bias ? values_[n.inputs[2]][o] : 0.0;
                for (int ky = 0; ky < kh; ++ky)
                  for (int kx = 0; kx < kw; ++kx) {
                    const int iy = oy * p.stride_h - pt + ky * p.dilation_h;
                    const int ix = ox * p.stride_w - pl + kx * p.dilation_w;
                    if (iy < 0 || iy >= is[1] || ix < 0 || ix >= is[2]) continue;
                    const float* pixel = &in[((int64_t(b) * is[1] + iy) * is[2] + ix) * ic];
                    if (depthwise) {
                      acc += double(pixel[o / (oc / ic)]) * w[(ky * kw + kx) * oc + o];
                    } else {
                      for (int c = 0; c < ic; ++c)
                        acc += double(pixel[c]) * w[((o * kh + ky) * kw + kx) * ic + c];
                    }
                  }
                out[((int64_t(b) * os[1] + oy) * os[2] + ox) * oc + o] = Activate(float(acc), p.activation);
              }
        break;
      }
      case model::OpType::kMaxPool2D:
      case model::OpType::kAveragePool2D: {
        const bool max = n.op == model::OpType::kMaxPool2D;
        const int pt = PadBefore(p.padding, is[1], os[1], p.filter_h, p.stride_h, 1);
        const int pl = PadBefore(p.padding, is[2], os[2], p.filter_w, p.stride_w, 1);
        for (int b = 0; b < os[0]; ++b)
          for (int oy = 0; oy < os[1]; ++oy)
            for (int ox = 0; ox < os[2]; ++ox)
              for (int c = 0; c < os[3]; ++c) {
                double acc = max ? -INFINITY : 0.0;
                int count = 0;
                for (int ky = 0; ky < p.filter_h; ++ky)
                  for (int kx = 0; kx < p.filter_w; ++kx) {
                    const int iy = oy * p.stride_h - pt + ky, ix = ox * p.stride_w - pl + kx;
                    if (iy < 0 || iy >= is[1] || ix < 0 || ix >= is[2]) continue;
                    const float v = in[((int64_t(b) * is[1] + iy) * is[2] + ix) * is[3] + c];
                    acc = max ? std::max(acc, double(v)) : acc + v;
                    ++count;
                  }
                if (!max) acc /= count;
                out[((int64_t(b) * os[1] + oy) * os[2] + ox) * os[3] + c] =
                    Activate(float(acc), p.activation);
              }
        break;
      }
      case model::OpType::kAdd: {
        const std::vector<float>& in2 = values_[n.inputs[1]];
        const size_t rank = os.size();
        const std::vector<int64_t> sa = BroadcastStrides(is, rank),
                                   sb = BroadcastStrides(Shape(n.inputs[1]), rank);
        for (int64_t i = 0; i < int64_t(out.size()); ++i) {
          int64_t rest = i, ia = 0, ib = 0;
          for (size_t d = rank; d-- > 0;) {
            const int64_t coord = rest % os[d];
            rest /= os[d];
            ia += coord * sa[d];
            ib += coord * sb[d];
          }
          out[i] = Activate(in[ia] + in2[ib], p.activation);
        }
        break;
      }
      case model::OpType::kPRelu: {
        const std::vector<float>& alpha = values_[n.inputs[1]];
        for (size_t i = 0; i < out.size(); ++i) {
          const float a = alpha[alpha.size() == 1 ? 0 : i % is.back()];
          out[i] = in[i] >= 0 ? in[i] : in[i] * a;
        }
        break;
      }
      case model::OpType::kPad: {
        const std::vector<int32_t>& pads = g_.tensors[n.inputs[1]].i32;
        for (int64_t i = 0; i < int64_t(in.size()); ++i) {
          int64_t rest = i, o = 0, stride = 1;
          for (size_t d = is.size(); d-- > 0;) {
            o += (rest % is[d] + pads[2 * d]) * stride;
            rest /= is[d];
            stride *= os[d];
          }
          out[o] = in[i];
        }
        break;
      }
      case model::OpType::kResizeBilinear: {
        auto scale = [&](int in_size, int out_size) {
          return p.align_corners && out_size > 1 ? float(in_size - 1) / (out_size - 1)
                                                 : float(in_size) / out_size;
        };
        const float sy = scale(is[1], os[1]), sx = scale(is[2], os[2]);
        for (int b = 0; b < os[0]; ++b)
          for (int y = 0; y < os[1]; ++y)
            for (int x = 0; x < os[2]; ++x) {
              const float fy = p.half_pixel_centers ? (y + 0.5f) * sy - 0.5f : y * sy;
              const float fx = p.half_pixel_centers ? (x + 0.5f) * sx - 0.5f : x * sx;
              const int y0 = std::max(int(std::floor(fy)), 0), y1 = std::min(int(std::ceil(fy)), is[1] - 1);
              const int x0 = std::max(int(std::floor(fx)), 0), x1 = std::min(int(std::ceil(fx)), is[2] - 1);
              for (int c = 0; c < os[3]; ++c) {
                auto at = [&](int yy, int xx) {
                  return in[((int64_t(b) * is[1] + yy) * is[2] + xx) * is[3] + c];
                };
                const float dy = fy - y0, dx = fx - x0;
                out[((int64_t(b) * os[1] + y) * os[2] + x) * os[3] + c] =
                    at(y0, x0) * (1 - dy) * (1 - dx) + at(y1, x0) * dy * (1 - dx) +
                    at(y0, x1) * (1 - dy) * dx + at(y1, x1) * dy * dx;
              }
            }
        break;
      }
      case model::OpType::kReshape:
        out = in;
        break;
      case model::OpType::kConcatenation: {
        int64_t outer = 1, inner = 1;
        for (int d = 0; d < p.axis; ++d) outer *= os[d];
        for (size_t d = p.axis + 1; d < os.size(); ++d) inner *= os[d];
        int offset = 0;
        for (int t : n.inputs) {
          const int size = Shape(t)[p.axis];
          for (int64_t o = 0; o < outer; ++o)
            for (int64_t k = 0; k < size * inner; ++k)
              out[(o * os[p.axis] + offset) * inner + k] =
                  Activate(values_[t][o * size * inner + k], p.activation);
          offset += size;
        }
        break;
      }
      case model::OpType::kMean: {
        for (int b = 0; b < is[0]; ++b)
          for (int c = 0; c < is[3]; ++c) {
            double sum = 0;
            for (int i = 0; i < is[1] * is[2]; ++i) sum += in[(int64_t(b) * is[1] * is[2] + i) * is[3] + c];
            out[int64_t(b) * is[3] + c] = float(sum / (is[1] * is[2]));
          }
        break;
      }
      case model::OpType::kFullyConnected: {
        const std::vector<float>& w = values_[n.inputs[1]];
        const int out_c = Shape(n.inputs[1])[0], in_c = Shape(n.inputs[1])[1];
        const bool has_bias = n.inputs.size() > 2 && n.inputs[2] >= 0;
        for (int64_t r = 0; r < int64_t(in.size()) / in_c; ++r)
          for (int o = 0; o < out_c; ++o) {
            double acc = has_bias ? values_[n.inputs[2]][o] : 0.0;
            for (int i = 0; i < in_c; ++i) acc += double(in[r * in_c + i]) * w[int64_t(o) * in_c + i];
            out[r * out_c + o] = Activate(float(acc), p.activation);
          }
        break;
      }
      case model::OpType::kLogistic:
        for (size_t i = 0; i < out.size(); ++i) out[i] = float(1.0 / (1.0 + std::exp(-double(in[i]))));
        break;
      case model::OpType::kRelu:
        for (size_t i = 0; i < out.size(); ++i) out[i] = Activate(in[i], model::Activation::kRelu);
        break;
      case model::OpType::kRelu6:
        for (size_t i = 0; i < out.size(); ++i) out[i] = Activate(in[i], model::Activation::kRelu6);
        break;
    }
  }

  const model::Graph& g_;
  Tensors values_;
};

}  // namespace

bool ReaderAccepts(const model::Graph& graph) {
  for (int node = 0; node < static_cast<int>(graph.nodes.size()); ++node) {
    if (!model::ValidateNode(graph, node).ok()) return false;
  }
  return true;
}

Tensors RunNaive(const model::Graph& graph, const Tensors& inputs) {
  return NaiveInterpreter(graph, inputs).Run();
}

Result<Tensors> RunOracle(const model::Graph& graph, const Tensors& inputs) {
  if (!ReaderAccepts(graph)) return RunNaive(graph, inputs);
  std::unique_ptr<backend::Backend> reference = backend::CreateReferenceBackend();
  HT_ASSIGN_OR_RETURN(std::unique_ptr<backend::CompiledSegment> segment,
                      reference->Compile(graph, WholeGraph(graph), {}));
  HostBuffers buffers(graph, inputs);
  HT_RETURN_IF_ERROR(segment->Run(buffers.tensors).WithPrefix("reference backend"));
  return buffers.Outputs(graph);
}

}  // namespace handtrack::testing
