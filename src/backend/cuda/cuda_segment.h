// A compiled CUDA segment: its memory, stream and captured graph (see
// cuda_backend.h for the design).
#pragma once

#include <memory>

#include "backend/backend.h"
#include "backend/cuda/ops.h"
#include "handtrack/status.h"
#include "model/graph.h"

namespace handtrack::backend::cuda {

// Plans, allocates, uploads and captures a segment whose spec passed
// CheckSegmentSpec and whose nodes the backend supports, on the current
// device. `label` names it in messages. `half`: fp16 storage (weights
// converted here, once), float32 accumulation; inputs and outputs float32.
Result<std::unique_ptr<CompiledSegment>> CompileCudaSegment(const model::Graph& graph,
                                                            const SegmentSpec& spec, const DeviceInfo& device,
                                                            const std::string& label, bool half = false);

}  // namespace handtrack::backend::cuda
