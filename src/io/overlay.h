// Drawing hand overlays onto images: the 21-landmark skeleton, landmark dots and a
// text label, for previews (`handtrack detect --overlay`). Plain, aliased drawing;
// everything is clipped to the image, so any coordinates are safe.
//
// Threading: functions touch only the image they are given.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "handtrack/image.h"

namespace handtrack {

struct OverlayColor {
  uint8_t r = 0, g = 0, b = 0;
};

// A position in pixels of the image drawn on (x right, y down).
struct PixelPoint {
  float x = 0, y = 0;
};

// MediaPipe's hand skeleton (HAND_CONNECTIONS): pairs of landmark indices.
inline constexpr std::array<std::pair<int, int>, 21> kHandConnections = {{
    {0, 1},   {1, 2},   {2, 3},   {3, 4},    // thumb
    {0, 5},   {5, 6},   {6, 7},   {7, 8},    // index finger
    {9, 10},  {10, 11}, {11, 12},            // middle finger
    {13, 14}, {14, 15}, {15, 16},            // ring finger
    {0, 17},  {17, 18}, {18, 19}, {19, 20},  // pinky
    {5, 9},   {9, 13},  {13, 17},            // knuckles across the palm
}};

struct HandOverlayStyle {
  OverlayColor line_color{255, 255, 255};  // MediaPipe's drawing_utils defaults: white bones,
  OverlayColor dot_color{255, 48, 48};     // red joints
  OverlayColor label_color{255, 255, 255};
  OverlayColor label_background{0, 110, 200};
  // 0: chosen from the image size, so overlays read well on small and large photos.
  int line_thickness = 0;
  int dot_radius = 0;
  int text_scale = 0;
};

// A thick straight line (a capsule of the given width) from `from` to `to`.
void DrawLine(Image& image, PixelPoint from, PixelPoint to, int thickness, OverlayColor color);

// A filled disc.
void DrawDisc(Image& image, PixelPoint center, float radius, OverlayColor color);

// `text` in the built-in 5x7 font with its top-left corner at (x, y), each font pixel
// drawn as scale x scale pixels, on a filled box of `background` with a small margin.
void DrawLabel(Image& image, int x, int y, std::string_view text, int scale, OverlayColor color,
               OverlayColor background);

// The width and height in pixels DrawLabel uses for `text` (margin included).
std::pair<int, int> LabelSize(std::string_view text, int scale);

// One hand: the skeleton, a dot on each landmark, and `label` (e.g. "Right 0.97")
// above the hand. `landmarks` are the 21 landmarks in pixels; other counts draw nothing.
void DrawHand(Image& image, std::span<const PixelPoint> landmarks, std::string_view label,
              const HandOverlayStyle& style = {});

}  // namespace handtrack
