// Tests of image decoding and encoding (src/io): good files of every PNG and JPEG
// flavour, and bad ones (truncated, corrupt, lying headers, wrong types), all made
// on the fly with libpng and TurboJPEG.
#include <gtest/gtest.h>
#include <png.h>
#include <turbojpeg.h>

#include <chrono>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "handtrack/image_io.h"
#include "io/exif_orientation.h"
#include "io/overlay.h"

namespace handtrack {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

// ---- Making test files ------------------------------------------------------

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("handtrack_io_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

void WriteBytes(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// A deterministic RGB test picture: smooth gradients (so JPEG keeps them well).
Image Gradient(int width, int height) {
  Image image(width, height, PixelFormat::kRGB);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t* p = image.data() + (y * width + x) * 3;
      p[0] = static_cast<uint8_t>(255 * x / std::max(1, width - 1));
      p[1] = static_cast<uint8_t>(255 * y / std::max(1, height - 1));
      p[2] = 128;
    }
  }
  return image;
}

// Encodes raw rows with libpng: any colour type and bit depth, optional palette and tRNS.
struct PngSpec {
  int width = 0, height = 0;
  int bit_depth = 8;
  int color_type = PNG_COLOR_TYPE_RGB;
  bool interlaced = false;
  std::vector<png_color> palette;
  Bytes trns;    // palette alpha values
  Bytes pixels;  // packed rows as libpng expects them (big-endian 16-bit samples)
};

PngSpec Spec(int width, int height, int bit_depth = 8, int color_type = PNG_COLOR_TYPE_RGB,
             bool interlaced = false) {
  PngSpec spec;
  spec.width = width, spec.height = height, spec.bit_depth = bit_depth;
  spec.color_type = color_type, spec.interlaced = interlaced;
  return spec;
}

void AppendToBytes(png_structp png, png_bytep data, size_t length) {
  auto* out = static_cast<Bytes*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + length);
}

