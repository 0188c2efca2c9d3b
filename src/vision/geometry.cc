#include "vision/geometry.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace handtrack::vision {

Box BoxOf(const Detection& detection) {
  return {detection.xmin, detection.ymin, detection.xmin + detection.width,
          detection.ymin + detection.height};
}

Box BoxOf(const RotatedRect& rect) {
  // rectangle_util.cc divides by 2.0 (double) and rounds the corner to float.
  const float xmin = static_cast<float>(rect.x_center - rect.width / 2.0);
  const float ymin = static_cast<float>(rect.y_center - rect.height / 2.0);
  return {xmin, ymin, xmin + rect.width, ymin + rect.height};
}

namespace {

bool IsEmpty(const Box& box) { return box.xmin > box.xmax || box.ymin > box.ymax; }

float Area(const Box& box) { return (box.xmax - box.xmin) * (box.ymax - box.ymin); }

}  // namespace

float IntersectionOverUnion(const Box& a, const Box& b) {
  // Rectangle<T>::Intersects: strict comparisons, so touching boxes "intersect"
  // with zero area.
  if (IsEmpty(a) || IsEmpty(b) || b.xmax < a.xmin || a.xmax < b.xmin || b.ymax < a.ymin || a.ymax < b.ymin) {
    return 0.0f;
  }
  const Box intersection{std::max(a.xmin, b.xmin), std::max(a.ymin, b.ymin), std::min(a.xmax, b.xmax),
                         std::min(a.ymax, b.ymax)};
  const float intersection_area = Area(intersection);
  const float normalization = Area(a) + Area(b) - intersection_area;
  return normalization > 0.0f ? intersection_area / normalization : 0.0f;
}

float IntersectionOverUnion(const Detection& a, const Detection& b) {
  return IntersectionOverUnion(BoxOf(a), BoxOf(b));
}

float IntersectionOverUnion(const RotatedRect& a, const RotatedRect& b) {
  // MediaPipe rejects negative sizes with an error; here they simply never overlap.
  if (!(a.width >= 0 && a.height >= 0 && b.width >= 0 && b.height >= 0)) return 0.0f;
  return IntersectionOverUnion(BoxOf(a), BoxOf(b));
}

float NormalizeRadians(float angle) {
  constexpr double kPi = std::numbers::pi;
  return static_cast<float>(angle - 2 * kPi * std::floor((angle + kPi) / (2 * kPi)));
}

Detection ProjectDetection(const Detection& detection, const AffineTransform& transform) {
  Detection projected = detection;
  for (Point2& keypoint : projected.keypoints) keypoint = transform.Apply(keypoint);

  const float xmax = detection.xmin + detection.width;
  const float ymax = detection.ymin + detection.height;
  const std::array<Point2, 4> corners = {
      transform.Apply({detection.xmin, detection.ymin}), transform.Apply({xmax, detection.ymin}),
      transform.Apply({xmax, ymax}), transform.Apply({detection.xmin, ymax})};
  Point2 low{std::numeric_limits<float>::max(), std::numeric_limits<float>::max()};
  Point2 high{std::numeric_limits<float>::lowest(), std::numeric_limits<float>::lowest()};
  for (const Point2& corner : corners) {
    low = {std::min(low.x, corner.x), std::min(low.y, corner.y)};
    high = {std::max(high.x, corner.x), std::max(high.y, corner.y)};
  }
  projected.xmin = low.x;
  projected.ymin = low.y;
  projected.width = high.x - low.x;
  projected.height = high.y - low.y;
  return projected;
}

}  // namespace handtrack::vision
