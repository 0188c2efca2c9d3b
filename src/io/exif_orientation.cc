#include "io/exif_orientation.h"

#include <cstddef>
#include <cstring>
#include <optional>
#include <utility>

namespace handtrack {
namespace {

constexpr uint16_t kOrientationTag = 0x0112;
constexpr uint16_t kTiffShort = 3;
constexpr uint16_t kTiffLong = 4;
constexpr size_t kIfdEntryBytes = 12;

// A bounds-checked reader of a TIFF block (the body of an Exif APP1 segment).
class TiffReader {
 public:
  TiffReader(std::span<const uint8_t> bytes, bool big_endian) : bytes_(bytes), big_endian_(big_endian) {}

  std::optional<uint16_t> U16(size_t offset) const {
    if (offset > bytes_.size() || bytes_.size() - offset < 2) return std::nullopt;
    const uint8_t* p = bytes_.data() + offset;
    return static_cast<uint16_t>(big_endian_ ? (p[0] << 8) | p[1] : (p[1] << 8) | p[0]);
  }

  std::optional<uint32_t> U32(size_t offset) const {
    const auto first = U16(offset);
    const auto second = U16(offset + 2);
    if (!first || !second) return std::nullopt;
    return big_endian_ ? (uint32_t{*first} << 16) | *second : (uint32_t{*second} << 16) | *first;
  }

 private:
  std::span<const uint8_t> bytes_;
  bool big_endian_;
};

// Reads the Orientation tag of IFD0 from a TIFF block, if present and well-formed.
std::optional<int> OrientationFromTiff(std::span<const uint8_t> tiff) {
  if (tiff.size() < 8) return std::nullopt;
  bool big_endian;
  if (tiff[0] == 'I' && tiff[1] == 'I') {
    big_endian = false;
  } else if (tiff[0] == 'M' && tiff[1] == 'M') {
    big_endian = true;
  } else {
    return std::nullopt;
  }
  const TiffReader reader(tiff, big_endian);
  if (reader.U16(2) != 42) return std::nullopt;
  const auto ifd_offset = reader.U32(4);
  if (!ifd_offset) return std::nullopt;
  const auto entry_count = reader.U16(*ifd_offset);
  if (!entry_count) return std::nullopt;
  for (size_t i = 0; i < *entry_count; ++i) {
    const size_t entry = size_t{*ifd_offset} + 2 + i * kIfdEntryBytes;
    const auto tag = reader.U16(entry);
    const auto type = reader.U16(entry + 2);
    const auto count = reader.U32(entry + 4);
    if (!tag || !type || !count) return std::nullopt;  // the IFD runs past the segment
    if (*tag != kOrientationTag) continue;
    if (*count < 1) return std::nullopt;
    // A single SHORT (or LONG, written by a few tools) sits in the entry's value field.
    std::optional<uint32_t> value;
    if (*type == kTiffShort) value = reader.U16(entry + 8);
    if (*type == kTiffLong) value = reader.U32(entry + 8);
    if (!value || *value < 1 || *value > 8) return std::nullopt;
    return static_cast<int>(*value);
  }
  return std::nullopt;
}

}  // namespace

int ReadJpegExifOrientation(std::span<const uint8_t> jpeg) {
  constexpr uint8_t kExifHeader[] = {'E', 'x', 'i', 'f', 0, 0};
  if (jpeg.size() < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8) return 1;
  size_t pos = 2;
  while (pos < jpeg.size()) {
    if (jpeg[pos] != 0xFF) return 1;  // not at a marker: malformed header, give up quietly
    while (pos < jpeg.size() && jpeg[pos] == 0xFF) ++pos;  // fill bytes
    if (pos >= jpeg.size()) return 1;
    const uint8_t marker = jpeg[pos++];
    if (marker == 0xD9 || marker == 0xDA) return 1;  // EOI or start of scan: no Exif before the pixels
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // markers without a length
    if (jpeg.size() - pos < 2) return 1;
    const size_t length = (size_t{jpeg[pos]} << 8) | jpeg[pos + 1];
    if (length < 2 || length > jpeg.size() - pos) return 1;
    const std::span<const uint8_t> payload = jpeg.subspan(pos + 2, length - 2);
    if (marker == 0xE1 && payload.size() >= sizeof(kExifHeader) &&
        std::memcmp(payload.data(), kExifHeader, sizeof(kExifHeader)) == 0) {
      // Only the first Exif segment counts, as in browsers.
      return OrientationFromTiff(payload.subspan(sizeof(kExifHeader))).value_or(1);
    }
    pos += length;
  }
  return 1;
}

Image ApplyExifOrientation(Image image, int orientation) {
  if (orientation < 2 || orientation > 8 || image.empty()) return image;
  const int src_width = image.width();
  const int src_height = image.height();
  const int w = src_width - 1, h = src_height - 1;
  // The source pixel of output pixel (dx, dy) is (ax*dx + bx*dy + cx, ay*dx + by*dy + cy).
  struct Mapping {
    int ax, bx, cx, ay, by, cy;
  };
  static constexpr Mapping kUnit = {1, 0, 0, 0, 1, 0};
  const Mapping mappings[9] = {
      kUnit,
      kUnit,
      {-1, 0, w, 0, 1, 0},   // 2: mirror left-right
      {-1, 0, w, 0, -1, h},  // 3: half turn
      {1, 0, 0, 0, -1, h},   // 4: mirror top-bottom
      {0, 1, 0, 1, 0, 0},    // 5: transpose
      {0, 1, 0, -1, 0, h},   // 6: quarter turn clockwise
      {0, -1, w, -1, 0, h},  // 7: transverse
      {0, -1, w, 1, 0, 0},   // 8: quarter turn counter-clockwise
  };
  const Mapping& m = mappings[orientation];
  const bool swaps_axes = orientation >= 5;
  const int dst_width = swaps_axes ? src_height : src_width;
  const int dst_height = swaps_axes ? src_width : src_height;
  const int bpp = BytesPerPixel(image.format());
  Image turned(dst_width, dst_height, image.format());
  const uint8_t* src = image.data();
  uint8_t* dst = turned.data();
  // Along an output row the source moves by a fixed step (kept as an index, not a
  // pointer: after the last pixel it may point outside the image).
  const ptrdiff_t step = (static_cast<ptrdiff_t>(m.ay) * src_width + m.ax) * bpp;
  for (int dy = 0; dy < dst_height; ++dy) {
    const int sx = m.bx * dy + m.cx, sy = m.by * dy + m.cy;
    ptrdiff_t offset = (static_cast<ptrdiff_t>(sy) * src_width + sx) * bpp;
    for (int dx = 0; dx < dst_width; ++dx, offset += step, dst += bpp) std::memcpy(dst, src + offset, bpp);
  }
  return turned;
}

}  // namespace handtrack
