#include "io/semi_planar.h"

#include <cstddef>
#include <cstring>

namespace handtrack {
namespace {

template <typename Sample>
Sample Load(const uint8_t* row, int index) {
  Sample sample;
  std::memcpy(&sample, row + static_cast<size_t>(index) * sizeof(Sample), sizeof(Sample));
  return sample;
}

template <typename Sample>
void Store(uint8_t* row, int index, Sample sample) {
  std::memcpy(row + static_cast<size_t>(index) * sizeof(Sample), &sample, sizeof(Sample));
}

template <typename Sample>
void Split(int width, int height, int shift, PlaneView luma, PlaneView chroma, MutablePlaneView y,
           MutablePlaneView u, MutablePlaneView v) {
  auto row = [](auto plane, int r) { return plane.data + static_cast<ptrdiff_t>(r) * plane.stride; };
  for (int r = 0; r < height; ++r) {
    const uint8_t* in = row(luma, r);
    uint8_t* out = row(y, r);
    if (shift == 0) {
      std::memcpy(out, in, static_cast<size_t>(width) * sizeof(Sample));
      continue;
    }
    for (int x = 0; x < width; ++x) Store<Sample>(out, x, static_cast<Sample>(Load<Sample>(in, x) >> shift));
  }
  const int chroma_width = (width + 1) / 2;
  const int chroma_height = (height + 1) / 2;
  for (int r = 0; r < chroma_height; ++r) {
    const uint8_t* in = row(chroma, r);
    uint8_t* out_u = row(u, r);
    uint8_t* out_v = row(v, r);
    for (int x = 0; x < chroma_width; ++x) {
      Store<Sample>(out_u, x, static_cast<Sample>(Load<Sample>(in, 2 * x) >> shift));
      Store<Sample>(out_v, x, static_cast<Sample>(Load<Sample>(in, 2 * x + 1) >> shift));
    }
  }
}

}  // namespace

void SplitSemiPlanar(int width, int height, int bytes_per_sample, int shift, PlaneView luma, PlaneView chroma,
                     MutablePlaneView y, MutablePlaneView u, MutablePlaneView v) {
  if (bytes_per_sample == 1) {
    Split<uint8_t>(width, height, shift, luma, chroma, y, u, v);
  } else {
    Split<uint16_t>(width, height, shift, luma, chroma, y, u, v);
  }
}

}  // namespace handtrack
