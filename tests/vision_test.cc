// Unit tests of src/vision: anchors, palm decoding and NMS, the two samplers,
// hand regions, landmark projection and de-duplication; plus a sanity check of
// LandmarksToHandRect on MediaPipe's own landmarks in ../shared/golden.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <numbers>
#include <sstream>
#include <string>
#include <vector>

#include "handtrack/image.h"
#include "vision/anchors.h"
#include "vision/geometry.h"
#include "vision/hand_rect.h"
#include "vision/image_to_tensor.h"
#include "vision/landmarks.h"
#include "vision/palm_decoder.h"

namespace handtrack::vision {
namespace {

constexpr float kPi = std::numbers::pi_v<float>;
using HandLandmarks = std::array<NormalizedLandmark, kNumHandLandmarks>;

float Level(int v) { return static_cast<float>(v) * (1.0f / 255.0f); }

// An RGB image whose pixel (x, y) is fn(x, y) -> {r, g, b}.
template <typename Fn>
Image MakeImage(int width, int height, Fn fn) {
  Image image(width, height, PixelFormat::kRGB);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const std::array<int, 3> rgb = fn(x, y);
      for (int c = 0; c < 3; ++c) image.data()[(y * width + x) * 3 + c] = static_cast<uint8_t>(rgb[c]);
    }
  }
  return image;
}

// The same pixels in another layout, with `padding` spare bytes per row.
std::vector<uint8_t> Repack(const Image& rgb, PixelFormat format, int padding, ImageView* view) {
  const int bpp = BytesPerPixel(format);
  const int stride = rgb.width() * bpp + padding;
  const bool bgr = format == PixelFormat::kBGR || format == PixelFormat::kBGRA;
  std::vector<uint8_t> bytes(static_cast<size_t>(stride) * rgb.height(), 77);
  for (int y = 0; y < rgb.height(); ++y) {
    for (int x = 0; x < rgb.width(); ++x) {
      const uint8_t* src = rgb.data() + (y * rgb.width() + x) * 3;
      uint8_t* dst = bytes.data() + y * stride + x * bpp;
      dst[0] = src[bgr ? 2 : 0];
      dst[1] = src[1];
      dst[2] = src[bgr ? 0 : 2];
      if (bpp == 4) dst[3] = 13;
    }
  }
  *view = ImageView{bytes.data(), rgb.width(), rgb.height(), stride, format};
  return bytes;
}

Detection MakeDetection(float score, float xmin, float ymin, float width, float height,
                        Point2 keypoint = {}) {
  Detection detection;
  detection.score = score;
  detection.xmin = xmin;
  detection.ymin = ymin;
  detection.width = width;
  detection.height = height;
  detection.keypoints.fill(keypoint);
  return detection;
}

// ---------------------------------------------------------------- anchors

TEST(AnchorsTest, PalmAnchorsHaveTheModelsLayout) {
  const std::vector<Anchor> anchors = GeneratePalmAnchors();
  ASSERT_EQ(anchors.size(), static_cast<size_t>(kNumPalmAnchors));
  // Stride 8: 24x24 cells, 2 anchors per cell.
  EXPECT_FLOAT_EQ(anchors[0].x_center, 0.5f / 24);
  EXPECT_FLOAT_EQ(anchors[0].y_center, 0.5f / 24);
  EXPECT_FLOAT_EQ(anchors[0].width, 1.0f);
  EXPECT_FLOAT_EQ(anchors[0].height, 1.0f);
  EXPECT_FLOAT_EQ(anchors[1].x_center, 0.5f / 24);
  EXPECT_FLOAT_EQ(anchors[2].x_center, 1.5f / 24);
  EXPECT_FLOAT_EQ(anchors[48].x_center, 0.5f / 24);
  EXPECT_FLOAT_EQ(anchors[48].y_center, 1.5f / 24);
  // Strides 16, 16, 16 share a 12x12 grid with 6 anchors per cell.
  for (int i = 1152; i < 1158; ++i) {
    EXPECT_FLOAT_EQ(anchors[i].x_center, 0.5f / 12) << i;
    EXPECT_FLOAT_EQ(anchors[i].y_center, 0.5f / 12) << i;
  }
  EXPECT_FLOAT_EQ(anchors[1158].x_center, 1.5f / 12);
  EXPECT_FLOAT_EQ(anchors[2015].x_center, 11.5f / 12);
  EXPECT_FLOAT_EQ(anchors[2015].y_center, 11.5f / 12);
}

// ---------------------------------------------------------------- decoding and NMS

TEST(PalmDecoderTest, DecodesBoxesKeypointsAndScores) {
  const std::vector<Anchor> anchors = GeneratePalmAnchors();
  std::vector<float> boxes(anchors.size() * kPalmValuesPerAnchor, 0.0f);
  std::vector<float> logits(anchors.size(), -10.0f);

  // Anchor 100: cell 50 of the 24x24 grid, centre (2.5 / 24, 2.5 / 24).
  logits[100] = 2.0f;
  float* raw = boxes.data() + 100 * kPalmValuesPerAnchor;
  raw[0] = 9.6f;    // +0.05
  raw[1] = -19.2f;  // -0.1
  raw[2] = 38.4f;   // width 0.2
  raw[3] = 57.6f;   // height 0.3
  raw[4 + 2 * 2] = 19.2f;
  raw[4 + 2 * 2 + 1] = -38.4f;
  logits[7] = 1000.0f;  // clipped to 100: score 1
  logits[8] = 0.0f;     // score exactly 0.5: kept (>=)
  logits[9] = NAN;      // dropped
  logits[10] = 5.0f;    // negative width: dropped
  boxes[10 * kPalmValuesPerAnchor + 2] = -1.0f;

  const std::vector<Detection> detections = DecodePalmTensors(boxes.data(), logits.data(), anchors, 0.5f);
  ASSERT_EQ(detections.size(), 3u);
  EXPECT_FLOAT_EQ(detections[0].score, 1.0f);
  EXPECT_FLOAT_EQ(detections[1].score, 0.5f);
  const Detection& d = detections[2];
  const float cx = 2.5f / 24;
  EXPECT_NEAR(d.score, 1.0 / (1.0 + std::exp(-2.0)), 1e-6);
  EXPECT_NEAR(d.xmin, cx + 0.05f - 0.1f, 1e-6);
  EXPECT_NEAR(d.ymin, cx - 0.1f - 0.15f, 1e-6);
  EXPECT_NEAR(d.width, 0.2f, 1e-6);
  EXPECT_NEAR(d.height, 0.3f, 1e-6);
  EXPECT_NEAR(d.keypoints[0].x, cx, 1e-6);
  EXPECT_NEAR(d.keypoints[0].y, cx, 1e-6);
  EXPECT_NEAR(d.keypoints[2].x, cx + 0.1f, 1e-6);
  EXPECT_NEAR(d.keypoints[2].y, cx - 0.2f, 1e-6);
  EXPECT_TRUE(DecodePalmTensors(nullptr, logits.data(), anchors, 0.5f).empty());
}

