// The XNNPACK backend against the reference: every case of the shared op
// table (op_graph_builders.h) at 1 and 2 threads, support decisions and their
// reasons, error paths, multi-node segments, concurrent segments, and the four
// hand models against TFLite's own outputs. Graphs the model reader would
// reject (and builds without the reference backend) are judged by naive loops
// that follow TFLite's reference kernels.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "backend/backend.h"
#include "backend/xnnpack/xnnpack_backend.h"
#include "op_graph_builders.h"
#include "test_support.h"

#ifdef HANDTRACK_TEST_WITH_REFERENCE
#include "backend/reference/reference_backend.h"
#endif
#ifdef HANDTRACK_TEST_WITH_MODEL_READER
#include "model/tflite_reader.h"
#endif

namespace handtrack::testing {
namespace {

using backend::Backend;
using backend::BackendOptions;
using backend::CompiledSegment;
using backend::HostTensors;
using backend::SegmentSpec;


Result<Tensors> RunOnBackend(Backend& backend, const model::Graph& graph, const Tensors& inputs,
                             int num_threads) {
  BackendOptions options;
  options.num_threads = num_threads;
  HT_ASSIGN_OR_RETURN(std::unique_ptr<CompiledSegment> segment,
                      backend.Compile(graph, WholeGraph(graph), options));
  HostBuffers buffers(graph, inputs);
  HT_RETURN_IF_ERROR(segment->Run(buffers.tensors));
  return buffers.Outputs(graph);
}

// ---------------------------------------------------------------------------
// The oracle: the reference backend when this build has it, else naive loops
// that follow TFLite's reference kernels.

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

#if defined(HANDTRACK_TEST_WITH_REFERENCE) && defined(HANDTRACK_TEST_WITH_MODEL_READER)
// Whether the model reader could have produced the graph (the reference
// backend's contract).
bool ReaderAccepts(const model::Graph& graph) {
  for (int node = 0; node < static_cast<int>(graph.nodes.size()); ++node) {
    if (!model::ValidateNode(graph, node).ok()) return false;
  }
  return true;
}
#endif

Tensors RunOracle(const model::Graph& graph, const Tensors& inputs) {
#if defined(HANDTRACK_TEST_WITH_REFERENCE) && defined(HANDTRACK_TEST_WITH_MODEL_READER)
  if (ReaderAccepts(graph)) {
    std::unique_ptr<Backend> reference = backend::CreateReferenceBackend();
    Result<Tensors> outputs = RunOnBackend(*reference, graph, inputs, 1);
    EXPECT_TRUE(outputs.ok()) << "reference backend: " << outputs.status().message();
    if (outputs.ok()) return *outputs;
  }
#endif
  return NaiveInterpreter(graph, inputs).Run();
}

// max |got - expected| <= 1e-4 * max |expected| + 1e-6, per output.
void ExpectClose(const Tensors& got, const Tensors& expected, const std::string& what) {
  ASSERT_EQ(got.size(), expected.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].size(), expected[i].size()) << what << " output " << i;
    double max_diff = 0, max_ref = 0;
    size_t worst = 0;
    for (size_t k = 0; k < got[i].size(); ++k) {
      const double diff = std::fabs(double(got[i][k]) - expected[i][k]);
      if (!(diff <= max_diff)) worst = k;  // also catches NaN
      max_diff = std::isnan(diff) ? INFINITY : std::max(max_diff, diff);
      max_ref = std::max(max_ref, std::fabs(double(expected[i][k])));
    }
    EXPECT_LE(max_diff, 1e-4 * max_ref + 1e-6)
        << what << " output " << i << ": worst at element " << worst << ", got " << got[i][worst]
        << ", expected " << expected[i][worst] << " (max |expected| " << max_ref << ")";
  }
}

std::unique_ptr<Backend> Xnnpack() {
  std::unique_ptr<Backend> backend = backend::CreateXnnpackBackend();
  const Status available = backend->Availability();
  EXPECT_TRUE(available.ok()) << available.message();
  return backend;
}

// ---------------------------------------------------------------------------

class XnnpackOpTest : public ::testing::TestWithParam<OpCase> {};

