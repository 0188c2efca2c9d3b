// A compiled CUDA segment: its memory, stream and captured graph (see
// cuda_backend.h for the design).
#pragma once

#include <memory>
#include <string>

#include "backend/backend.h"
#include "backend/cuda/ops.h"
#include "handtrack/status.h"
#include "model/graph.h"

namespace handtrack::backend::cuda {

struct CudaSegmentOptions {
  // fp16 storage (weights converted at compile, once), float32 accumulation;
  // inputs and outputs stay float32.
  bool half = false;
  // Fold ADD/PRELU into the kernel before them (fusion.h); setting "cuda.fusion" "0" turns it off.
  bool fuse = true;
  bool fusion_moves_to_add = true;     // PlanSteps' move_to_add
  bool fusion_pooled_residual = true;  // PlanSteps' fold_pooled_residual
  // Test hook (fault "cuda:oom"): the activation arena's allocation fails as
  // if the device were out of memory.
  bool inject_oom = false;
  // Pre-processing on the device (CanSampleInput / RunSampled); setting
  // "cuda.preprocess" "0" turns it off, so inputs always come from the host.
  bool device_sampling = true;
  // fp16 segments: an input sampled from images is written as __half by the sampling kernel
  // (no conversion kernel after it), and the outputs are converted to float32 by one kernel
  // and copied out in one copy (instead of a kernel and a copy each). Fewer graph nodes per
  // run; the values are the same. Setting "cuda.packed_io", on by default since its A/B on
  // the H100 (docs/CUDA.md, session 52: Detect and the 16-session rate both faster); "0"
  // keeps a conversion kernel and a copy per output.
  bool packed_io = true;
  // RunSampled on an image still being uploaded (DeviceImage::copied_event): false (setting
  // "cuda.upload_wait" "host", the default) makes the host wait for the copy before it launches
  // the graph; true ("stream") makes the segment's stream wait for it, so that the graph's
  // launch overlaps the copy. Off until timed on a GPU (docs/CUDA.md, session 53).
  bool upload_wait_on_stream = false;
  // The priority of the segment's stream (cudaStreamCreateWithPriority; lower is more urgent,
  // 0 the default).
  int stream_priority = 0;
};

// Plans, allocates, uploads and captures a segment whose spec passed
// CheckSegmentSpec and whose nodes the backend supports, on the current
// device. `label` names it in messages.
Result<std::unique_ptr<CompiledSegment>> CompileCudaSegment(const model::Graph& graph,
                                                            const SegmentSpec& spec, const DeviceInfo& device,
                                                            const std::string& label,
                                                            const CudaSegmentOptions& options = {});

}  // namespace handtrack::backend::cuda
