// Hand-built single-node graphs covering every op type, with awkward shapes
// (odd sizes, stride 2 with SAME on even and odd inputs, channels that are not
// a multiple of 8, every fused activation). Any backend test can run the whole
// table against the reference backend; the graphs do not depend on a backend.
#pragma once

#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "model/graph.h"

namespace handtrack::testing {

// Builds a graph tensor by tensor, with seeded random constants.
class GraphBuilder {
 public:
  explicit GraphBuilder(std::string name, uint32_t seed = 1);

  int Input(std::vector<int> shape);                      // a graph input
  int Output(std::vector<int> shape);                     // a graph output
  int Intermediate(std::vector<int> shape);               // neither
  int Constant(std::vector<int> shape, float range = 1);  // uniform in [-range, range)
  int Int32Constant(std::vector<int> shape, std::vector<int32_t> values);
  void AddNode(model::OpType op, std::vector<int> inputs, std::vector<int> outputs,
               model::NodeParams params = {});

  model::Graph Build() { return graph_; }

 private:
  int AddTensor(std::vector<int> shape, bool constant);

  model::Graph graph_;
  std::mt19937 rng_;
};

struct OpCase {
  std::string name;    // unique, usable as a gtest name: "conv2d_5x5_s2_same_even_relu6"
  model::Graph graph;  // one node (a few for the lowering-stress cases), inputs filled by RandomInputs
  float input_range = 4;
};

// gtest prints a case by its name.
inline void PrintTo(const OpCase& op_case, std::ostream* os) { *os << op_case.name; }

// The table: every op type, several shapes and attributes each. Every graph
// is one the model reader could produce (model::ValidateNode accepts it), so
// the reference backend is their oracle.
std::vector<OpCase> AllOpCases();

// Batched shapes of the hand models' layers (8 to 64 frames), large enough that
// a GPU backend takes its large-batch kernels (tensor-core GEMM, row-tiled
// depthwise convolution). Slow on the reference backend (seconds), so kept out
// of AllOpCases.
std::vector<OpCase> LargeBatchOpCases();

// Products of batch 1 and small batches (1x1 convolutions, FULLY_CONNECTED) whose
// output tiles are too few to fill a GPU: a GPU backend splits them over K.
// Long K (up to 1152, the landmark model's), K not a multiple of the split, odd N.
std::vector<OpCase> SmallProductOpCases();

// Cases beyond what the reader accepts (ADD broadcasting, a scalar PRELU
// alpha, negative MEAN axes), for backends that support more than the models
// need; the reference backend does not run these.
std::vector<OpCase> BeyondReaderOpCases();

using Tensors = std::vector<std::vector<float>>;

// The whole graph as one segment: every node, the graph's inputs and outputs.
backend::SegmentSpec WholeGraph(const model::Graph& graph);

// Host buffers for every non-constant tensor, with the backends' read slack,
// poisoned with NaN (so an output the backend does not write fails the
// comparison), with the inputs filled in.
struct HostBuffers {
  HostBuffers(const model::Graph& graph, const Tensors& inputs);
  Tensors Outputs(const model::Graph& graph) const;

  std::vector<std::vector<float>> storage;
  backend::HostTensors tensors;
};

// A multi-node segment for backend tests: conv -> prelu -> add(conv output) -> pad ->
// resize, where the conv output is both read inside the segment and a segment output.
model::Graph ChainOfOpsGraph();

// Seeded uniform values in [-range, range) for each of graph.inputs, in order.
std::vector<std::vector<float>> RandomInputs(const model::Graph& graph, uint32_t seed, float range);

// TFLite's output size of a window along one axis.
int WindowOutputSize(model::Padding padding, int input, int filter, int stride, int dilation = 1);

}  // namespace handtrack::testing