TEST(PalmDecoderTest, WeightedNmsMergesOverlapsAndKeepsDistantBoxes) {
  const Detection a = MakeDetection(0.9f, 0.10f, 0.1f, 0.2f, 0.2f, {0.2f, 0.2f});
  const Detection b = MakeDetection(0.6f, 0.12f, 0.1f, 0.2f, 0.2f, {0.3f, 0.3f});
  const Detection far = MakeDetection(0.8f, 0.6f, 0.6f, 0.2f, 0.2f, {0.7f, 0.7f});
  const Detection weak_neighbour = MakeDetection(0.7f, 0.6f + 0.2f * 0.7f, 0.6f, 0.2f, 0.2f);  // IoU ~0.18
  ASSERT_GT(IntersectionOverUnion(a, b), 0.3f);
  ASSERT_LT(IntersectionOverUnion(far, weak_neighbour), 0.3f);

  const std::vector<Detection> merged = WeightedNonMaxSuppression({b, far, a, weak_neighbour}, 0.3f);
  ASSERT_EQ(merged.size(), 3u);
  EXPECT_FLOAT_EQ(merged[0].score, 0.9f);  // the best score, not an average
  EXPECT_NEAR(merged[0].xmin, (0.10f * 0.9f + 0.12f * 0.6f) / 1.5f, 1e-6);
  EXPECT_NEAR(merged[0].ymin, 0.1f, 1e-6);
  EXPECT_NEAR(merged[0].width, 0.2f, 1e-6);
  EXPECT_NEAR(merged[0].height, 0.2f, 1e-6);
  for (const Point2& keypoint : merged[0].keypoints) {
    EXPECT_NEAR(keypoint.x, (0.2f * 0.9f + 0.3f * 0.6f) / 1.5f, 1e-6);
    EXPECT_NEAR(keypoint.y, 0.24f, 1e-6);
  }
  EXPECT_FLOAT_EQ(merged[1].score, 0.8f);
  EXPECT_FLOAT_EQ(merged[1].xmin, 0.6f);
  EXPECT_FLOAT_EQ(merged[2].score, 0.7f);
  EXPECT_TRUE(WeightedNonMaxSuppression({}, 0.3f).empty());
}

TEST(PalmDecoderTest, DecodeRemovesTheLetterbox) {
  // A 384x192 image letterboxed into 192x192: the content fills tensor rows 48..143.
  const Image image = MakeImage(384, 192, [](int, int) { return std::array<int, 3>{0, 0, 0}; });
  std::vector<float> tensor(192 * 192 * 3);
  const LetterboxTransform letterbox = LetterboxImage(image.view(), 192, 192, tensor.data());
  EXPECT_FLOAT_EQ(letterbox.padding[0], 0.0f);
  EXPECT_FLOAT_EQ(letterbox.padding[1], 0.25f);
  EXPECT_FLOAT_EQ(letterbox.padding[3], 0.25f);

  const std::vector<Anchor> anchors = GeneratePalmAnchors();
  std::vector<float> boxes(anchors.size() * kPalmValuesPerAnchor, 0.0f);
  std::vector<float> logits(anchors.size(), -10.0f);
  // Anchors 1152 and 1153 share the centre (0.5 / 12, 0.5 / 12); move both to
  // the tensor centre with a 0.2 x 0.2 box: NMS merges them into one.
  for (int i : {1152, 1153}) {
    float* raw = boxes.data() + i * kPalmValuesPerAnchor;
    raw[0] = raw[1] = (0.5f - 0.5f / 12) * 192;
    raw[2] = raw[3] = 0.2f * 192;
    logits[i] = 3.0f;
  }
  const PalmDecoder decoder;
  const std::vector<Detection> detections = decoder.Decode(boxes.data(), logits.data(), letterbox);
  ASSERT_EQ(detections.size(), 1u);
  EXPECT_NEAR(detections[0].xmin, 0.4f, 1e-5);
  EXPECT_NEAR(detections[0].ymin, 0.3f, 1e-5);  // y_image = 2 * y_tensor - 0.5
  EXPECT_NEAR(detections[0].width, 0.2f, 1e-5);
  EXPECT_NEAR(detections[0].height, 0.4f, 1e-5);
  // Keypoints stayed on the anchor centre.
  EXPECT_NEAR(detections[0].keypoints[0].x, 0.5f / 12, 1e-5);
  EXPECT_NEAR(detections[0].keypoints[0].y, 2 * (0.5f / 12) - 0.5f, 1e-5);
}

// ---------------------------------------------------------------- letterbox

