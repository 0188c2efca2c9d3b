#include "io/overlay.h"

#include <algorithm>
#include <cmath>

#include "io/bitmap_font.h"

namespace handtrack {
namespace {

constexpr int kGlyphAdvance = kGlyphWidth + 1;  // one blank column between letters

void SetPixel(Image& image, int x, int y, OverlayColor color) {
  if (x < 0 || y < 0 || x >= image.width() || y >= image.height()) return;
  const int bpp = BytesPerPixel(image.format());
  uint8_t* p = image.data() + (static_cast<size_t>(y) * image.width() + x) * bpp;
  const bool bgr = image.format() == PixelFormat::kBGR || image.format() == PixelFormat::kBGRA;
  p[0] = bgr ? color.b : color.r;
  p[1] = color.g;
  p[2] = bgr ? color.r : color.b;
  if (bpp == 4) p[3] = 255;
}

// The pixel columns or rows [first, last] covering [low, high] in image coordinates,
// clipped to [0, size - 1]; computed in float so absurd inputs cannot overflow an int.
bool ClipSpan(float low, float high, int size, int* first, int* last) {
  if (!(low <= high) || high < 0 || low > static_cast<float>(size - 1)) return false;  // also rejects NaN
  *first = static_cast<int>(std::max(0.0f, std::floor(low)));
  *last = static_cast<int>(std::min(static_cast<float>(size - 1), std::ceil(high)));
  return true;
}

void FillRect(Image& image, int x, int y, int width, int height, OverlayColor color) {
  const int x0 = std::max(0, x), y0 = std::max(0, y);
  const int x1 = std::min(image.width(), x + width), y1 = std::min(image.height(), y + height);
  for (int py = y0; py < y1; ++py) {
    for (int px = x0; px < x1; ++px) SetPixel(image, px, py, color);
  }
}

int AutoSize(const Image& image, int requested, int divisor, int minimum) {
  if (requested > 0) return requested;
  return std::max(minimum, std::max(image.width(), image.height()) / divisor);
}

}  // namespace

void DrawLine(Image& image, PixelPoint from, PixelPoint to, int thickness, OverlayColor color) {
  const float radius = std::max(0.5f, thickness / 2.0f);
  int x0, x1, y0, y1;
  if (!ClipSpan(std::min(from.x, to.x) - radius, std::max(from.x, to.x) + radius, image.width(), &x0, &x1) ||
      !ClipSpan(std::min(from.y, to.y) - radius, std::max(from.y, to.y) + radius, image.height(), &y0, &y1)) {
    return;
  }
  const float dx = to.x - from.x, dy = to.y - from.y;
  const float length_squared = dx * dx + dy * dy;
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) {
      // Distance from the pixel centre to the closest point of the segment.
      const float px = x + 0.5f - from.x, py = y + 0.5f - from.y;
      const float t =
          length_squared > 0 ? std::clamp((px * dx + py * dy) / length_squared, 0.0f, 1.0f) : 0.0f;
      const float ex = px - t * dx, ey = py - t * dy;
      if (ex * ex + ey * ey <= radius * radius) SetPixel(image, x, y, color);
    }
  }
}

void DrawDisc(Image& image, PixelPoint center, float radius, OverlayColor color) {
  DrawLine(image, center, center, static_cast<int>(std::lround(2 * radius)), color);
}

std::pair<int, int> LabelSize(std::string_view text, int scale) {
  scale = std::max(1, scale);
  const int text_width = text.empty() ? 0 : static_cast<int>(text.size()) * kGlyphAdvance - 1;
  return {(text_width + 2) * scale, (kGlyphHeight + 2) * scale};
}

void DrawLabel(Image& image, int x, int y, std::string_view text, int scale, OverlayColor color,
               OverlayColor background) {
  scale = std::max(1, scale);
  const auto [box_width, box_height] = LabelSize(text, scale);
  FillRect(image, x, y, box_width, box_height, background);
  int pen_x = x + scale;  // one font pixel of margin
  const int pen_y = y + scale;
  for (char c : text) {
    const auto columns = GlyphColumns(c);
    for (int column = 0; column < kGlyphWidth; ++column) {
      for (int row = 0; row < kGlyphHeight; ++row) {
        if (columns[column] & (1u << row)) {
          FillRect(image, pen_x + column * scale, pen_y + row * scale, scale, scale, color);
        }
      }
    }
    pen_x += kGlyphAdvance * scale;
  }
}

void DrawHand(Image& image, std::span<const PixelPoint> landmarks, std::string_view label,
              const HandOverlayStyle& style) {
  if (landmarks.size() != 21 || image.empty()) return;
  const int thickness = AutoSize(image, style.line_thickness, 320, 2);
  const float dot_radius = static_cast<float>(style.dot_radius > 0 ? style.dot_radius : thickness + 1);
  const int text_scale = AutoSize(image, style.text_scale, 320, 2);

  for (const auto& [a, b] : kHandConnections)
    DrawLine(image, landmarks[a], landmarks[b], thickness, style.line_color);
  for (const PixelPoint& point : landmarks) DrawDisc(image, point, dot_radius, style.dot_color);
  if (label.empty()) return;

  // The label goes just above the hand's box, or below it when there is no room.
  float min_x = landmarks[0].x, min_y = landmarks[0].y, max_y = landmarks[0].y;
  for (const PixelPoint& point : landmarks) {
    min_x = std::min(min_x, point.x);
    min_y = std::min(min_y, point.y);
    max_y = std::max(max_y, point.y);
  }
  if (!std::isfinite(min_x) || !std::isfinite(min_y) || !std::isfinite(max_y)) return;
  const auto [box_width, box_height] = LabelSize(label, text_scale);
  const float gap = dot_radius + 2;
  float y = min_y - gap - box_height;
  if (y < 0) y = max_y + gap;
  const float max_x = static_cast<float>(std::max(0, image.width() - box_width));
  const float max_label_y = static_cast<float>(std::max(0, image.height() - box_height));
  const int x = static_cast<int>(std::clamp(min_x, 0.0f, max_x));
  const int label_y = static_cast<int>(std::clamp(y, 0.0f, max_label_y));
  DrawLabel(image, x, label_y, label, text_scale, style.label_color, style.label_background);
}

}  // namespace handtrack
