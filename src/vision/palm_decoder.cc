#include "vision/palm_decoder.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>

namespace handtrack::vision {
namespace {

// hand_detector_graph.cc: sigmoid_score with score_clipping_thresh 100, in float.
float PalmScore(float logit) {
  constexpr float kClip = 100.0f;
  logit = logit < -kClip ? -kClip : logit;
  logit = logit > kClip ? kClip : logit;
  return 1.0f / (1.0f + std::exp(-logit));
}

}  // namespace

// Anchors whose logit is below this cannot reach min_score, so they are skipped
// before any exp or box decoding (most of the 2016 are far below). It is the
// threshold's logit lowered by 1: there the true sigmoid is at least 1.7e-4 (relative)
// below min_score (for min_score <= 0.9999; higher thresholds use 0.9999's logit), far
// beyond the few float ulps by which PalmScore can err, and PalmScore still decides
// every anchor that is not skipped. Thresholds of 1e-30 or less (or NaN) skip nothing.
float PalmLogitFloor(float min_score) {
  if (!(min_score > 1e-30f)) return -std::numeric_limits<float>::infinity();
  const double p = std::min(static_cast<double>(min_score), 0.9999);
  return static_cast<float>(std::log(p / (1.0 - p)) - 1.0);
}

std::vector<Detection> DecodePalmTensors(const float* raw_boxes, const float* raw_logits,
                                         std::span<const Anchor> anchors, float min_score) {
  std::vector<Detection> detections;
  if (raw_boxes == nullptr || raw_logits == nullptr) return detections;
  const float skip_below = PalmLogitFloor(min_score);
  for (size_t i = 0; i < anchors.size(); ++i) {
    // NaN logits are skipped too: their NaN score would be dropped below.
    if (!(raw_logits[i] >= skip_below)) continue;
    const float score = PalmScore(raw_logits[i]);
    // "score < min_score_thresh" drops a box; a NaN score never beats -FLT_MAX there.
    if (!(score >= min_score)) continue;

    // reverse_output_order: x, y, w, h; values divided by the 192 px input and
    // scaled by the (unit) anchor size, in TensorsToDetectionsCalculator's order.
    const float* raw = raw_boxes + i * kPalmValuesPerAnchor;
    const Anchor& anchor = anchors[i];
    const float x_center = raw[0] / kPalmInputSize * anchor.width + anchor.x_center;
    const float y_center = raw[1] / kPalmInputSize * anchor.height + anchor.y_center;
    const float w = raw[2] / kPalmInputSize * anchor.width;
    const float h = raw[3] / kPalmInputSize * anchor.height;
    const float xmin = x_center - w / 2.f;
    const float ymin = y_center - h / 2.f;
    const float xmax = x_center + w / 2.f;
    const float ymax = y_center + h / 2.f;

    Detection detection;
    detection.score = score;
    detection.xmin = xmin;
    detection.ymin = ymin;
    detection.width = xmax - xmin;
    detection.height = ymax - ymin;
    // Negative or NaN sizes are filtered out (b/171391719 in MediaPipe).
    if (!(detection.width >= 0 && detection.height >= 0)) continue;
    for (int k = 0; k < kNumPalmKeypoints; ++k) {
      const float* raw_keypoint = raw + 4 + 2 * k;
      detection.keypoints[k] = {raw_keypoint[0] / kPalmInputSize * anchor.width + anchor.x_center,
                                raw_keypoint[1] / kPalmInputSize * anchor.height + anchor.y_center};
    }
    detections.push_back(detection);
  }
  return detections;
}

std::vector<Detection> WeightedNonMaxSuppression(const std::vector<Detection>& detections,
                                                 float iou_threshold) {
  // Best first. MediaPipe's std::sort leaves ties unspecified; a stable sort keeps
  // anchor order among equal scores.
  std::vector<int> remaining(detections.size());
  std::iota(remaining.begin(), remaining.end(), 0);
  std::stable_sort(remaining.begin(), remaining.end(),
                   [&](int a, int b) { return detections[a].score > detections[b].score; });

  std::vector<Detection> output;
  std::vector<int> group;
  std::vector<int> apart;
  while (!remaining.empty()) {
    const Detection& best = detections[remaining.front()];
    group.clear();
    apart.clear();
    for (int index : remaining) {
      (IntersectionOverUnion(detections[index], best) > iou_threshold ? group : apart).push_back(index);
    }

    // The group can be empty when the best box has no area (IoU with itself 0):
    // MediaPipe then outputs it unchanged.
    Detection merged = best;
    if (!group.empty()) {
      float total_score = 0.0f;
      float weighted_xmin = 0.0f;
      float weighted_ymin = 0.0f;
      float weighted_xmax = 0.0f;
      float weighted_ymax = 0.0f;
      std::array<Point2, kNumPalmKeypoints> weighted_keypoints{};
      for (int index : group) {
        const Detection& member = detections[index];
        const float weight = member.score;
        total_score += weight;
        weighted_xmin += member.xmin * weight;
        weighted_ymin += member.ymin * weight;
        weighted_xmax += (member.xmin + member.width) * weight;
        weighted_ymax += (member.ymin + member.height) * weight;
        for (int k = 0; k < kNumPalmKeypoints; ++k) {
          weighted_keypoints[k].x += member.keypoints[k].x * weight;
          weighted_keypoints[k].y += member.keypoints[k].y * weight;
        }
      }
      merged.xmin = weighted_xmin / total_score;
      merged.ymin = weighted_ymin / total_score;
      merged.width = weighted_xmax / total_score - merged.xmin;
      merged.height = weighted_ymax / total_score - merged.ymin;
      for (int k = 0; k < kNumPalmKeypoints; ++k) {
        merged.keypoints[k] = {weighted_keypoints[k].x / total_score, weighted_keypoints[k].y / total_score};
      }
    }
    output.push_back(merged);

    // MediaPipe stops as soon as a round removes nothing.
    if (apart.size() == remaining.size()) break;
    remaining.swap(apart);
  }
  return output;
}

PalmDecoder::PalmDecoder(const PalmDecoderOptions& options)
    : options_(options), anchors_(GeneratePalmAnchors()) {}

std::vector<Detection> PalmDecoder::Decode(const float* raw_boxes, const float* raw_logits,
                                           const LetterboxTransform& letterbox) const {
  std::vector<Detection> detections = WeightedNonMaxSuppression(
      DecodePalmTensors(raw_boxes, raw_logits, anchors_, options_.min_score), options_.nms_iou_threshold);
  if (options_.max_detections >= 0 && detections.size() > static_cast<size_t>(options_.max_detections)) {
    detections.resize(options_.max_detections);
  }
  for (Detection& detection : detections) detection = RemoveLetterbox(detection, letterbox);
  return detections;
}

}  // namespace handtrack::vision