TEST(LetterboxTest, PlacesAWideImageInTheMiddleWithAZeroBorder) {
  const Image image = MakeImage(8, 4, [](int x, int y) {
    return std::array<int, 3>{10 * x, 20 * y + 5, 200};
  });
  for (PixelFormat format : {PixelFormat::kRGB, PixelFormat::kBGR, PixelFormat::kRGBA, PixelFormat::kBGRA}) {
    ImageView view;
    const std::vector<uint8_t> bytes = Repack(image, format, /*padding=*/5, &view);
    std::vector<float> tensor(8 * 8 * 3, -1.0f);
    const LetterboxTransform letterbox = LetterboxImage(view, 8, 8, tensor.data());
    for (int y = 0; y < 8; ++y) {
      for (int x = 0; x < 8; ++x) {
        const float* rgb = &tensor[(y * 8 + x) * 3];
        const int source_y = y - 2;  // the 8x4 content sits in rows 2..5
        if (source_y < 0 || source_y >= 4) {
          EXPECT_EQ(rgb[0], 0.0f);
          EXPECT_EQ(rgb[1], 0.0f);
          EXPECT_EQ(rgb[2], 0.0f);
        } else {
          EXPECT_EQ(rgb[0], Level(10 * x)) << x << "," << y;
          EXPECT_EQ(rgb[1], Level(20 * source_y + 5));
          EXPECT_EQ(rgb[2], Level(200));
        }
      }
    }
    // Tensor pixel (x, y) is image pixel (x, y - 2); normalised: x / 8 -> x / 8, y / 8 -> (y - 2) / 4.
    for (Point2 tensor_pixel : {Point2{0, 2}, Point2{7, 5}, Point2{3.5f, 0}, Point2{1, 7.25f}}) {
      const Point2 image_point = letterbox.tensor_to_image.Apply({tensor_pixel.x / 8, tensor_pixel.y / 8});
      EXPECT_NEAR(image_point.x * 8, tensor_pixel.x, 1e-5);
      EXPECT_NEAR(image_point.y * 4, tensor_pixel.y - 2, 1e-5);
    }
  }
}

TEST(LetterboxTest, DownscalesByPickingSourcePixels) {
  // 384x192 -> 192x192: scale 2, tensor pixel (x, y) samples image pixel (2x, 2y - 96) exactly.
  const Image image = MakeImage(384, 192, [](int x, int y) {
    return std::array<int, 3>{(x * 7 + y) % 256, (x * y) % 256, y};
  });
  std::vector<float> tensor(192 * 192 * 3);
  LetterboxImage(image.view(), 192, 192, tensor.data());
  for (int y = 0; y < 192; ++y) {
    for (int x = 0; x < 192; ++x) {
      const int sx = 2 * x;
      const int sy = 2 * y - 96;
      for (int c = 0; c < 3; ++c) {
        const float expected = sy < 0 || sy >= 192 ? 0.0f : Level(image.data()[(sy * 384 + sx) * 3 + c]);
        ASSERT_EQ(tensor[(y * 192 + x) * 3 + c], expected) << x << "," << y << "," << c;
      }
    }
  }
}

TEST(LetterboxTest, TallImageAndBadInput) {
  const Image image = MakeImage(2, 4, [](int, int) { return std::array<int, 3>{255, 255, 255}; });
  std::vector<float> tensor(4 * 4 * 3);
  const LetterboxTransform letterbox = LetterboxImage(image.view(), 4, 4, tensor.data());
  EXPECT_FLOAT_EQ(letterbox.padding[0], 0.25f);
  EXPECT_FLOAT_EQ(letterbox.padding[1], 0.0f);
  EXPECT_EQ(tensor[0], 0.0f);                      // column 0: border
  EXPECT_EQ(tensor[(0 * 4 + 1) * 3], Level(255));  // columns 1, 2: the image
  EXPECT_EQ(tensor[(3 * 4 + 2) * 3], Level(255));
  EXPECT_EQ(tensor[(3 * 4 + 3) * 3], 0.0f);

  std::fill(tensor.begin(), tensor.end(), 7.0f);
  const ImageView bad{nullptr, 10, 10, 30, PixelFormat::kRGB};
  LetterboxImage(bad, 4, 4, tensor.data());
  EXPECT_TRUE(std::all_of(tensor.begin(), tensor.end(), [](float v) { return v == 0.0f; }));
}

// ---------------------------------------------------------------- rotated crop

// R = x, G = y, B = 255 - x on a 256x256 image.
Image GradientImage() {
  return MakeImage(256, 256, [](int x, int y) { return std::array<int, 3>{x, y, 255 - x}; });
}

TEST(CropRotatedRectTest, UnrotatedCropCopiesPixels) {
  const Image image = GradientImage();
  std::vector<float> tensor(224 * 224 * 3);
  const RotatedRect roi{0.5f, 0.5f, 224.0f / 256, 224.0f / 256, 0.0f};
  ASSERT_TRUE(CropRotatedRect(image.view(), roi, 224, 224, tensor.data()));
  for (int y = 0; y < 224; y += 7) {
    for (int x = 0; x < 224; x += 5) {
      const float* rgb = &tensor[(y * 224 + x) * 3];
      ASSERT_EQ(rgb[0], Level(16 + x));
      ASSERT_EQ(rgb[1], Level(16 + y));
      ASSERT_EQ(rgb[2], Level(255 - 16 - x));
    }
  }
}

TEST(CropRotatedRectTest, QuarterTurnRotatesTheSampling) {
  const Image image = GradientImage();
  std::vector<float> tensor(224 * 224 * 3);
  // +90 degrees: the region's x axis runs along the image's +y.
  const RotatedRect roi{0.5f, 0.5f, 224.0f / 256, 224.0f / 256, kPi / 2};
  ASSERT_TRUE(CropRotatedRect(image.view(), roi, 224, 224, tensor.data()));
  for (int y = 0; y < 224; y += 3) {
    for (int x = 0; x < 224; x += 11) {
      const float* rgb = &tensor[(y * 224 + x) * 3];
      ASSERT_EQ(rgb[0], Level(240 - y)) << x << "," << y;
      ASSERT_EQ(rgb[1], Level(16 + x)) << x << "," << y;
    }
  }
}

