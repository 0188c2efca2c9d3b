// Palm detection post-processing: raw model outputs -> palm detections in
// normalised image coordinates, as hand_detector_graph.cc wires
// TensorsToDetectionsCalculator -> NonMaxSuppressionCalculator (WEIGHTED, IoU
// 0.3) -> DetectionProjectionCalculator.
//
// Threading: PalmDecoder is immutable after construction; Decode may be called
// from several threads at once. The free functions are pure.
#pragma once

#include <span>
#include <vector>

#include "vision/anchors.h"
#include "vision/geometry.h"
#include "vision/image_to_tensor.h"

namespace handtrack::vision {

// 18 values per anchor: box centre x, y, width, height, then 7 keypoints (x, y),
// in pixels of the 192x192 input, relative to the anchor centre.
inline constexpr int kPalmValuesPerAnchor = 18;
inline constexpr float kPalmInputSize = 192.0f;

struct PalmDecoderOptions {
  float min_score = 0.5f;          // min_hand_detection_confidence: keep score >= min_score
  float nms_iou_threshold = 0.3f;  // a box joins a group when its IoU is > this
  // Detections kept after NMS, best first; -1 keeps all. MediaPipe keeps all and
  // clips the hand regions to num_hands afterwards, which selects the same ones.
  int max_detections = -1;
};

// The logit below which DecodePalmTensors skips an anchor without reading its box
// (NaN logits are skipped too): such rows of raw_boxes may hold anything.
float PalmLogitFloor(float min_score);

// TensorsToDetectionsCalculator on the palm model's outputs: raw_boxes holds
// anchors.size() x 18 floats, raw_logits anchors.size() floats. Score =
// sigmoid(clamp(logit, -100, 100)); boxes below min_score, or with negative or
// NaN size, are dropped. Coordinates stay normalised to the (letterboxed) input.
// Order: anchor order.
std::vector<Detection> DecodePalmTensors(const float* raw_boxes, const float* raw_logits,
                                         std::span<const Anchor> anchors, float min_score);

// NonMaxSuppressionCalculator's WEIGHTED algorithm: repeatedly takes the best
// remaining detection; every remaining detection whose IoU with it exceeds
// iou_threshold (itself included) joins its group; the group's box corners and
// keypoints become the score-weighted mean, the score stays the best one.
// Returns the groups best first.
std::vector<Detection> WeightedNonMaxSuppression(const std::vector<Detection>& detections,
                                                 float iou_threshold);

class PalmDecoder {
 public:
  explicit PalmDecoder(const PalmDecoderOptions& options = {});

  // Decode, NMS, then removal of the letterbox: detections in normalised image
  // coordinates, best first. raw_boxes: 2016 x 18 floats, raw_logits: 2016
  // floats (null pointers give no detections).
  std::vector<Detection> Decode(const float* raw_boxes, const float* raw_logits,
                                const LetterboxTransform& letterbox) const;

  const PalmDecoderOptions& options() const { return options_; }

 private:
  PalmDecoderOptions options_;
  std::vector<Anchor> anchors_;
};

}  // namespace handtrack::vision