Bytes EncodePng(const PngSpec& spec) {
  Bytes out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  const size_t row_bytes = spec.pixels.size() / spec.height;
  std::vector<png_bytep> rows(spec.height);
  for (int y = 0; y < spec.height; ++y) rows[y] = const_cast<png_bytep>(spec.pixels.data() + y * row_bytes);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    ADD_FAILURE() << "libpng failed to encode the test image";
    return {};
  }
  png_set_write_fn(png, &out, AppendToBytes, nullptr);
  png_set_IHDR(png, info, spec.width, spec.height, spec.bit_depth, spec.color_type,
               spec.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (!spec.palette.empty())
    png_set_PLTE(png, info, spec.palette.data(), static_cast<int>(spec.palette.size()));
  if (!spec.trns.empty())
    png_set_tRNS(png, info, spec.trns.data(), static_cast<int>(spec.trns.size()), nullptr);
  png_write_info(png, info);
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

Bytes EncodeRgbPng(const Image& image) {
  PngSpec spec = Spec(image.width(), image.height());
  spec.pixels.assign(image.data(), image.data() + image.width() * image.height() * 3);
  return EncodePng(spec);
}

Bytes EncodeJpeg(const uint8_t* pixels, int width, int height, int pixel_format, int subsampling,
                 int quality = 95) {
  tjhandle handle = tjInitCompress();
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  const int result =
      tjCompress2(handle, pixels, width, 0, height, pixel_format, &jpeg, &size, subsampling, quality, 0);
  EXPECT_EQ(result, 0) << tjGetErrorStr2(handle);
  Bytes out(jpeg, jpeg + size);
  tjFree(jpeg);
  tjDestroy(handle);
  return out;
}

Bytes EncodeRgbJpeg(const Image& image, int quality = 95) {
  return EncodeJpeg(image.data(), image.width(), image.height(), TJPF_RGB, TJSAMP_444, quality);
}

uint32_t Crc(const uint8_t* data, size_t length) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < length; ++i) {
    crc ^= data[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void PutBigEndian32(Bytes& bytes, size_t offset, uint32_t value) {
  for (int i = 0; i < 4; ++i) bytes[offset + i] = static_cast<uint8_t>(value >> (24 - 8 * i));
}

// Rewrites the IHDR size of a PNG and fixes the chunk's CRC, so only the size lies.
Bytes WithPngSize(Bytes png, uint32_t width, uint32_t height) {
  // 8-byte signature, then IHDR: length(4) "IHDR"(4) width(4) height(4) ... crc at 29.
  PutBigEndian32(png, 16, width);
  PutBigEndian32(png, 20, height);
  PutBigEndian32(png, 29, Crc(png.data() + 12, 17));
  return png;
}

// An Exif APP1 segment holding only IFD0's Orientation tag.
Bytes ExifSegment(int orientation, bool big_endian) {
  Bytes tiff = big_endian ? Bytes{'M',  'M',  0, 42, 0, 0, 0, 8, 0, 1,
                                  0x01, 0x12, 0, 3,  0, 0, 0, 1, 0, static_cast<uint8_t>(orientation),
                                  0,    0,    0, 0,  0, 0}
                          : Bytes{'I',
                                  'I',
                                  42,
                                  0,
                                  8,
                                  0,
                                  0,
                                  0,
                                  1,
                                  0,
                                  0x12,
                                  0x01,
                                  3,
                                  0,
                                  1,
                                  0,
                                  0,
                                  0,
                                  static_cast<uint8_t>(orientation),
                                  0,
                                  0,
                                  0,
                                  0,
                                  0,
                                  0,
                                  0};
  Bytes payload = {'E', 'x', 'i', 'f', 0, 0};
  payload.insert(payload.end(), tiff.begin(), tiff.end());
  const size_t length = payload.size() + 2;
  Bytes segment = {0xFF, 0xE1, static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length & 0xFF)};
  segment.insert(segment.end(), payload.begin(), payload.end());
  return segment;
}

// Puts `segment` right after SOI and the JFIF APP0 segment.
Bytes WithSegment(Bytes jpeg, const Bytes& segment) {
  size_t at = 2;
  if (jpeg[2] == 0xFF && jpeg[3] == 0xE0) at = 4 + ((jpeg[4] << 8) | jpeg[5]);
  jpeg.insert(jpeg.begin() + static_cast<std::ptrdiff_t>(at), segment.begin(), segment.end());
  return jpeg;
}

// Offset of the first SOFn marker's payload in a JPEG (to make it lie).
size_t StartOfFrame(const Bytes& jpeg) {
  for (size_t i = 2; i + 1 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && (jpeg[i + 1] == 0xC0 || jpeg[i + 1] == 0xC2)) return i + 2;
  }
  return 0;
}

const uint8_t* PixelAt(const Image& image, int x, int y) {
  return image.data() + (y * image.width() + x) * 3;
}

void ExpectNear(const uint8_t* pixel, int r, int g, int b, int tolerance) {
  EXPECT_NEAR(pixel[0], r, tolerance);
  EXPECT_NEAR(pixel[1], g, tolerance);
  EXPECT_NEAR(pixel[2], b, tolerance);
}

Result<Image> Decode(const Bytes& bytes, const std::string& name = "test.bin",
                     const DecodeLimits& limits = {}) {
  return DecodeImage(bytes, name, limits);
}

void ExpectError(const Result<Image>& result, StatusCode code, const std::string& must_contain) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), code) << result.status().message();
  EXPECT_NE(result.status().message().find(must_contain), std::string::npos) << result.status().message();
  EXPECT_EQ(result.status().message().find('\n'), std::string::npos)
      << "one line: " << result.status().message();
}

// ---- PNG --------------------------------------------------------------------

TEST(PngTest, WriteThenReadGivesTheSamePixels) {
  TempDir dir;
  const Image original = Gradient(37, 23);
  ASSERT_TRUE(WritePngFile(dir.File("a.png"), original.view()).ok());
  auto decoded = ReadImageFile(dir.File("a.png"));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ASSERT_EQ(decoded->width(), 37);
  ASSERT_EQ(decoded->height(), 23);
  EXPECT_EQ(decoded->format(), PixelFormat::kRGB);
  EXPECT_TRUE(std::equal(original.data(), original.data() + 37 * 23 * 3, decoded->data()));
}

