// Internal to the samplers of image_to_tensor.cc: the sampling grid they share,
// and the SIMD implementation that produces the same bits as the portable one.
//
// Threading: pure functions over caller memory.
#pragma once

#include "backend/image_sampling.h"
#include "handtrack/image.h"
#include "vision/image_to_tensor.h"

namespace handtrack::vision::internal {

// Source position of tensor pixel (x, y): see backend/image_sampling.h, whose
// rule (and struct) the device samplers share.
using SamplingGrid = backend::SamplingGrid;

// Instruction sets the SIMD sampler has code for, in increasing order.
enum class VectorIsa { kNone, kSse41, kAvx2 };

// The best of them this CPU runs (kNone off x86).
VectorIsa BestVectorIsa();

// Samples `grid` of `image` into the out_width x out_height RGB float tensor with
// `isa` (or the best below it that the CPU runs), bit-identical to the portable
// per-pixel loop. Returns false without writing anything when it cannot: no SSE4.1,
// a non-x86 build, an image narrower or shorter than 2 pixels, or coordinates or
// byte offsets beyond 32-bit range (absurd regions); the caller then runs the
// portable loop. `image` must be valid.
bool WarpRowsSimd(const ImageView& image, const SamplingGrid& grid, int out_width, int out_height,
                  BorderMode border, VectorIsa isa, float* out);

}  // namespace handtrack::vision::internal
