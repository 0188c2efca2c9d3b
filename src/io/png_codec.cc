// libpng reports errors by longjmp. To keep that safe in C++, every setjmp sits in
// a small function whose frame holds no object with a destructor that a jump
// could skip, and the callbacks that libpng jumps out of hold none either: the
// only frames a longjmp crosses are libpng's own C frames.
#include "io/png_codec.h"

#include <png.h>

#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace handtrack {
namespace {

// Where the error callback leaves libpng's message before jumping.
struct PngErrorText {
  char text[200] = "unknown libpng error";
};

void OnPngError(png_structp png, png_const_charp message) {
  auto* error = static_cast<PngErrorText*>(png_get_error_ptr(png));
  std::snprintf(error->text, sizeof(error->text), "%s", message ? message : "unknown libpng error");
  png_longjmp(png, 1);
}

void IgnorePngWarning(png_structp, png_const_charp) {}  // the library never prints

struct MemorySource {
  const uint8_t* data;
  size_t size;
  size_t offset;
};

void ReadFromMemory(png_structp png, png_bytep out, size_t length) {
  auto* source = static_cast<MemorySource*>(png_get_io_ptr(png));
  if (length > source->size - source->offset) png_error(png, "truncated PNG data");
  std::memcpy(out, source->data + source->offset, length);
  source->offset += length;
}

// One PNG decode: owns libpng's read state.
class PngReader {
 public:
  explicit PngReader(std::span<const uint8_t> bytes) : source_{bytes.data(), bytes.size(), 0} {
    png_ = png_create_read_struct(PNG_LIBPNG_VER_STRING, &error_, OnPngError, IgnorePngWarning);
    if (png_) info_ = png_create_info_struct(png_);
  }
  ~PngReader() { png_destroy_read_struct(&png_, &info_, nullptr); }
  PngReader(const PngReader&) = delete;
  PngReader& operator=(const PngReader&) = delete;

  bool started() const { return png_ && info_; }
  const char* error() const { return error_.text; }

  // Reads the chunks up to the first IDAT and sets the conversions to 8-bit RGB.
  // Returns false (with error()) on failure.
  bool ReadHeader(uint32_t* width, uint32_t* height) {
    if (setjmp(png_jmpbuf(png_))) return false;
    png_set_read_fn(png_, &source_, ReadFromMemory);
    png_read_info(png_, info_);
    *width = png_get_image_width(png_, info_);
    *height = png_get_image_height(png_, info_);
    const int color_type = png_get_color_type(png_, info_);
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png_);
    if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) {
      png_set_expand_gray_1_2_4_to_8(png_);
      png_set_gray_to_rgb(png_);
    }
    png_set_scale_16(png_);
    png_set_strip_alpha(png_);
    png_set_interlace_handling(png_);
    png_read_update_info(png_, info_);
    return true;
  }

  size_t row_bytes() const { return png_get_rowbytes(png_, info_); }

  // Decodes every row; `rows` point at rows of row_bytes() each.
  bool ReadPixels(png_bytepp rows) {
    if (setjmp(png_jmpbuf(png_))) return false;
    png_read_image(png_, rows);
    return true;
  }

 private:
  PngErrorText error_;
  MemorySource source_;
  png_structp png_ = nullptr;
  png_infop info_ = nullptr;
};

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

// One PNG encode into an open file: owns libpng's write state.
class PngWriter {
 public:
  explicit PngWriter(std::FILE* file) {
    png_ = png_create_write_struct(PNG_LIBPNG_VER_STRING, &error_, OnPngError, IgnorePngWarning);
    if (png_) info_ = png_create_info_struct(png_);
    file_ = file;
  }
  ~PngWriter() { png_destroy_write_struct(&png_, &info_); }
  PngWriter(const PngWriter&) = delete;
  PngWriter& operator=(const PngWriter&) = delete;

  bool started() const { return png_ && info_; }
  const char* error() const { return error_.text; }

  bool Write(const ImageView& image, png_bytepp rows) {
    if (setjmp(png_jmpbuf(png_))) return false;
    png_init_io(png_, file_);
    const bool has_alpha = image.format == PixelFormat::kRGBA || image.format == PixelFormat::kBGRA;
    png_set_IHDR(png_, info_, static_cast<uint32_t>(image.width), static_cast<uint32_t>(image.height), 8,
                 has_alpha ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    // Fast zlib level: overlays are previews, size matters less than speed.
    png_set_compression_level(png_, 3);
    png_write_info(png_, info_);
    if (image.format == PixelFormat::kBGR || image.format == PixelFormat::kBGRA) png_set_bgr(png_);
    png_write_image(png_, rows);
    png_write_end(png_, nullptr);
    return true;
  }

 private:
  PngErrorText error_;
  std::FILE* file_ = nullptr;
  png_structp png_ = nullptr;
  png_infop info_ = nullptr;
};

}  // namespace

Result<Image> DecodePng(std::span<const uint8_t> bytes, const std::string& name, const DecodeLimits& limits) {
  const std::string failed = "failed to decode " + name + ": ";
  PngReader reader(bytes);
  if (!reader.started()) return ResourceExhaustedError(failed + "cannot start libpng");
  uint32_t width = 0, height = 0;
  if (!reader.ReadHeader(&width, &height)) return InvalidImageError(failed + reader.error());
  const int64_t pixels = int64_t{width} * height;
  if (pixels > limits.max_pixels) {
    return ResourceExhaustedError(failed + "the image is " + std::to_string(width) + "x" +
                                  std::to_string(height) + " pixels, above the limit of " +
                                  std::to_string(limits.max_pixels) + " pixels");
  }
  const size_t row_bytes = size_t{width} * 3;
  if (reader.row_bytes() != row_bytes) {
    return InternalError(failed + "libpng gives rows of " + std::to_string(reader.row_bytes()) +
                         " bytes, expected " + std::to_string(row_bytes));
  }
  Image image(static_cast<int>(width), static_cast<int>(height), PixelFormat::kRGB);
  std::vector<png_bytep> rows(height);
  for (uint32_t y = 0; y < height; ++y) rows[y] = image.data() + y * row_bytes;
  if (!reader.ReadPixels(rows.data())) return InvalidImageError(failed + reader.error());
  return image;
}

Status WritePngFile(const std::string& path, const ImageView& image) {
  const std::string failed = "failed to write " + path + ": ";
  if (Status valid = image.Validate(); !valid.ok()) return InvalidArgumentError(failed + valid.message());
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "wb"));
  if (!file) return InvalidArgumentError(failed + std::strerror(errno));
  std::vector<png_bytep> rows(static_cast<size_t>(image.height));
  for (int y = 0; y < image.height; ++y) {
    rows[y] = const_cast<png_bytep>(image.data + static_cast<size_t>(y) * image.stride_bytes);
  }
  {
    PngWriter writer(file.get());
    if (!writer.started()) return ResourceExhaustedError(failed + "cannot start libpng");
    if (!writer.Write(image, rows.data())) {
      const std::string reason = writer.error();
      file.reset();
      std::remove(path.c_str());  // no half-written file left behind
      return InvalidArgumentError(failed + reason);
    }
  }
  // fclose flushes: a full disk shows up here.
  if (std::fclose(file.release()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(path.c_str());
    return InvalidArgumentError(failed + reason);
  }
  return Status::Ok();
}

}  // namespace handtrack