TEST(CropRotatedRectTest, UpsamplingRoundsLikeOpenCv) {
  // A 112 px region into 224: odd tensor pixels fall half-way between two image
  // pixels; the 8-bit result rounds half up.
  const Image image = GradientImage();
  std::vector<float> tensor(224 * 224 * 3);
  const RotatedRect roi{0.5f, 0.5f, 112.0f / 256, 112.0f / 256, 0.0f};
  ASSERT_TRUE(CropRotatedRect(image.view(), roi, 224, 224, tensor.data()));
  for (int y = 0; y < 224; y += 13) {
    for (int x = 0; x < 224; ++x) {
      const float* rgb = &tensor[(y * 224 + x) * 3];
      ASSERT_EQ(rgb[0], Level(72 + (x + 1) / 2)) << x;
      ASSERT_EQ(rgb[1], Level(72 + (y + 1) / 2)) << y;
      ASSERT_EQ(rgb[2], Level(255 - 72 - x / 2)) << x;
    }
  }
}

TEST(CropRotatedRectTest, BorderModes) {
  const Image image = MakeImage(4, 4, [](int x, int y) { return std::array<int, 3>{50 + x, 60 + y, 70}; });
  // A 4x4 px region centred on the top-left pixel: tensor (x, y) samples image (x - 2, y - 2).
  const RotatedRect roi{0.0f, 0.0f, 1.0f, 1.0f, 0.0f};
  std::vector<float> zero(4 * 4 * 3);
  std::vector<float> replicate(4 * 4 * 3);
  ASSERT_TRUE(CropRotatedRect(image.view(), roi, 4, 4, zero.data(), BorderMode::kZero));
  ASSERT_TRUE(CropRotatedRect(image.view(), roi, 4, 4, replicate.data(), BorderMode::kReplicate));
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 4; ++x) {
      const int i = (y * 4 + x) * 3;
      const bool inside = x >= 2 && y >= 2;
      EXPECT_EQ(zero[i], inside ? Level(50 + x - 2) : 0.0f) << x << "," << y;
      EXPECT_EQ(replicate[i], Level(50 + std::max(x - 2, 0))) << x << "," << y;
      EXPECT_EQ(replicate[i + 1], Level(60 + std::max(y - 2, 0))) << x << "," << y;
    }
  }
}

TEST(CropRotatedRectTest, AnyRotationAgreesWithTheRegionTransform) {
  // Against plain double bilinear sampling at the positions that MediaPipe's
  // region matrix (RoiToImageTransform) gives: within one 8-bit level.
  const Image image = GradientImage();
  const int out = 64;
  std::vector<float> tensor(out * out * 3);
  for (float rotation : {0.3f, -1.1f, 2.5f, -kPi}) {
    const RotatedRect roi{0.52f, 0.47f, 0.4f, 0.3f, rotation};
    ASSERT_TRUE(CropRotatedRect(image.view(), roi, out, out, tensor.data(), BorderMode::kReplicate));
    const AffineTransform to_image = RoiToImageTransform(ToPixelRect(roi, 256, 256), 256, 256);
    for (int y = 0; y < out; ++y) {
      for (int x = 0; x < out; ++x) {
        const Point2 p = to_image.Apply({static_cast<float>(x) / out, static_cast<float>(y) / out});
        const double sx = std::clamp(p.x * 256.0, 0.0, 255.0);
        const double sy = std::clamp(p.y * 256.0, 0.0, 255.0);
        // R = x and G = y are linear, so bilinear sampling gives the coordinates back.
        EXPECT_NEAR(tensor[(y * out + x) * 3 + 0] * 255.0, sx, 1.0) << rotation << " " << x << "," << y;
        EXPECT_NEAR(tensor[(y * out + x) * 3 + 1] * 255.0, sy, 1.0) << rotation << " " << x << "," << y;
      }
    }
  }
}

TEST(CropRotatedRectTest, RejectsUnusableRegions) {
  const Image image = GradientImage();
  std::vector<float> tensor(8 * 8 * 3, 5.0f);
  EXPECT_FALSE(CropRotatedRect(image.view(), RotatedRect{0.5f, 0.5f, 0.0f, 0.0f, 0.0f}, 8, 8, tensor.data()));
  EXPECT_TRUE(std::all_of(tensor.begin(), tensor.end(), [](float v) { return v == 0.0f; }));
  EXPECT_FALSE(CropRotatedRect(image.view(), RotatedRect{NAN, 0.5f, 0.1f, 0.1f, 0.0f}, 8, 8, tensor.data()));
  EXPECT_FALSE(CropRotatedRect(image.view(), RotatedRect{0.5f, 0.5f, 0.1f, 0.1f, 0.0f}, 0, 8, tensor.data()));
  EXPECT_FALSE(CropRotatedRect(image.view(), RotatedRect{0.5f, 0.5f, 0.1f, 0.1f, 0.0f}, 8, 8, nullptr));
}

// ---------------------------------------------------------------- regions

Detection PalmWithKeypoints(Point2 wrist, Point2 middle_mcp) {
  Detection detection = MakeDetection(0.9f, 0.4f, 0.4f, 0.2f, 0.2f);
  detection.keypoints[0] = wrist;
  detection.keypoints[2] = middle_mcp;
  return detection;
}

