// Rewriting a loaded graph to run N frames (a batch) at once.
#pragma once

#include "handtrack/status.h"
#include "model/graph.h"

namespace handtrack::model {

// Largest batch WithBatch accepts.
inline constexpr int kMaxBatch = 4096;

// Returns a copy of `graph` whose batch dimension is `n`: every non-constant
// tensor (graph inputs, activations, outputs) whose first dimension is 1 gets
// first dimension n, and the int32 shape operands of RESHAPE nodes that carry
// that batch (first element 1, output rewritten) are updated to match. Every
// node is then re-validated (ValidateNode), so a model whose batch cannot be
// rewritten this way is rejected with the node that breaks. n == 1 returns the
// graph unchanged. InvalidArgument for n outside [1, kMaxBatch], or when the
// graph's inputs do not have a leading batch dimension of 1.
Result<Graph> WithBatch(const Graph& graph, int n);

}  // namespace handtrack::model
