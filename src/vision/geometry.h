// Plain geometry of the vision layer: points, palm detections, rotated regions
// of interest, affine maps, and the overlap measures MediaPipe uses on them.
//
// Coordinates are normalised to [0, 1] of the image they refer to (x by the
// width, y by the height) unless a name says "pixels". A normalised x times the
// image width is a pixel-index coordinate: integer values are pixel centres
// (OpenCV's convention, which MediaPipe's CPU path inherits).
//
// Threading: plain values and pure functions.
#pragma once

#include <array>

namespace handtrack::vision {

struct Point2 {
  float x = 0;
  float y = 0;
};

inline constexpr int kNumPalmKeypoints = 7;

// A palm detection: score, axis-aligned box and the model's 7 keypoints
// (0 = wrist centre, 2 = middle-finger MCP).
struct Detection {
  float score = 0;
  float xmin = 0;
  float ymin = 0;
  float width = 0;
  float height = 0;
  std::array<Point2, kNumPalmKeypoints> keypoints{};
};

// MediaPipe's NormalizedRect: centre and size normalised by the image width and
// height, rotation in radians. A positive rotation turns the region's x axis
// towards +y of the image (clockwise on screen).
struct RotatedRect {
  float x_center = 0;
  float y_center = 0;
  float width = 0;
  float height = 0;
  float rotation = 0;
};

// An axis-aligned box by its corners.
struct Box {
  float xmin = 0;
  float ymin = 0;
  float xmax = 0;
  float ymax = 0;
};

// The box of a detection, xmax = xmin + width in float, as MediaPipe's
// Rectangle_f builds it (the NMS overlap depends on these exact values).
Box BoxOf(const Detection& detection);

// The box of a region as HandAssociationCalculator sees it (rectangle_util.cc
// ToRectangle): rotation ignored, xmin = x_center - width / 2.
Box BoxOf(const RotatedRect& rect);

// Intersection over union as MediaPipe computes it (non_max_suppression_calculator.cc,
// rectangle_util.cc CalculateIou, landmarks_utils.cc CalculateIOU agree): 0 for
// empty or disjoint boxes; touching boxes give 0.
float IntersectionOverUnion(const Box& a, const Box& b);

// NMS overlap of two palm detections (their axis-aligned boxes).
float IntersectionOverUnion(const Detection& a, const Detection& b);

// Overlap of two hand regions as HandAssociationCalculator measures it: the
// rotation is ignored (MediaPipe's "TODO: Support rotation for rectangle").
float IntersectionOverUnion(const RotatedRect& a, const RotatedRect& b);

// Wraps an angle to [-pi, pi) exactly as MediaPipe's NormalizeRadians (in double).
float NormalizeRadians(float angle);

// p' = (xx * x + xy * y + x0, yx * x + yy * y + y0), evaluated in float in that
// order (the order of DetectionProjectionCalculator's project_fn).
struct AffineTransform {
  float xx = 1;
  float xy = 0;
  float x0 = 0;
  float yx = 0;
  float yy = 1;
  float y0 = 0;

  Point2 Apply(Point2 p) const { return {p.x * xx + p.y * xy + x0, p.x * yx + p.y * yy + y0}; }
};

// Maps a detection through a transform as DetectionProjectionCalculator does:
// keypoints are mapped, the box becomes the bounding box of its 4 mapped corners.
Detection ProjectDetection(const Detection& detection, const AffineTransform& transform);

}  // namespace handtrack::vision