TEST(HandRectTest, DetectionToHandRectFollowsTheHand) {
  const Detection up = PalmWithKeypoints({0.5f, 0.6f}, {0.5f, 0.4f});
  const RotatedRect up_rect = DetectionToHandRect(up, 100, 100, kLegacyPalmTargetAngle);
  EXPECT_FLOAT_EQ(up_rect.rotation, 0.0f);
  EXPECT_NEAR(up_rect.x_center, 0.5f, 1e-6);
  EXPECT_NEAR(up_rect.y_center, 0.4f, 1e-6);  // shifted half a box towards the fingers
  EXPECT_NEAR(up_rect.width, 0.52f, 1e-6);
  EXPECT_NEAR(up_rect.height, 0.52f, 1e-6);

  const Detection right = PalmWithKeypoints({0.4f, 0.5f}, {0.6f, 0.5f});
  const RotatedRect right_rect = DetectionToHandRect(right, 100, 100, kLegacyPalmTargetAngle);
  EXPECT_NEAR(right_rect.rotation, kPi / 2, 1e-6);
  EXPECT_NEAR(right_rect.x_center, 0.6f, 1e-6);
  EXPECT_NEAR(right_rect.y_center, 0.5f, 1e-6);

  // MediaPipe Tasks' target angle is 90 radians: an upright hand's region turns by 0.4646 rad.
  const RotatedRect tasks_rect = DetectionToHandRect(up, 100, 100);
  EXPECT_NEAR(tasks_rect.rotation, std::remainder(90.0 - std::numbers::pi / 2, 2 * std::numbers::pi), 1e-5);
}

TEST(HandRectTest, SquareLongUsesPixels) {
  // A 0.2 x 0.2 box on a 200x100 image is 40 x 20 px: the square side is 40 px.
  Detection detection = PalmWithKeypoints({0.5f, 0.6f}, {0.5f, 0.4f});
  const RotatedRect rect = DetectionToHandRect(detection, 200, 100, kLegacyPalmTargetAngle);
  EXPECT_NEAR(rect.width * 200, 40 * 2.6f, 1e-3);
  EXPECT_NEAR(rect.height * 100, 40 * 2.6f, 1e-3);
}

// A synthetic upright hand in a 640x480 image, offset by (dx, dy) pixels.
HandLandmarks SyntheticHand(float dx = 0, float dy = 0) {
  const std::array<Point2, kNumHandLandmarks> pixels = {{
      {320, 400},                                      // wrist
      {285, 380}, {265, 350}, {255, 320}, {250, 295},  // thumb
      {300, 300}, {298, 260}, {297, 235}, {296, 215},  // index
      {320, 295}, {320, 250}, {320, 222}, {320, 200},  // middle
      {340, 300}, {342, 260}, {343, 237}, {344, 218},  // ring
      {360, 310}, {364, 280}, {366, 262}, {368, 246},  // pinky
  }};
  HandLandmarks hand;
  for (int i = 0; i < kNumHandLandmarks; ++i)
    hand[i] = {(pixels[i].x + dx) / 640, (pixels[i].y + dy) / 480, 0};
  return hand;
}

TEST(HandRectTest, LandmarksToHandRectOfAnUprightHand) {
  const HandLandmarks hand = SyntheticHand();
  const RotatedRect rect = LandmarksToRect(hand, 640, 480);
  // Wrist (320, 400) -> mean(mean(index MCP, ring MCP), middle MCP) = (320, 297.5): straight up.
  EXPECT_NEAR(rect.rotation, 0.0f, 1e-6);
  // Bounds of the subset {0,1,2,3,5,6,9,10,13,14,17,18}: x 255..364, y 250..400.
  EXPECT_NEAR(rect.width * 640, 109, 1e-3);
  EXPECT_NEAR(rect.height * 480, 150, 1e-3);
  EXPECT_NEAR(rect.x_center * 640, 309.5, 1e-3);
  EXPECT_NEAR(rect.y_center * 480, 325, 1e-3);

  const RotatedRect next = LandmarksToHandRect(hand, 640, 480);
  EXPECT_NEAR(next.rotation, 0.0f, 1e-6);
  EXPECT_NEAR(next.width * 640, 300, 1e-2);  // square_long: 150 px, then 2x
  EXPECT_NEAR(next.height * 480, 300, 1e-2);
  EXPECT_NEAR(next.y_center * 480, 325 - 15, 1e-2);  // shift_y -0.1 of 150 px
}

TEST(HandRectTest, LandmarksToHandRectOfATurnedHand) {
  // The same hand turned a quarter clockwise on screen about (320, 300): fingers point right.
  HandLandmarks hand = SyntheticHand();
  for (NormalizedLandmark& landmark : hand) {
    const float x = landmark.x * 640 - 320;
    const float y = landmark.y * 480 - 300;
    landmark.x = (320 - y) / 640;
    landmark.y = (300 + x) / 480;
  }
  const RotatedRect rect = LandmarksToRect(hand, 640, 480);
  EXPECT_NEAR(rect.rotation, kPi / 2, 1e-5);
  EXPECT_NEAR(rect.width * 640, 109, 1e-2);  // sizes stay in the hand's own frame
  EXPECT_NEAR(rect.height * 480, 150, 1e-2);
}

TEST(HandRectTest, AssociationKeepsTrackedRegionsFirst) {
  const RotatedRect tracked{0.3f, 0.3f, 0.2f, 0.2f, 0.4f};
  const RotatedRect same_hand{0.31f, 0.3f, 0.2f, 0.2f, 0.0f};
  const RotatedRect new_hand{0.7f, 0.7f, 0.2f, 0.2f, 0.0f};
  const RotatedRect new_hand_again{0.71f, 0.7f, 0.2f, 0.2f, 0.0f};
  EXPECT_NEAR(IntersectionOverUnion(tracked, same_hand), 0.19f / 0.21f, 1e-5);  // rotation ignored
  const std::vector<RotatedRect> tracked_list{tracked};
  const std::vector<RotatedRect> detected{same_hand, new_hand, new_hand_again};
  const std::vector<RotatedRect> kept = AssociateHandRects(tracked_list, detected, 0.5f);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_FLOAT_EQ(kept[0].rotation, 0.4f);
  EXPECT_FLOAT_EQ(kept[1].x_center, 0.7f);
}