TEST_P(XnnpackOpTest, MatchesOracle) {
  const OpCase& c = GetParam();
  std::unique_ptr<Backend> xnnpack = Xnnpack();
  for (int node = 0; node < static_cast<int>(c.graph.nodes.size()); ++node) {
    const Status supported = xnnpack->Supports(c.graph, node);
    ASSERT_TRUE(supported.ok()) << supported.message();
  }
  const Tensors inputs = RandomInputs(c.graph, /*seed=*/7, c.input_range);
  const Tensors expected = RunOracle(c.graph, inputs);
  for (int threads : {1, 2}) {
    Result<Tensors> got = RunOnBackend(*xnnpack, c.graph, inputs, threads);
    ASSERT_TRUE(got.ok()) << got.status().message();
    ExpectClose(*got, expected, c.name + " at " + std::to_string(threads) + " threads");
  }
}

std::string CaseName(const ::testing::TestParamInfo<OpCase>& info) { return info.param.name; }
INSTANTIATE_TEST_SUITE_P(AllOps, XnnpackOpTest, ::testing::ValuesIn(AllOpCases()), CaseName);
INSTANTIATE_TEST_SUITE_P(BeyondReader, XnnpackOpTest, ::testing::ValuesIn(BeyondReaderOpCases()), CaseName);

#ifdef HANDTRACK_TEST_WITH_MODEL_READER
TEST(OpCasesTest, TheReaderAcceptsEveryCaseOfTheTable) {
  for (const OpCase& c : AllOpCases()) {
    for (int node = 0; node < static_cast<int>(c.graph.nodes.size()); ++node) {
      const Status valid = model::ValidateNode(c.graph, node);
      EXPECT_TRUE(valid.ok()) << c.name << ": " << valid.message();
    }
  }
}
#endif

#if defined(HANDTRACK_TEST_WITH_REFERENCE) && defined(HANDTRACK_TEST_WITH_MODEL_READER)
// The naive loops that judge BeyondReaderOpCases agree with the reference
// backend on the whole table.
TEST(OpCasesTest, NaiveOracleAgreesWithTheReferenceBackend) {
  for (const OpCase& c : AllOpCases()) {
    const Tensors inputs = RandomInputs(c.graph, /*seed=*/7, c.input_range);
    ExpectClose(NaiveInterpreter(c.graph, inputs).Run(), RunOracle(c.graph, inputs), c.name + " (naive)");
  }
}
#endif

TEST(XnnpackBackendTest, OpTableCoversEveryOpType) {
  std::vector<bool> covered(model::kNumOpTypes, false);
  for (const OpCase& c : AllOpCases()) {
    for (const model::Node& node : c.graph.nodes) covered[static_cast<int>(node.op)] = true;
  }
  for (int op = 0; op < model::kNumOpTypes; ++op) EXPECT_TRUE(covered[op]) << "op type " << op;
}

TEST(XnnpackBackendTest, IsAvailableAndNamed) {
  std::unique_ptr<Backend> xnnpack = Xnnpack();
  EXPECT_STREQ(xnnpack->name(), "xnnpack");
}

// A single-node case from the table, by name.
model::Graph CaseGraph(const std::string& name) {
  for (OpCase& c : AllOpCases()) {
    if (c.name == name) return std::move(c.graph);
  }
  ADD_FAILURE() << "no op case " << name;
  return {};
}

void ExpectUnsupported(const model::Graph& graph, const std::string& reason_part) {
  const Status status = Xnnpack()->Supports(graph, 0);
  EXPECT_EQ(status.code(), StatusCode::kUnsupported) << status.message();
  EXPECT_NE(status.message().find(reason_part), std::string::npos) << status.message();
}

