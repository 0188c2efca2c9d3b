#include "io/rgb_table.h"

#include <map>
#include <mutex>
#include <string>
#include <tuple>

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace handtrack::ffmpeg {

SwsPtr CreateRgbConverter(int width, int height, AVPixelFormat format) {
  return SwsPtr(sws_getContext(width, height, format, width, height, AV_PIX_FMT_RGB24, SWS_BICUBIC, nullptr,
                               nullptr, nullptr));
}

void SetRgbColorspace(SwsContext* converter, int colorspace, bool full_range) {
  // Fails harmlessly for RGB sources, which have no matrix.
  sws_setColorspaceDetails(converter, sws_getCoefficients(colorspace), full_range,
                           sws_getCoefficients(SWS_CS_DEFAULT), /*dstRange=*/1, /*brightness=*/0,
                           /*contrast=*/1 << 16, /*saturation=*/1 << 16);
}

bool IsFullRange(const AVFrame& picture) {
  const int format = picture.format;
  return RawColorRange(picture) == AVCOL_RANGE_JPEG || format == AV_PIX_FMT_YUVJ420P ||
         format == AV_PIX_FMT_YUVJ422P || format == AV_PIX_FMT_YUVJ444P || format == AV_PIX_FMT_YUVJ440P ||
         format == AV_PIX_FMT_YUVJ411P;
}

namespace {

// The picture that holds every triple: each (U, V) pair fills 64 chroma samples of a row, i.e. a
// 128 x 2 block of luma with the 256 values of Y; 32 pairs a row, 2048 rows of chroma.
constexpr int kSide = 4096;
constexpr int kChromaSide = kSide / 2;
constexpr int kPairsPerRow = 32;
constexpr int kBlockWidth = kSide / kPairsPerRow;  // 128 luma columns

Result<std::shared_ptr<const std::vector<uint32_t>>> BuildTable(AVPixelFormat format, int colorspace,
                                                                bool full_range) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(format);
  if (d == nullptr || d->nb_components != 3 || !(d->flags & AV_PIX_FMT_FLAG_PLANAR) ||
      d->log2_chroma_w != 1 || d->log2_chroma_h != 1 || d->comp[0].depth != 8) {
    return UnsupportedError(std::string("failed to tabulate the RGB conversion: '") +
                            (d ? d->name : "unknown") + "' is not 8-bit planar 4:2:0");
  }
  SwsPtr converter = CreateRgbConverter(kSide, kSide, format);
  if (!converter)
    return UnsupportedError("failed to tabulate the RGB conversion: swscale refused the format");
  SetRgbColorspace(converter.get(), colorspace, full_range);
  std::vector<uint8_t> luma(static_cast<size_t>(kSide) * kSide);
  std::vector<uint8_t> u(static_cast<size_t>(kChromaSide) * kChromaSide), v(u.size());
  for (int y = 0; y < kSide; ++y) {
    for (int x = 0; x < kSide; ++x)
      luma[static_cast<size_t>(y) * kSide + x] = (y % 2) * 128 + x % kBlockWidth;
  }
  for (int cy = 0; cy < kChromaSide; ++cy) {
    for (int cx = 0; cx < kChromaSide; ++cx) {
      const int pair = cy * kPairsPerRow + cx / (kBlockWidth / 2);
      u[static_cast<size_t>(cy) * kChromaSide + cx] = static_cast<uint8_t>(pair >> 8);
      v[static_cast<size_t>(cy) * kChromaSide + cx] = static_cast<uint8_t>(pair & 0xff);
    }
  }
  const int stride = kSide * 3;
  // swscale's x86 code may write a few bytes past a row's end: room for them.
  std::vector<uint8_t> rgb(static_cast<size_t>(stride) * (kSide + 1) + 64);
  const uint8_t* planes[4] = {luma.data(), u.data(), v.data(), nullptr};
  const int strides[4] = {kSide, kChromaSide, kChromaSide, 0};
  uint8_t* out[4] = {rgb.data(), nullptr, nullptr, nullptr};
  const int out_strides[4] = {stride, 0, 0, 0};
  if (sws_scale(converter.get(), planes, strides, 0, kSide, out, out_strides) != kSide) {
    return InternalError("failed to tabulate the RGB conversion: swscale gave too few rows");
  }
  auto table = std::make_shared<std::vector<uint32_t>>(size_t{1} << 24);
  for (int y = 0; y < kSide; ++y) {
    for (int x = 0; x < kSide; ++x) {
      const size_t chroma = static_cast<size_t>(y / 2) * kChromaSide + x / 2;
      const uint32_t index =
          (uint32_t{u[chroma]} << 16) | (uint32_t{v[chroma]} << 8) | luma[static_cast<size_t>(y) * kSide + x];
      const uint8_t* pixel = rgb.data() + static_cast<size_t>(y) * stride + x * 3;
      (*table)[index] = pixel[0] | (uint32_t{pixel[1]} << 8) | (uint32_t{pixel[2]} << 16);
    }
  }
  return std::shared_ptr<const std::vector<uint32_t>>(std::move(table));
}

}  // namespace

Result<std::shared_ptr<const std::vector<uint32_t>>> SwscaleRgbTable(AVPixelFormat format, int colorspace,
                                                                     bool full_range) {
  static std::mutex mutex;
  static std::map<std::tuple<int, int, bool>, std::shared_ptr<const std::vector<uint32_t>>> tables;
  std::lock_guard lock(mutex);
  auto& table = tables[{format, colorspace, full_range}];
  if (table == nullptr) {
    try {
      HT_ASSIGN_OR_RETURN(table, BuildTable(format, colorspace, full_range));
    } catch (const std::bad_alloc&) {
      return ResourceExhaustedError("failed to tabulate the RGB conversion: out of memory");
    }
  }
  return table;
}

}  // namespace handtrack::ffmpeg