TEST(GeometryTest, IntersectionOverUnion) {
  EXPECT_FLOAT_EQ(IntersectionOverUnion(Box{0, 0, 1, 1}, Box{0, 0, 1, 1}), 1.0f);
  EXPECT_FLOAT_EQ(IntersectionOverUnion(Box{0, 0, 2, 1}, Box{1, 0, 3, 1}), 1.0f / 3);
  EXPECT_FLOAT_EQ(IntersectionOverUnion(Box{0, 0, 1, 1}, Box{1, 0, 2, 1}), 0.0f);  // touching
  EXPECT_FLOAT_EQ(IntersectionOverUnion(Box{0, 0, 1, 1}, Box{2, 2, 3, 3}), 0.0f);
  EXPECT_FLOAT_EQ(IntersectionOverUnion(Box{0, 0, 0, 0}, Box{0, 0, 0, 0}), 0.0f);
  EXPECT_NEAR(NormalizeRadians(3 * kPi / 2), -kPi / 2, 1e-6);
  EXPECT_NEAR(NormalizeRadians(-3 * kPi / 2), kPi / 2, 1e-6);
  EXPECT_NEAR(NormalizeRadians(90.0f), 90.0 - 28 * std::numbers::pi, 1e-5);
}

// ---------------------------------------------------------------- landmarks

TEST(LandmarksTest, ProjectionInvertsTheCrop) {
  // A bright dot in a 200x100 image, a square 50 px region around it turned by
  // 0.7 rad: find the dot in the 224x224 crop, project it back.
  const int dot_x = 83;
  const int dot_y = 58;
  const Image image = MakeImage(200, 100, [&](int x, int y) {
    const int v = x == dot_x && y == dot_y ? 255 : 0;
    return std::array<int, 3>{v, v, v};
  });
  const RotatedRect roi{80.0f / 200, 60.0f / 100, 50.0f / 200, 50.0f / 100, 0.7f};
  std::vector<float> crop(224 * 224 * 3);
  ASSERT_TRUE(CropRotatedRect(image.view(), roi, 224, 224, crop.data()));
  int best = 0;
  for (int i = 0; i < 224 * 224; ++i) {
    if (crop[i * 3] > crop[best * 3]) best = i;
  }
  std::array<float, 63> raw{};
  raw[0] = static_cast<float>(best % 224);
  raw[1] = static_cast<float>(best / 224);
  raw[2] = 22.4f;
  const auto landmarks = ProjectLandmarks(raw.data(), roi);
  // One crop pixel is 50 / 224 image pixels.
  EXPECT_NEAR(landmarks[0].x * 200, dot_x, 0.25);
  EXPECT_NEAR(landmarks[0].y * 100, dot_y, 0.25);
  EXPECT_NEAR(landmarks[0].z, 22.4f / 224 / 0.4f * 0.25f, 1e-6);

  // The crop's centre pixel projects onto the region's centre.
  raw[3] = raw[4] = 112.0f;
  EXPECT_NEAR(ProjectLandmarks(raw.data(), roi)[1].x, roi.x_center, 1e-6);
  EXPECT_NEAR(ProjectLandmarks(raw.data(), roi)[1].y, roi.y_center, 1e-6);
}

TEST(LandmarksTest, WorldLandmarksAreOnlyRotated) {
  std::array<float, 63> raw{};
  raw[0] = 1.0f;
  raw[1] = 0.0f;
  raw[2] = 5.0f;
  const auto world = ProjectWorldLandmarks(raw.data(), RotatedRect{0.1f, 0.9f, 0.3f, 0.3f, kPi / 2});
  EXPECT_NEAR(world[0].x, 0.0f, 1e-6);
  EXPECT_NEAR(world[0].y, 1.0f, 1e-6);
  EXPECT_FLOAT_EQ(world[0].z, 5.0f);
}

TEST(LandmarksTest, DeduplicateHandsDropsNearCopies) {
  const HandLandmarks hand = SyntheticHand();
  const HandLandmarks copy = SyntheticHand(5, 0);     // every landmark 5 px away: a duplicate
  const HandLandmarks other = SyntheticHand(200, 0);  // a different hand
  HandLandmarks partial = SyntheticHand();            // only 9 landmarks close: kept
  for (int i = 9; i < kNumHandLandmarks; ++i) partial[i].x += 50.0f / 640;
  const std::vector<HandLandmarks> hands{hand, copy, other, partial};
  EXPECT_EQ(DeduplicateHands(hands, 640, 480), (std::vector<int>{0, 2, 3}));
  EXPECT_TRUE(DeduplicateHands({}, 640, 480).empty());
}

// ---------------------------------------------------------------- golden sanity check

// A minimal JSON reader for the golden files (objects, arrays, numbers, strings, literals).
// An object's keys and values are two vectors: std::vector of the incomplete Json is allowed,
// a std::pair holding it is not (clang with libstdc++ refuses it).
struct Json {
  std::vector<std::string> keys;
  std::vector<Json> values;  // values[i] belongs to keys[i]
  std::vector<Json> items;
  double number = 0;
  std::string text;

  const Json* Find(const std::string& key) const {
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == key) return &values[i];
    }
    return nullptr;
  }
};

class JsonReader {
 public:
  explicit JsonReader(std::string text) : text_(std::move(text)) {}

  bool Read(Json* value) {
    SkipSpace();
    if (pos_ >= text_.size()) return false;
    const char c = text_[pos_];
    if (c == '{') return ReadObject(value);
    if (c == '[') return ReadArray(value);
    if (c == '"') return ReadString(&value->text);
    const size_t start = pos_;
    while (pos_ < text_.size() && !std::strchr(",]} \n\r\t", text_[pos_])) ++pos_;
    const std::string token = text_.substr(start, pos_ - start);
    value->number = std::strtod(token.c_str(), nullptr);
    return !token.empty();
  }

