// Checks of the SegmentSpec the runtime hands to Compile(): it comes from the
// planner, not the verified model, so its indices and roles are checked
// before any memory is planned from them.
#pragma once

#include <string>

#include "backend/backend.h"
#include "handtrack/status.h"
#include "model/graph.h"

namespace handtrack::backend::cuda {

// "tensor 'name' (#12)", for messages.
std::string TensorLabel(const model::Graph& graph, int tensor);

// "CUDA segment CONV_2D #0 .. RESHAPE #9", for messages; safe on bad indices.
std::string SegmentLabel(const model::Graph& graph, const SegmentSpec& spec);

// InvalidArgument "failed to compile <label>: <reason>" unless: the segment
// has nodes, every index is in range, each input or output is listed once,
// every tensor a node reads is a constant, a segment input or produced by an
// earlier node of the segment, no node produces a segment input, and every
// segment output is produced inside the segment.
Status CheckSegmentSpec(const model::Graph& graph, const SegmentSpec& spec, const std::string& label);

}  // namespace handtrack::backend::cuda