TEST(PngTest, WritesBgrAndRgbaViews) {
  TempDir dir;
  const uint8_t bgra[] = {10, 20, 30, 40, 50, 60, 70, 80};
  ASSERT_TRUE(WritePngFile(dir.File("bgra.png"), ImageView::Packed(bgra, 2, 1, PixelFormat::kBGRA)).ok());
  auto decoded = ReadImageFile(dir.File("bgra.png"));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ExpectNear(PixelAt(*decoded, 0, 0), 30, 20, 10, 0);
  ExpectNear(PixelAt(*decoded, 1, 0), 70, 60, 50, 0);
}

TEST(PngTest, WriteIntoMissingFolderNamesTheFile) {
  const Image image = Gradient(4, 4);
  const Status status = WritePngFile("/nonexistent-dir/x.png", image.view());
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("failed to write /nonexistent-dir/x.png"), std::string::npos)
      << status.message();
}

TEST(PngTest, GreyBecomesRgb) {
  PngSpec spec = Spec(3, 1, 8, PNG_COLOR_TYPE_GRAY);
  spec.pixels = {0, 100, 255};
  auto decoded = Decode(EncodePng(spec));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ExpectNear(PixelAt(*decoded, 1, 0), 100, 100, 100, 0);
  ExpectNear(PixelAt(*decoded, 2, 0), 255, 255, 255, 0);
}

TEST(PngTest, OneBitGreyBecomesRgb) {
  PngSpec spec = Spec(8, 1, 1, PNG_COLOR_TYPE_GRAY);
  spec.pixels = {0b10100000};
  auto decoded = Decode(EncodePng(spec));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ExpectNear(PixelAt(*decoded, 0, 0), 255, 255, 255, 0);
  ExpectNear(PixelAt(*decoded, 1, 0), 0, 0, 0, 0);
  ExpectNear(PixelAt(*decoded, 2, 0), 255, 255, 255, 0);
}

TEST(PngTest, GreyAlphaDropsAlpha) {
  PngSpec spec = Spec(2, 1, 8, PNG_COLOR_TYPE_GRAY_ALPHA);
  spec.pixels = {200, 0, 50, 255};
  auto decoded = Decode(EncodePng(spec));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ExpectNear(PixelAt(*decoded, 0, 0), 200, 200, 200, 0);
  ExpectNear(PixelAt(*decoded, 1, 0), 50, 50, 50, 0);
}

TEST(PngTest, RgbaDropsAlphaKeepingColours) {
  PngSpec spec = Spec(1, 1, 8, PNG_COLOR_TYPE_RGB_ALPHA);
  spec.pixels = {10, 20, 30, 0};
  auto decoded = Decode(EncodePng(spec));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ExpectNear(PixelAt(*decoded, 0, 0), 10, 20, 30, 0);
}

TEST(PngTest, PaletteWithTransparencyBecomesRgb) {
  PngSpec spec = Spec(2, 1, 8, PNG_COLOR_TYPE_PALETTE);
  spec.palette = {{255, 0, 0}, {0, 0, 255}};
  spec.trns = {0, 255};
  spec.pixels = {1, 0};
  auto decoded = Decode(EncodePng(spec));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ExpectNear(PixelAt(*decoded, 0, 0), 0, 0, 255, 0);
  ExpectNear(PixelAt(*decoded, 1, 0), 255, 0, 0, 0);
}

TEST(PngTest, SixteenBitScalesToEightBit) {
  PngSpec spec = Spec(1, 1, 16, PNG_COLOR_TYPE_RGB);
  spec.pixels = {0xFF, 0xFF, 0x80, 0x00, 0x00, 0x00};
  auto decoded = Decode(EncodePng(spec));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ExpectNear(PixelAt(*decoded, 0, 0), 255, 128, 0, 1);
}

