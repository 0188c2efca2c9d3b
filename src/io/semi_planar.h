// Semi-planar 4:2:0 pictures (a luma plane and one plane of interleaved Cb Cr pairs: NV12,
// P010, P016, as GPUs decode into) split into the three planes that CPU decoders give
// (yuv420p, yuv420p10le, ...), internal to handtrack_io. Plain bytes, no FFmpeg types, so
// that the tests check it without a GPU.
#pragma once

#include <cstdint>

namespace handtrack {

struct PlaneView {
  const uint8_t* data;
  int stride;  // bytes
};
struct MutablePlaneView {
  uint8_t* data;
  int stride;  // bytes
};

// Copies a width x height picture of `bytes_per_sample` (1 or 2, native endian) samples,
// each shifted right by `shift` (P010 keeps its 10 bits in the high bits of 16; the planar
// formats in the low ones). Chroma is (width + 1) / 2 x (height + 1) / 2.
void SplitSemiPlanar(int width, int height, int bytes_per_sample, int shift, PlaneView luma, PlaneView chroma,
                     MutablePlaneView y, MutablePlaneView u, MutablePlaneView v);

}  // namespace handtrack
