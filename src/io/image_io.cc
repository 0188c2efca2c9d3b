#include "handtrack/image_io.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "io/jpeg_decoder.h"
#include "io/png_codec.h"

namespace handtrack {
namespace {

constexpr uint8_t kJpegMagic[] = {0xFF, 0xD8, 0xFF};
constexpr uint8_t kPngMagic[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

bool StartsWith(std::span<const uint8_t> bytes, std::span<const uint8_t> prefix) {
  return bytes.size() >= prefix.size() && std::memcmp(bytes.data(), prefix.data(), prefix.size()) == 0;
}

bool StartsWithText(std::span<const uint8_t> bytes, std::string_view text) {
  return bytes.size() >= text.size() && std::memcmp(bytes.data(), text.data(), text.size()) == 0;
}

// Names formats people commonly hand us by mistake, so the error says what the file is.
const char* KnownOtherFormat(std::span<const uint8_t> bytes) {
  if (StartsWithText(bytes, "GIF8")) return "a GIF image";
  if (StartsWithText(bytes, "BM")) return "a BMP image";
  if (bytes.size() >= 12 && StartsWithText(bytes, "RIFF") && std::memcmp(bytes.data() + 8, "WEBP", 4) == 0) {
    return "a WebP image";
  }
  if (bytes.size() >= 12 && std::memcmp(bytes.data() + 4, "ftyp", 4) == 0)
    return "a HEIF/AVIF image or a video";
  if (StartsWithText(bytes, "II*") || StartsWithText(bytes, std::string_view("MM\0*", 4)))
    return "a TIFF image";
  if (StartsWithText(bytes, "%PDF")) return "a PDF document";
  if (bytes.size() >= 2 && bytes[0] == 0xFF && bytes[1] == 0xD8)
    return "a damaged JPEG (no marker after SOI)";
  return nullptr;
}

bool LooksLikeText(std::span<const uint8_t> bytes) {
  const size_t n = std::min<size_t>(bytes.size(), 64);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t c = bytes[i];
    if (c < 0x09 || (c > 0x0D && c < 0x20) || c == 0x7F) return false;
  }
  return true;
}

std::string HexPrefix(std::span<const uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  const size_t n = std::min<size_t>(bytes.size(), 8);
  for (size_t i = 0; i < n; ++i) {
    if (i) out += ' ';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 15];
  }
  return out;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

// Reads at most `max_bytes` bytes; one more means the file is too large (this also
// catches files that grow while being read, or report no size, like pipes).
Result<std::vector<uint8_t>> ReadWholeFile(const std::string& path, int64_t max_bytes) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    const int error = errno;
    const std::string message = "failed to read " + path + ": " + std::strerror(error);
    return error == ENOENT ? NotFoundError(message) : InvalidArgumentError(message);
  }
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  for (;;) {
    const size_t got = std::fread(chunk, 1, sizeof(chunk), file.get());
    if (got > 0) {
      if (static_cast<int64_t>(bytes.size() + got) > max_bytes) {
        return ResourceExhaustedError("failed to read " + path + ": the file is larger than the limit of " +
                                      std::to_string(max_bytes) + " bytes");
      }
      bytes.insert(bytes.end(), chunk, chunk + got);
    }
    if (got < sizeof(chunk)) break;
  }
  if (std::ferror(file.get())) {
    return InvalidArgumentError("failed to read " + path + ": " + std::strerror(errno));
  }
  return bytes;
}

}  // namespace

Result<Image> DecodeImage(std::span<const uint8_t> bytes, const std::string& name,
                          const DecodeLimits& limits) {
  if (bytes.empty()) return InvalidImageError("failed to decode " + name + ": the file is empty");
  if (StartsWith(bytes, kJpegMagic)) return DecodeJpeg(bytes, name, limits);
  if (StartsWith(bytes, kPngMagic)) return DecodePng(bytes, name, limits);
  if (const char* other = KnownOtherFormat(bytes)) {
    return InvalidImageError("failed to decode " + name + ": it is " + other +
                             "; handtrack reads JPEG and PNG");
  }
  if (LooksLikeText(bytes)) {
    return InvalidImageError("failed to decode " + name + ": it is a text file, not a JPEG or PNG image");
  }
  return InvalidImageError("failed to decode " + name + ": not a JPEG or PNG image (it starts with bytes " +
                           HexPrefix(bytes) + ")");
}

Result<Image> ReadImageFile(const std::string& path, const DecodeLimits& limits) {
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (status.type() == std::filesystem::file_type::not_found) {
    return NotFoundError("failed to read " + path + ": no such file");
  }
  if (status.type() == std::filesystem::file_type::directory) {
    return InvalidArgumentError("failed to read " + path + ": it is a directory, not an image file");
  }
  if (status.type() == std::filesystem::file_type::regular) {
    const auto size = std::filesystem::file_size(path, error);
    if (!error && static_cast<int64_t>(size) > limits.max_file_bytes) {
      return ResourceExhaustedError("failed to read " + path + ": the file has " + std::to_string(size) +
                                    " bytes, above the limit of " + std::to_string(limits.max_file_bytes));
    }
  }
  HT_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadWholeFile(path, limits.max_file_bytes));
  return DecodeImage(bytes, path, limits);
}

}  // namespace handtrack