TEST(PngTest, InterlacedDecodes) {
  const Image original = Gradient(19, 13);
  PngSpec spec = Spec(19, 13, 8, PNG_COLOR_TYPE_RGB, true);
  spec.pixels.assign(original.data(), original.data() + 19 * 13 * 3);
  auto decoded = Decode(EncodePng(spec));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_TRUE(std::equal(original.data(), original.data() + 19 * 13 * 3, decoded->data()));
}

TEST(PngTest, TruncatedIsAnError) {
  const Bytes png = EncodeRgbPng(Gradient(64, 64));
  for (size_t keep : {size_t{10}, size_t{40}, png.size() / 2, png.size() - 13}) {
    SCOPED_TRACE(keep);
    ExpectError(Decode(Bytes(png.begin(), png.begin() + static_cast<std::ptrdiff_t>(keep)), "cut.png"),
                StatusCode::kInvalidImage, "failed to decode cut.png: ");
  }
}

TEST(PngTest, HeaderClaimingMorePixelsThanTheDataIsAnError) {
  const Bytes png = WithPngSize(EncodeRgbPng(Gradient(16, 16)), 400, 300);
  ExpectError(Decode(png, "liar.png"), StatusCode::kInvalidImage, "failed to decode liar.png: ");
}

TEST(PngTest, HeaderWithBadCrcIsAnError) {
  Bytes png = EncodeRgbPng(Gradient(16, 16));
  png[17] ^= 0x01;  // width changes, CRC stays
  ExpectError(Decode(png, "crc.png"), StatusCode::kInvalidImage, "failed to decode crc.png: ");
}

TEST(PngTest, CorruptImageDataIsAnError) {
  Bytes png = EncodeRgbPng(Gradient(64, 64));
  for (size_t i = 45; i < png.size() - 20; i += 7) png[i] ^= 0x5A;
  ExpectError(Decode(png, "corrupt.png"), StatusCode::kInvalidImage, "failed to decode corrupt.png: ");
}

