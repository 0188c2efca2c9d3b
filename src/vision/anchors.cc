#include "vision/anchors.h"

#include <cmath>
#include <cstddef>

namespace handtrack::vision {
namespace {

// ssd_anchors_calculator.cc CalculateScale (mixed float/double as there).
float CalculateScale(float min_scale, float max_scale, int stride_index, int num_strides) {
  if (num_strides == 1) return (min_scale + max_scale) * 0.5f;
  return static_cast<float>(min_scale + (max_scale - min_scale) * 1.0 * stride_index / (num_strides - 1.0f));
}

}  // namespace

SsdAnchorOptions PalmAnchorOptions() {
  SsdAnchorOptions options;
  options.input_width = 192;
  options.input_height = 192;
  options.min_scale = 0.1484375f;
  options.max_scale = 0.75f;
  options.anchor_offset_x = 0.5f;
  options.anchor_offset_y = 0.5f;
  options.strides = {8, 16, 16, 16};
  options.aspect_ratios = {1.0f};
  options.interpolated_scale_aspect_ratio = 1.0f;
  options.fixed_anchor_size = true;
  return options;
}

std::vector<Anchor> GenerateSsdAnchors(const SsdAnchorOptions& options) {
  std::vector<Anchor> anchors;
  const int num_layers = static_cast<int>(options.strides.size());
  if (options.input_width <= 0 || options.input_height <= 0) return anchors;
  int layer = 0;
  while (layer < num_layers) {
    std::vector<float> anchor_heights;
    std::vector<float> anchor_widths;
    std::vector<float> aspect_ratios;
    std::vector<float> scales;

    // Consecutive layers of the same stride share one grid: their anchors are
    // interleaved per cell.
    int last_same_stride_layer = layer;
    while (last_same_stride_layer < num_layers &&
           options.strides[last_same_stride_layer] == options.strides[layer]) {
      const float scale =
          CalculateScale(options.min_scale, options.max_scale, last_same_stride_layer, num_layers);
      for (float aspect_ratio : options.aspect_ratios) {
        aspect_ratios.push_back(aspect_ratio);
        scales.push_back(scale);
      }
      if (options.interpolated_scale_aspect_ratio > 0.0f) {
        const float next_scale = last_same_stride_layer == num_layers - 1
                                     ? 1.0f
                                     : CalculateScale(options.min_scale, options.max_scale,
                                                      last_same_stride_layer + 1, num_layers);
        scales.push_back(std::sqrt(scale * next_scale));
        aspect_ratios.push_back(options.interpolated_scale_aspect_ratio);
      }
      ++last_same_stride_layer;
    }
    for (size_t i = 0; i < aspect_ratios.size(); ++i) {
      const float ratio_sqrt = std::sqrt(aspect_ratios[i]);
      anchor_heights.push_back(scales[i] / ratio_sqrt);
      anchor_widths.push_back(scales[i] * ratio_sqrt);
    }

    const int stride = options.strides[layer];
    if (stride <= 0) return {};
    const int feature_map_height = static_cast<int>(std::ceil(1.0f * options.input_height / stride));
    const int feature_map_width = static_cast<int>(std::ceil(1.0f * options.input_width / stride));
    for (int y = 0; y < feature_map_height; ++y) {
      for (int x = 0; x < feature_map_width; ++x) {
        for (size_t id = 0; id < anchor_heights.size(); ++id) {
          Anchor anchor;
          anchor.x_center = (x + options.anchor_offset_x) * 1.0f / feature_map_width;
          anchor.y_center = (y + options.anchor_offset_y) * 1.0f / feature_map_height;
          anchor.width = options.fixed_anchor_size ? 1.0f : anchor_widths[id];
          anchor.height = options.fixed_anchor_size ? 1.0f : anchor_heights[id];
          anchors.push_back(anchor);
        }
      }
    }
    layer = last_same_stride_layer;
  }
  return anchors;
}

std::vector<Anchor> GeneratePalmAnchors() { return GenerateSsdAnchors(PalmAnchorOptions()); }

}  // namespace handtrack::vision
