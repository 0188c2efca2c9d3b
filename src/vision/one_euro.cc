#include "vision/one_euro.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <utility>

namespace handtrack::vision {
namespace {

template <size_t... I>
std::array<OneEuroFilter, sizeof...(I)> MakeFilters(const OneEuroParams& params, std::index_sequence<I...>) {
  return {((void)I, OneEuroFilter(params))...};
}

}  // namespace

float OneEuroFilter::Alpha(float cutoff) const {
  const double te = 1.0 / frequency_;
  const double tau = 1.0 / (2.0 * std::numbers::pi * cutoff);
  return static_cast<float>(1.0 / (1.0 + tau / te));
}

float OneEuroFilter::Filter(float value, int64_t timestamp_ms, float value_scale) {
  if (has_value_ && timestamp_ms <= last_timestamp_ms_) return value;
  if (last_timestamp_ms_ >= 0) frequency_ = 1000.0 / static_cast<double>(timestamp_ms - last_timestamp_ms_);
  last_timestamp_ms_ = timestamp_ms;
  const float derivative =
      has_value_ ? (value - last_raw_) * value_scale * static_cast<float>(frequency_) : 0.0f;
  const float alpha_d = Alpha(params_.derivative_cutoff);
  last_derivative_ = has_value_ ? alpha_d * derivative + (1 - alpha_d) * last_derivative_ : derivative;
  const float cutoff = params_.min_cutoff + params_.beta * std::fabs(last_derivative_);
  const float alpha = Alpha(cutoff);
  last_filtered_ = has_value_ ? alpha * value + (1 - alpha) * last_filtered_ : value;
  last_raw_ = value;
  has_value_ = true;
  return last_filtered_;
}

HandSmoother::HandSmoother(const OneEuroParams& image_params, const OneEuroParams& world_params)
    : image_(MakeFilters(image_params, std::make_index_sequence<3 * kNumHandLandmarks>())),
      world_(MakeFilters(world_params, std::make_index_sequence<3 * kNumHandLandmarks>())) {}

void HandSmoother::Apply(HandResult& hand, int image_width, int image_height, int64_t timestamp_ms) {
  // Work in pixels (z on the scale of x) so the object scale is isotropic.
  float min_x = INFINITY, max_x = -INFINITY, min_y = INFINITY, max_y = -INFINITY;
  for (const NormalizedLandmark& p : hand.landmarks) {
    min_x = std::min(min_x, p.x * image_width);
    max_x = std::max(max_x, p.x * image_width);
    min_y = std::min(min_y, p.y * image_height);
    max_y = std::max(max_y, p.y * image_height);
  }
  const float object_scale = ((max_x - min_x) + (max_y - min_y)) / 2.0f;
  const float value_scale = object_scale > 0 ? 1.0f / object_scale : 1.0f;
  for (int i = 0; i < kNumHandLandmarks; ++i) {
    NormalizedLandmark& p = hand.landmarks[i];
    p.x = image_[3 * i].Filter(p.x * image_width, timestamp_ms, value_scale) / image_width;
    p.y = image_[3 * i + 1].Filter(p.y * image_height, timestamp_ms, value_scale) / image_height;
    p.z = image_[3 * i + 2].Filter(p.z * image_width, timestamp_ms, value_scale) / image_width;
    WorldLandmark& w = hand.world_landmarks[i];
    w.x = world_[3 * i].Filter(w.x, timestamp_ms, 1.0f);
    w.y = world_[3 * i + 1].Filter(w.y, timestamp_ms, 1.0f);
    w.z = world_[3 * i + 2].Filter(w.z, timestamp_ms, 1.0f);
  }
}

}  // namespace handtrack::vision