TEST(XnnpackBackendTest, RefusesWhatXnnpackCannotDoExactly) {
  {  // MEAN over channels
    GraphBuilder b("mean_channels");
    const int x = b.Input({1, 4, 4, 8}), axes = b.Int32Constant({1}, {3}), y = b.Output({1, 4, 4});
    b.AddNode(model::OpType::kMean, {x, axes}, {y});
    ExpectUnsupported(b.Build(), "MEAN over axes [3]");
  }
  {  // CONV_2D whose filter is computed by the graph
    GraphBuilder b("conv_dynamic_filter");
    const int x = b.Input({1, 4, 4, 3}), w = b.Input({5, 1, 1, 3}), y = b.Output({1, 4, 4, 5});
    b.AddNode(model::OpType::kConv2D, {x, w, -1}, {y});
    ExpectUnsupported(b.Build(), "CONV_2D with a computed filter");
  }
  {  // grouped CONV_2D
    GraphBuilder b("conv_grouped");
    const int x = b.Input({1, 4, 4, 6}), w = b.Constant({4, 1, 1, 3}), y = b.Output({1, 4, 4, 4});
    b.AddNode(model::OpType::kConv2D, {x, w, -1}, {y});
    ExpectUnsupported(b.Build(), "CONV_2D with grouped filters");
  }
  {  // PRELU whose alpha varies over space
    GraphBuilder b("prelu_spatial_alpha");
    const int x = b.Input({1, 4, 4, 3}), a = b.Constant({4, 4, 3}), y = b.Output({1, 4, 4, 3});
    b.AddNode(model::OpType::kPRelu, {x, a}, {y});
    ExpectUnsupported(b.Build(), "PRELU with alpha [4,4,3]");
  }
  {  // an output shape that does not follow from the inputs
    GraphBuilder b("bad_conv_shape");
    const int x = b.Input({1, 8, 8, 3}), w = b.Constant({5, 3, 3, 3}), y = b.Output({1, 8, 8, 5});
    model::NodeParams p;
    p.stride_h = p.stride_w = 2;
    b.AddNode(model::OpType::kConv2D, {x, w, -1}, {y}, p);
    ExpectUnsupported(b.Build(), "CONV_2D with output shape [1,8,8,5] where [1,4,4,5]");
  }
  {  // a 1x1 pool, which XNNPACK rejects
    GraphBuilder b("max_pool_1x1");
    const int x = b.Input({1, 4, 4, 3}), y = b.Output({1, 2, 2, 3});
    model::NodeParams p;
    p.stride_h = p.stride_w = 2;
    b.AddNode(model::OpType::kMaxPool2D, {x}, {y}, p);
    ExpectUnsupported(b.Build(), "MAX_POOL_2D with a 1x1 window");
  }
  {  // int32 data
    model::Graph graph = CaseGraph("relu_1x5x7x11");
    graph.tensors[graph.inputs[0]].type = model::DataType::kInt32;
    ExpectUnsupported(graph, "RELU with an int32 input");
  }
}

TEST(XnnpackBackendTest, CompileAndRunErrorsNameTheProblem) {
  std::unique_ptr<Backend> xnnpack = Xnnpack();
  const model::Graph graph = CaseGraph("relu_1x5x7x11");
  BackendOptions no_threads;
  no_threads.num_threads = 0;
  Result<std::unique_ptr<CompiledSegment>> bad = xnnpack->Compile(graph, WholeGraph(graph), no_threads);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);

  SegmentSpec missing_output = WholeGraph(graph);
  missing_output.outputs = {graph.inputs[0]};
  bad = xnnpack->Compile(graph, missing_output, {});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument) << bad.status().message();

  SegmentSpec missing_input = WholeGraph(graph);
  missing_input.inputs.clear();
  bad = xnnpack->Compile(graph, missing_input, {});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument) << bad.status().message();
  EXPECT_NE(bad.status().message().find("neither a segment input nor produced before it"), std::string::npos)
      << bad.status().message();

  SegmentSpec listed_twice = WholeGraph(graph);
  listed_twice.outputs.push_back(listed_twice.outputs[0]);
  bad = xnnpack->Compile(graph, listed_twice, {});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument) << bad.status().message();

  Result<std::unique_ptr<CompiledSegment>> segment = xnnpack->Compile(graph, WholeGraph(graph), {});
  ASSERT_TRUE(segment.ok()) << segment.status().message();
  HostBuffers buffers(graph, RandomInputs(graph, 1, 1));
  buffers.tensors.data[graph.outputs[0]] = nullptr;
  const Status run = (*segment)->Run(buffers.tensors);
  EXPECT_EQ(run.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(run.message().find("failed to run XNNPACK segment RELU #0"), std::string::npos) << run.message();
}


TEST(XnnpackBackendTest, RunsMultiNodeSegmentsAndFollowsMovedBuffers) {
  std::unique_ptr<Backend> xnnpack = Xnnpack();
  const model::Graph graph = ChainOfOpsGraph();
  Result<std::unique_ptr<CompiledSegment>> segment = xnnpack->Compile(graph, WholeGraph(graph), {});
  ASSERT_TRUE(segment.ok()) << segment.status().message();
  for (uint32_t seed : {1u, 2u}) {
    const Tensors inputs = RandomInputs(graph, seed, 2);
    HostBuffers buffers(graph, inputs);  // fresh buffers each time: the segment must set up again
    ASSERT_TRUE((*segment)->Run(buffers.tensors).ok());
    ExpectClose(buffers.Outputs(graph), RunOracle(graph, inputs), "chain seed " + std::to_string(seed));
  }
}