 private:
  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool Expect(char c) {
    SkipSpace();
    return pos_ < text_.size() && text_[pos_++] == c;
  }
  bool ReadString(std::string* out) {
    if (!Expect('"')) return false;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      if (text_[pos_] == '\\') ++pos_;
      if (pos_ < text_.size()) out->push_back(text_[pos_++]);
    }
    return Expect('"');
  }
  bool ReadArray(Json* value) {
    Expect('[');
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == ']') return Expect(']');
    do {
      value->items.emplace_back();
      if (!Read(&value->items.back())) return false;
    } while (Expect(','));
    --pos_;
    return Expect(']');
  }
  bool ReadObject(Json* value) {
    Expect('{');
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == '}') return Expect('}');
    do {
      value->keys.emplace_back();
      value->values.emplace_back();
      SkipSpace();
      if (!ReadString(&value->keys.back()) || !Expect(':') || !Read(&value->values.back())) return false;
    } while (Expect(','));
    --pos_;
    return Expect('}');
  }

  std::string text_;
  size_t pos_ = 0;
};

std::string SharedDir() {
  if (const char* env = std::getenv("HANDTRACK_SHARED"); env != nullptr && *env != '\0') return env;
#ifdef HANDTRACK_SHARED_DIR
  return HANDTRACK_SHARED_DIR;
#else
  return "../shared";
#endif
}

TEST(GoldenSanityTest, LandmarksToHandRectSurroundsMediaPipesHands) {
  std::ifstream file(SharedDir() + "/golden/images/tasks_full.json");
  if (!file) {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string(ci) == "true") FAIL() << "missing in CI: golden/images/tasks_full.json";
    GTEST_SKIP() << "missing: ../shared/golden/images/tasks_full.json";
  }
  std::stringstream contents;
  contents << file.rdbuf();
  Json root;
  ASSERT_TRUE(JsonReader(contents.str()).Read(&root));
  const Json* frames = root.Find("frames");
  ASSERT_NE(frames, nullptr);

  int hands_checked = 0;
  for (const Json& frame : frames->items) {
    const int width = static_cast<int>(frame.Find("width")->number);
    const int height = static_cast<int>(frame.Find("height")->number);
    for (const Json& hand_json : frame.Find("hands")->items) {
      const Json& points = *hand_json.Find("landmarks");
      ASSERT_EQ(points.items.size(), static_cast<size_t>(kNumHandLandmarks));
      HandLandmarks hand;
      for (int i = 0; i < kNumHandLandmarks; ++i) {
        hand[i] = {static_cast<float>(points.items[i].items[0].number),
                   static_cast<float>(points.items[i].items[1].number), 0.0f};
      }
      const RotatedRect rect = LandmarksToHandRect(hand, width, height);
      const std::string where = frame.Find("file")->text;
      // Square in pixels, and every landmark inside the region.
      EXPECT_NEAR(rect.width * width, rect.height * height, 1e-2 * rect.width * width) << where;
      const float side = rect.width * width;
      const float c = std::cos(rect.rotation);
      const float s = std::sin(rect.rotation);
      for (const NormalizedLandmark& landmark : hand) {
        const float dx = (landmark.x - rect.x_center) * width;
        const float dy = (landmark.y - rect.y_center) * height;
        EXPECT_LE(std::abs(c * dx + s * dy), side / 2) << where;
        EXPECT_LE(std::abs(-s * dx + c * dy), side / 2) << where;
      }
      // The region's "up" points from the wrist to the middle-finger MCP.
      const float up_x = (hand[9].x - hand[0].x) * width;
      const float up_y = (hand[9].y - hand[0].y) * height;
      EXPECT_GT((s * up_x - c * up_y) / std::hypot(up_x, up_y), 0.9f) << where;
      ++hands_checked;
    }
  }
  EXPECT_GT(hands_checked, 50);
}

// ---------------------------------------------------------------- sampler paths

// Every SIMD path must give the portable loop's bits (the portable loop is the
// one the tests above and the golden tests pin to MediaPipe). Exercised over
// pixel layouts with padded rows, tiny and odd-sized images, regions inside,
// across the border and far outside, any rotation, both border modes, and
// tensor widths that are not multiples of the 4-pixel groups.
uint32_t NextRandom(uint64_t* state) {
  *state ^= *state << 13;
  *state ^= *state >> 7;
  *state ^= *state << 17;
  return static_cast<uint32_t>(*state >> 11);
}

float RandomIn(uint64_t* state, float low, float high) {
  return low + (high - low) * static_cast<float>(NextRandom(state) % 100001) / 100000.0f;
}

Image RandomImage(int width, int height, uint64_t* state) {
  return MakeImage(width, height, [&](int, int) {
    return std::array<int, 3>{static_cast<int>(NextRandom(state) & 255),
                              static_cast<int>(NextRandom(state) & 255),
                              static_cast<int>(NextRandom(state) & 255)};
  });
}

constexpr std::array<SamplerPath, 2> kFastPaths = {SamplerPath::kAuto, SamplerPath::kSse41};