TEST(PngTest, HugeHeaderIsRefusedBeforeAllocating) {
  const Bytes png = WithPngSize(EncodeRgbPng(Gradient(16, 16)), 100000, 100000);
  const auto start = std::chrono::steady_clock::now();
  ExpectError(Decode(png, "huge.png"), StatusCode::kResourceExhausted, "100000x100000");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(PngTest, PixelLimitIsConfigurable) {
  DecodeLimits limits;
  limits.max_pixels = 100;
  ExpectError(Decode(EncodeRgbPng(Gradient(11, 10)), "big.png", limits), StatusCode::kResourceExhausted,
              "above the limit of 100 pixels");
  EXPECT_TRUE(Decode(EncodeRgbPng(Gradient(10, 10)), "ok.png", limits).ok());
}

// ---- JPEG -------------------------------------------------------------------

TEST(JpegTest, RgbDecodesCloseToTheOriginal) {
  const Image original = Gradient(64, 48);
  auto decoded = Decode(EncodeRgbJpeg(original), "a.jpg");
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ASSERT_EQ(decoded->width(), 64);
  ASSERT_EQ(decoded->height(), 48);
  for (int y = 0; y < 48; y += 7) {
    for (int x = 0; x < 64; x += 7) {
      const uint8_t* want = PixelAt(original, x, y);
      ExpectNear(PixelAt(*decoded, x, y), want[0], want[1], want[2], 12);
    }
  }
}

TEST(JpegTest, GreyBecomesRgb) {
  std::vector<uint8_t> grey(32 * 32, 90);
  auto decoded = Decode(EncodeJpeg(grey.data(), 32, 32, TJPF_GRAY, TJSAMP_GRAY), "grey.jpg");
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ExpectNear(PixelAt(*decoded, 16, 16), 90, 90, 90, 2);
}

TEST(JpegTest, CmykBecomesRgb) {
  // Inverted (Adobe) CMYK, as TurboJPEG writes it: C=M=Y=255 is no ink, K=255 no black.
  std::vector<uint8_t> cmyk;
  for (int i = 0; i < 32 * 32; ++i)
    cmyk.insert(cmyk.end(), {255, 0, 255, 255});  // magenta ink only: green gone
  auto decoded = Decode(EncodeJpeg(cmyk.data(), 32, 32, TJPF_CMYK, TJSAMP_444), "cmyk.jpg");
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ExpectNear(PixelAt(*decoded, 16, 16), 255, 0, 255, 8);
}

TEST(JpegTest, TruncatedIsAnErrorNotAGreyPicture) {
  const Bytes jpeg = EncodeRgbJpeg(Gradient(128, 96));
  for (size_t keep : {jpeg.size() / 3, jpeg.size() * 2 / 3, jpeg.size() - 2}) {
    SCOPED_TRACE(keep);
    ExpectError(Decode(Bytes(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(keep)), "cut.jpg"),
                StatusCode::kInvalidImage, "failed to decode cut.jpg: ");
  }
}

TEST(JpegTest, TruncatedInsideTheHeaderIsAnError) {
  const Bytes jpeg = EncodeRgbJpeg(Gradient(16, 16));
  ExpectError(Decode(Bytes(jpeg.begin(), jpeg.begin() + 30), "head.jpg"), StatusCode::kInvalidImage,
              "failed to decode head.jpg: ");
}

TEST(JpegTest, TrailingBytesAfterTheImageAreFine) {
  Bytes jpeg = EncodeRgbJpeg(Gradient(16, 16));
  jpeg.insert(jpeg.end(), {0, 0, 0, 0, 'j', 'u', 'n', 'k'});
  EXPECT_TRUE(Decode(jpeg).ok());
}

TEST(JpegTest, HugeHeaderIsRefusedBeforeAllocating) {
  Bytes jpeg = EncodeRgbJpeg(Gradient(16, 16));
  const size_t sof = StartOfFrame(jpeg);
  ASSERT_GT(sof, 0u);
  // SOF payload: length(2) precision(1) height(2) width(2).
  jpeg[sof + 3] = 0xEA, jpeg[sof + 4] = 0x60;  // 60000
  jpeg[sof + 5] = 0xEA, jpeg[sof + 6] = 0x60;
  ExpectError(Decode(jpeg, "huge.jpg"), StatusCode::kResourceExhausted, "60000x60000");
}

TEST(JpegTest, HeaderClaimingMorePixelsThanTheDataIsAnError) {
  Bytes jpeg = EncodeRgbJpeg(Gradient(16, 16));
  const size_t sof = StartOfFrame(jpeg);
  jpeg[sof + 3] = 0x04, jpeg[sof + 4] = 0x00;  // 1024 rows
  ExpectError(Decode(jpeg, "liar.jpg"), StatusCode::kInvalidImage, "failed to decode liar.jpg: ");
}

TEST(JpegTest, ExifOrientation6RotatesClockwise) {
  // Left half red, right half blue; turned 90 degrees clockwise, red ends on top.
  Image image(64, 32, PixelFormat::kRGB);
  for (int y = 0; y < 32; ++y) {
    for (int x = 0; x < 64; ++x) {
      uint8_t* p = image.data() + (y * 64 + x) * 3;
      p[0] = x < 32 ? 255 : 0, p[1] = 0, p[2] = x < 32 ? 0 : 255;
    }
  }
  for (bool big_endian : {false, true}) {
    SCOPED_TRACE(big_endian ? "big-endian Exif" : "little-endian Exif");
    auto decoded = Decode(WithSegment(EncodeRgbJpeg(image), ExifSegment(6, big_endian)), "six.jpg");
    ASSERT_TRUE(decoded.ok()) << decoded.status().message();
    ASSERT_EQ(decoded->width(), 32);
    ASSERT_EQ(decoded->height(), 64);
    ExpectNear(PixelAt(*decoded, 16, 10), 255, 0, 0, 30);
    ExpectNear(PixelAt(*decoded, 16, 54), 0, 0, 255, 30);
  }
}

TEST(JpegTest, ExifOrientation3RotatesHalfATurn) {
  Image image(64, 32, PixelFormat::kRGB);
  for (int y = 0; y < 32; ++y) {
    for (int x = 0; x < 64; ++x) {
      uint8_t* p = image.data() + (y * 64 + x) * 3;
      p[0] = x < 32 ? 255 : 0, p[1] = 0, p[2] = x < 32 ? 0 : 255;
    }
  }
  auto decoded = Decode(WithSegment(EncodeRgbJpeg(image), ExifSegment(3, false)), "three.jpg");
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ASSERT_EQ(decoded->width(), 64);
  ExpectNear(PixelAt(*decoded, 10, 16), 0, 0, 255, 30);
  ExpectNear(PixelAt(*decoded, 54, 16), 255, 0, 0, 30);
}

TEST(ExifTest, ReadsOrientationAndIgnoresGarbage) {
  const Bytes jpeg = EncodeRgbJpeg(Gradient(8, 8));
  EXPECT_EQ(ReadJpegExifOrientation(jpeg), 1);
  for (int orientation = 1; orientation <= 8; ++orientation) {
    EXPECT_EQ(ReadJpegExifOrientation(WithSegment(jpeg, ExifSegment(orientation, orientation % 2))),
              orientation);
  }
  EXPECT_EQ(ReadJpegExifOrientation(WithSegment(jpeg, ExifSegment(9, false))), 1);
  // An IFD offset far past the segment, a segment length past the file, and every prefix.
  Bytes far = ExifSegment(6, false);
  far[14] = 0xFF, far[15] = 0xFF;
  EXPECT_EQ(ReadJpegExifOrientation(WithSegment(jpeg, far)), 1);
  Bytes long_segment = ExifSegment(6, false);
  long_segment[2] = 0xFF;
  const Bytes broken = WithSegment(jpeg, long_segment);
  EXPECT_EQ(ReadJpegExifOrientation(Bytes(broken.begin(), broken.begin() + 40)), 1);
  const Bytes good = WithSegment(jpeg, ExifSegment(6, true));
  for (size_t n = 0; n < 60; ++n) {
    const int orientation = ReadJpegExifOrientation(std::span<const uint8_t>(good.data(), n));
    EXPECT_TRUE(orientation == 1 || orientation == 6);
  }
}

TEST(ExifTest, AppliesAllEightOrientations) {
  // A 3x2 image whose red channel numbers the pixels 0..5 in reading order:
  //   0 1 2
  //   3 4 5
  Image image(3, 2, PixelFormat::kRGB);
  for (int i = 0; i < 6; ++i) image.data()[i * 3] = static_cast<uint8_t>(i);
  const std::vector<std::vector<int>> expected = {
      {},
      {0, 1, 2, 3, 4, 5},  // 1: as stored (3x2)
      {2, 1, 0, 5, 4, 3},  // 2: mirrored
      {5, 4, 3, 2, 1, 0},  // 3: half turn
      {3, 4, 5, 0, 1, 2},  // 4: flipped
      {0, 3, 1, 4, 2, 5},  // 5: transposed (2x3)
      {3, 0, 4, 1, 5, 2},  // 6: quarter turn clockwise (2x3)
      {5, 2, 4, 1, 3, 0},  // 7: transverse (2x3)
      {2, 5, 1, 4, 0, 3},  // 8: quarter turn counter-clockwise (2x3)
  };
  for (int orientation = 1; orientation <= 8; ++orientation) {
    SCOPED_TRACE(orientation);
    const Image turned = ApplyExifOrientation(image, orientation);
    EXPECT_EQ(turned.width(), orientation >= 5 ? 2 : 3);
    std::vector<int> got;
    for (int i = 0; i < 6; ++i) got.push_back(turned.data()[i * 3]);
    EXPECT_EQ(got, expected[orientation]);
  }
}

// ---- Files and content sniffing ---------------------------------------------

TEST(ReadImageFileTest, SniffsTheContentNotTheName) {
  TempDir dir;
  WriteBytes(dir.File("really_a_png.jpg"), EncodeRgbPng(Gradient(8, 8)));
  WriteBytes(dir.File("really_a_jpeg.png"), EncodeRgbJpeg(Gradient(8, 8)));
  EXPECT_TRUE(ReadImageFile(dir.File("really_a_png.jpg")).ok());
  EXPECT_TRUE(ReadImageFile(dir.File("really_a_jpeg.png")).ok());
}

TEST(ReadImageFileTest, EmptyFile) {
  TempDir dir;
  WriteBytes(dir.File("empty.jpg"), {});
  ExpectError(ReadImageFile(dir.File("empty.jpg")), StatusCode::kInvalidImage,
              "failed to decode " + dir.File("empty.jpg") + ": the file is empty");
}

TEST(ReadImageFileTest, TextFileNamedJpg) {
  TempDir dir;
  const std::string text = "hello, this is not a picture\n";
  WriteBytes(dir.File("notes.jpg"), Bytes(text.begin(), text.end()));
  ExpectError(ReadImageFile(dir.File("notes.jpg")), StatusCode::kInvalidImage,
              "notes.jpg: it is a text file");
}

TEST(ReadImageFileTest, OtherFormatsAreNamed) {
  const std::string gif = "GIF89a\x01\x00\x01\x00";
  ExpectError(Decode(Bytes(gif.begin(), gif.end()), "x.gif"), StatusCode::kInvalidImage, "GIF");
  ExpectError(Decode(Bytes{0x00, 0x01, 0x02, 0xFE}, "x.bin"), StatusCode::kInvalidImage, "00 01 02 fe");
}

TEST(ReadImageFileTest, Directory) {
  TempDir dir;
  fs::create_directories(dir.File("folder.jpg"));
  ExpectError(ReadImageFile(dir.File("folder.jpg")), StatusCode::kInvalidArgument,
              dir.File("folder.jpg") + ": it is a directory");
}

TEST(ReadImageFileTest, MissingFile) {
  TempDir dir;
  ExpectError(ReadImageFile(dir.File("missing.png")), StatusCode::kNotFound,
              "failed to read " + dir.File("missing.png") + ": no such file");
}

TEST(ReadImageFileTest, FileSizeLimit) {
  TempDir dir;
  WriteBytes(dir.File("a.png"), EncodeRgbPng(Gradient(32, 32)));
  DecodeLimits limits;
  limits.max_file_bytes = 100;
  ExpectError(ReadImageFile(dir.File("a.png"), limits), StatusCode::kResourceExhausted,
              "above the limit of 100");
}

// ---- Overlay ----------------------------------------------------------------

TEST(OverlayTest, DrawsSkeletonDotsAndLabel) {
  Image image(200, 200, PixelFormat::kRGB);
  std::vector<PixelPoint> hand(21);
  for (int i = 0; i < 21; ++i) hand[i] = {60.0f + 4 * i, 150.0f - 4 * i};
  DrawHand(image, hand, "Right 0.97");
  size_t lit = 0;
  for (int i = 0; i < 200 * 200 * 3; ++i) lit += image.data()[i] != 0;
  EXPECT_GT(lit, 300u);
  ExpectNear(PixelAt(image, 60, 150), 255, 48, 48, 0);  // a red joint on the wrist
}

TEST(OverlayTest, ClipsAnythingOutsideTheImage) {
  Image image(50, 40, PixelFormat::kRGBA);
  const float nan = std::nanf("");
  std::vector<PixelPoint> hand(21, PixelPoint{1e30f, -1e30f});
  hand[3] = {nan, nan};
  hand[4] = {-20, 25};
  DrawHand(image, hand, "Left 0.51 with a label far wider than the image");
  DrawLine(image, {-1e9f, -1e9f}, {1e9f, 1e9f}, 3, {1, 2, 3});
  DrawLabel(image, -100, 35, "clipped", 3, {255, 255, 255}, {0, 0, 0});
  SUCCEED();
}

}  // namespace
}  // namespace handtrack