// XNNPACK fuses a clamp into the op before it; that must not clamp a tensor
// the host reads too.
TEST(XnnpackBackendTest, KeepsASegmentOutputThatARelu6Follows) {
  GraphBuilder b("conv_then_relu6");
  const int x = b.Input({1, 6, 6, 4});
  const int w = b.Constant({5, 3, 3, 4}, 2.0f);
  const int conv = b.Output({1, 6, 6, 5});
  b.AddNode(model::OpType::kConv2D, {x, w, -1}, {conv});
  const int relu6 = b.Output({1, 6, 6, 5});
  b.AddNode(model::OpType::kRelu6, {conv}, {relu6});
  const model::Graph graph = b.Build();
  const Tensors inputs = RandomInputs(graph, 5, 4);
  Result<Tensors> got = RunOnBackend(*Xnnpack(), graph, inputs, 1);
  ASSERT_TRUE(got.ok()) << got.status().message();
  const Tensors expected = RunOracle(graph, inputs);
  ASSERT_GT(*std::max_element(expected[0].begin(), expected[0].end()), 6.0f);  // the clamp matters
  ExpectClose(*got, expected, "conv then relu6");
}

TEST(XnnpackBackendTest, SegmentsRunConcurrentlyOnTheirOwnThreads) {
  std::unique_ptr<Backend> xnnpack = Xnnpack();
  const model::Graph graph = ChainOfOpsGraph();
  const Tensors inputs = RandomInputs(graph, 3, 2);
  const Tensors expected = RunOracle(graph, inputs);
  std::vector<std::thread> threads;
  std::vector<Tensors> results(4);
  threads.reserve(results.size());
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      BackendOptions options;
      options.num_threads = 1 + i % 2;
      Result<std::unique_ptr<CompiledSegment>> segment = xnnpack->Compile(graph, WholeGraph(graph), options);
      if (!segment.ok()) return;
      HostBuffers buffers(graph, inputs);
      for (int run = 0; run < 20; ++run) {
        if (!(*segment)->Run(buffers.tensors).ok()) return;
      }
      results[i] = buffers.Outputs(graph);
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < 4; ++i) ExpectClose(results[i], expected, "thread " + std::to_string(i));
}

#ifdef HANDTRACK_TEST_WITH_MODEL_READER
// Each whole model as one XNNPACK segment against TFLite's own outputs.
class XnnpackModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(XnnpackModelTest, MatchesTflite) {
  const std::string& name = GetParam();
  HT_REQUIRE_FIXTURE(!ModelDir().empty(), "models (run scripts/fetch_models.sh)");
  HT_REQUIRE_FIXTURE(!SharedDir().empty(), "../shared");
  Result<model::Graph> graph = model::ReadTfliteFile(ModelPath(name));
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  Result<TensorDump> dump = ReadTensorDump(SharedDir() + "/golden/tensors/" + name + "_s1.tdmp");
  ASSERT_TRUE(dump.ok()) << dump.status().message();
  ASSERT_EQ(dump->inputs.size(), graph->inputs.size());
  ASSERT_EQ(dump->outputs.size(), graph->outputs.size());
  std::unique_ptr<Backend> xnnpack = Xnnpack();
  for (int node = 0; node < static_cast<int>(graph->nodes.size()); ++node) {
    const Status supported = xnnpack->Supports(*graph, node);
    EXPECT_TRUE(supported.ok()) << "node " << node << ": " << supported.message();
  }
  Tensors inputs;
  for (const NamedTensor& t : dump->inputs) inputs.push_back(t.data);
  Tensors expected;
  for (const NamedTensor& t : dump->outputs) expected.push_back(t.data);
  for (int threads : {1, 2}) {
    Result<Tensors> got = RunOnBackend(*xnnpack, *graph, inputs, threads);
    ASSERT_TRUE(got.ok()) << got.status().message();
    ExpectClose(*got, expected, name + " at " + std::to_string(threads) + " threads");
  }
}

INSTANTIATE_TEST_SUITE_P(HandModels, XnnpackModelTest,
                         ::testing::Values("palm_detection_full", "palm_detection_lite", "hand_landmark_full",
                                           "hand_landmark_lite"));
#endif

}  // namespace
}  // namespace handtrack::testing
