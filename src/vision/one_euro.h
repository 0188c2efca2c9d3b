// One-Euro smoothing of hand landmarks (Casiez et al. 2012), with MediaPipe's
// conventions (mediapipe/util/filtering/one_euro_filter.cc and
// LandmarksSmoothingCalculator): the derivative is scaled by 1/object size so
// one set of parameters suits near and far hands; time comes from frame
// timestamps, not from a fixed rate.
//
// Threading: a filter or smoother is used by one thread at a time.
#pragma once

#include <array>
#include <cstdint>

#include "handtrack/hand_landmarker.h"

namespace handtrack::vision {

class OneEuroFilter {
 public:
  explicit OneEuroFilter(const OneEuroParams& params) : params_(params) {}

  // Filters `value` observed at `timestamp_ms` (strictly increasing; a repeated
  // or older timestamp returns the value unfiltered). `value_scale` multiplies
  // the derivative (1 / object size for image landmarks).
  float Filter(float value, int64_t timestamp_ms, float value_scale);

 private:
  float Alpha(float cutoff) const;

  OneEuroParams params_;
  double frequency_ = 30.0;  // Hz, until two timestamps are seen
  int64_t last_timestamp_ms_ = -1;
  bool has_value_ = false;
  float last_raw_ = 0, last_filtered_ = 0, last_derivative_ = 0;
};

// Smooths one tracked hand's image and world landmarks in place.
class HandSmoother {
 public:
  HandSmoother(const OneEuroParams& image_params, const OneEuroParams& world_params);
  void Apply(HandResult& hand, int image_width, int image_height, int64_t timestamp_ms);

 private:
  std::array<OneEuroFilter, 3 * kNumHandLandmarks> image_;
  std::array<OneEuroFilter, 3 * kNumHandLandmarks> world_;
};

}  // namespace handtrack::vision
