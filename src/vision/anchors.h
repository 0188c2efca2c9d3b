// SSD anchors of the palm detection model, generated as MediaPipe's
// SsdAnchorsCalculator does with the options of hand_detector_graph.cc.
//
// Threading: pure functions.
#pragma once

#include <vector>

namespace handtrack::vision {

// An anchor in normalised input coordinates. Palm anchors have fixed size:
// width = height = 1, so decoded offsets are only scaled by the input size.
struct Anchor {
  float x_center = 0;
  float y_center = 0;
  float width = 0;
  float height = 0;
};

// The subset of SsdAnchorsCalculatorOptions the palm model uses (no multiscale
// generation, no reduced lowest layer, feature maps derived from the strides).
struct SsdAnchorOptions {
  int input_width = 0;
  int input_height = 0;
  float min_scale = 0;
  float max_scale = 0;
  float anchor_offset_x = 0.5f;
  float anchor_offset_y = 0.5f;
  std::vector<int> strides;
  std::vector<float> aspect_ratios;
  // The proto's default is 1.0: one extra anchor per cell at the interpolated scale.
  float interpolated_scale_aspect_ratio = 1.0f;
  bool fixed_anchor_size = false;
};

// hand_detector_graph.cc: 4 layers, scales 0.1484375..0.75, input 192x192,
// offset 0.5, strides 8, 16, 16, 16, aspect ratio 1, fixed anchor size.
SsdAnchorOptions PalmAnchorOptions();

inline constexpr int kNumPalmAnchors = 2016;  // 24*24*2 + 12*12*6

// Anchors layer by layer (layers of equal stride merged), row by row, cell by
// cell, anchor by anchor: the order of the model's 2016 outputs.
std::vector<Anchor> GenerateSsdAnchors(const SsdAnchorOptions& options);

// GenerateSsdAnchors(PalmAnchorOptions()): exactly kNumPalmAnchors anchors.
std::vector<Anchor> GeneratePalmAnchors();

}  // namespace handtrack::vision
