// A tiny built-in 5x7 bitmap font for overlay labels (printable ASCII).
#pragma once

#include <cstdint>
#include <span>

namespace handtrack {

inline constexpr int kGlyphWidth = 5;
inline constexpr int kGlyphHeight = 7;

// The 5 columns of the glyph of `c`, left to right; bit 0 of a column is the top
// row. Characters outside printable ASCII get the glyph of '?'.
std::span<const uint8_t, kGlyphWidth> GlyphColumns(char c);

}  // namespace handtrack
