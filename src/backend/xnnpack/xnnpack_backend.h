// The XNNPACK backend (Debian's libxnnpack-dev, a 2022-02 snapshot): each
// segment of supported nodes becomes one XNNPACK subgraph and runtime,
// threaded by its own pthreadpool (none at 1 thread).
//
// Supports every op type of model::OpType in float32, with TFLite semantics:
// SAME padding as explicit paddings (the odd extra pixel bottom/right), fused
// activations as output ranges. Ops XNNPACK 2022-02 lacks are lowered exactly:
// MEAN over H,W as global average pooling (+ reshape), CONCATENATION as
// zero-padding each input into place and adding. Supports() refuses, with a
// reason, what XNNPACK cannot do exactly (computed weights, grouped
// convolution, 1x1 pools, per-position PRELU alpha, MEAN over other axes...).
//
// Host buffers: a segment reads its inputs from and writes its outputs to
// HostTensors::data without copies. XNNPACK may read (never write) up to
// XNN_EXTRA_BYTES (16) past the end of an input, so input buffers should have
// that much readable slack.
//
// Threading: Availability() initializes XNNPACK once per process and is
// thread-safe. Each compiled segment owns its runtime and thread pool: one Run
// at a time per segment, separate segments concurrently, no shared locks.
#pragma once

#include <memory>

#include "backend/backend.h"

namespace handtrack::backend {

std::unique_ptr<Backend> CreateXnnpackBackend();

}  // namespace handtrack::backend
