// The oracle the backend tests compare against: the reference backend for
// graphs the model reader could have produced (its contract), and naive loops
// that follow TFLite's reference kernels for the rest (BeyondReaderOpCases:
// ADD broadcasting, a scalar PRELU alpha, negative MEAN axes).
#pragma once

#include "handtrack/status.h"
#include "model/graph.h"
#include "op_graph_builders.h"

namespace handtrack::testing {

// Whether model::ValidateNode accepts every node of the graph.
bool ReaderAccepts(const model::Graph& graph);

// The naive loops alone (every op type, float32, one output per node).
Tensors RunNaive(const model::Graph& graph, const Tensors& inputs);

// The reference backend (one segment, one thread) when ReaderAccepts(graph),
// else RunNaive.
Result<Tensors> RunOracle(const model::Graph& graph, const Tensors& inputs);

}  // namespace handtrack::testing
