// Checks and labels every backend uses on the SegmentSpec the runtime hands
// to Compile(): it comes from the planner, not the verified model, so its
// indices and roles are checked before any memory is planned from them.
#pragma once

#include <string>
#include <vector>

#include "backend/backend.h"
#include "handtrack/status.h"
#include "model/graph.h"

namespace handtrack::backend {

// "tensor 'name' (#12)", for messages (model/graph.h).
using model::TensorLabel;

// "<kind> segment CONV_2D #0 .. RESHAPE #9" (kind e.g. "CUDA"), for
// messages; safe on bad indices and on an empty segment.
std::string SegmentLabel(const model::Graph& graph, const SegmentSpec& spec, const std::string& kind);

// InvalidArgument "failed to compile <label>: <reason>" unless: the segment
// has nodes, every index is in range, each input or output is listed once,
// every tensor a node reads is a constant, a segment input or produced by an
// earlier node of the segment, no node produces a segment input, and every
// segment output is produced inside the segment.
Status CheckSegmentSpec(const model::Graph& graph, const SegmentSpec& spec, const std::string& label);

// InvalidArgument "failed to run <label>: <tensor> has no host buffer" unless
// `tensors` has a non-null buffer for each of `needed` (the segment's inputs
// and outputs, say): Run()'s check of what the caller hands in.
Status CheckHostBuffers(const model::Graph& graph, const std::vector<int>& needed, const HostTensors& tensors,
                        const std::string& label);

}  // namespace handtrack::backend