TEST(SamplerPathsTest, CropsAreBitIdenticalToThePortableLoop) {
  uint64_t state = 0x9E3779B97F4A7C15ull;
  const std::array<std::pair<int, int>, 6> sizes = {{{1, 1}, {2, 2}, {1, 6}, {7, 1}, {37, 23}, {160, 120}}};
  const std::array<std::pair<int, int>, 3> outputs = {{{31, 17}, {64, 64}, {1, 1}}};
  int compared = 0;
  for (const auto& [width, height] : sizes) {
    const Image rgb = RandomImage(width, height, &state);
    for (PixelFormat format :
         {PixelFormat::kRGB, PixelFormat::kRGBA, PixelFormat::kBGR, PixelFormat::kBGRA}) {
      // Unpadded rows let the sanitizers see any read past the image's last byte.
      ImageView view;
      const int padding = format == PixelFormat::kRGB || format == PixelFormat::kBGRA ? 0 : 3;
      const std::vector<uint8_t> bytes = Repack(rgb, format, padding, &view);
      for (int r = 0; r < 16; ++r) {
        RotatedRect roi{RandomIn(&state, -0.4f, 1.4f), RandomIn(&state, -0.4f, 1.4f),
                        RandomIn(&state, 0.01f, 1.6f), RandomIn(&state, 0.01f, 1.6f),
                        RandomIn(&state, -4.0f, 4.0f)};
        if (r < 4) roi.rotation = std::array<float, 4>{0.0f, kPi / 2, -kPi, 0.4646f}[r];
        if (r == 4) roi = {0.5f, 0.5f, 0.4f, 0.4f * width / height, 0.0f};  // inside, axis-aligned
        for (BorderMode border : {BorderMode::kReplicate, BorderMode::kZero}) {
          for (const auto& [out_width, out_height] : outputs) {
            const size_t size = static_cast<size_t>(out_width) * out_height * 3;
            std::vector<float> expected(size, -1.0f);
            CropRotatedRect(view, roi, out_width, out_height, expected.data(), border,
                            SamplerPath::kPortable);
            for (SamplerPath path : kFastPaths) {
              std::vector<float> actual(size, -1.0f);
              CropRotatedRect(view, roi, out_width, out_height, actual.data(), border, path);
              ASSERT_EQ(std::memcmp(actual.data(), expected.data(), size * sizeof(float)), 0)
                  << width << "x" << height << " format " << static_cast<int>(format) << " region " << r
                  << " border " << static_cast<int>(border) << " out " << out_width << "x" << out_height
                  << " path " << static_cast<int>(path);
              ++compared;
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(compared, 6 * 4 * 16 * 2 * 3 * 2);
}

TEST(SamplerPathsTest, LetterboxesAreBitIdenticalToThePortableLoop) {
  uint64_t state = 12345;
  const std::array<std::pair<int, int>, 6> sizes = {{{1, 1}, {2, 3}, {5, 1}, {40, 30}, {30, 41}, {640, 480}}};
  const std::array<std::pair<int, int>, 4> outputs = {{{192, 192}, {7, 5}, {5, 7}, {1, 1}}};
  for (const auto& [width, height] : sizes) {
    const Image rgb = RandomImage(width, height, &state);
    for (PixelFormat format :
         {PixelFormat::kRGB, PixelFormat::kRGBA, PixelFormat::kBGR, PixelFormat::kBGRA}) {
      ImageView view;
      const std::vector<uint8_t> bytes = Repack(rgb, format, /*padding=*/0, &view);
      for (const auto& [out_width, out_height] : outputs) {
        const size_t size = static_cast<size_t>(out_width) * out_height * 3;
        std::vector<float> expected(size, -1.0f);
        LetterboxImage(view, out_width, out_height, expected.data(), SamplerPath::kPortable);
        for (SamplerPath path : kFastPaths) {
          std::vector<float> actual(size, -1.0f);
          LetterboxImage(view, out_width, out_height, actual.data(), path);
          ASSERT_EQ(std::memcmp(actual.data(), expected.data(), size * sizeof(float)), 0)
              << width << "x" << height << " format " << static_cast<int>(format) << " out " << out_width
              << "x" << out_height << " path " << static_cast<int>(path);
        }
      }
    }
  }
}

// ---------------------------------------------------------------- palm score threshold

// DecodePalmTensors skips low logits before computing scores; it must keep exactly
// the anchors whose float score passes, also for logits within a few ulps of the
// threshold and for extreme thresholds.
TEST(PalmDecoderTest, SkippingLowLogitsKeepsExactlyThePassingScores) {
  const std::vector<Anchor> anchors = GeneratePalmAnchors();
  const std::vector<float> boxes(anchors.size() * kPalmValuesPerAnchor, 1.0f);
  const auto score_of = [](float logit) {  // hand_detector_graph.cc's clipped sigmoid, in float
    logit = std::clamp(logit, -100.0f, 100.0f);
    return 1.0f / (1.0f + std::exp(-logit));
  };
  for (float min_score :
       {-1.0f, 0.0f, 1e-30f, 1e-6f, 0.1f, 0.5f, 0.73f, 0.9999f, 0.99999f, 0.99999994f, 1.0f}) {
    const double p = std::clamp(static_cast<double>(min_score), 1e-7, 1.0 - 1e-7);
    const float threshold_logit = static_cast<float>(std::log(p / (1.0 - p)));
    std::vector<float> logits(anchors.size());
    for (size_t i = 0; i < logits.size(); ++i) {
      // Dense around the threshold's logit, then spread over [-120, 120].
      const int k = static_cast<int>(i) - 1008;
      float logit = threshold_logit;
      if (k < -500 || k > 500) {
        logit = static_cast<float>(k) * 0.12f;
      } else if (k < -100 || k > 100) {
        logit += static_cast<float>(k) * 0.01f;
      } else {
        for (int step = 0; step < std::abs(k); ++step)
          logit = std::nextafter(logit, k > 0 ? 200.0f : -200.0f);
      }
      logits[i] = logit;
    }
    logits[3] = NAN;
    logits[5] = INFINITY;
    logits[6] = -INFINITY;
    const std::vector<Detection> detections =
        DecodePalmTensors(boxes.data(), logits.data(), anchors, min_score);
    std::vector<float> expected_scores;
    for (float logit : logits) {
      if (score_of(logit) >= min_score) expected_scores.push_back(score_of(logit));
    }
    ASSERT_EQ(detections.size(), expected_scores.size()) << min_score;
    for (size_t i = 0; i < detections.size(); ++i)
      EXPECT_EQ(detections[i].score, expected_scores[i]) << min_score;
  }
}

}  // namespace
}  // namespace handtrack::vision
