// Decodes photos with handtrack's own decoders (TurboJPEG with EXIF
// orientation, libpng) into binary PPM files (P6, 8-bit RGB), for machines
// that lack the image libraries (the lent GPU machine): cuda_image_detect
// reads them there with only libhandtrack.
//
//   raw_image_pack OUT_DIR IMAGE...     writes OUT_DIR/<image file name>.ppm
#include <cstdio>
#include <filesystem>
#include <string>

#include "handtrack/image_io.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s OUT_DIR IMAGE...\n", argv[0]);
    return 2;
  }
  const std::filesystem::path out_dir = argv[1];
  std::filesystem::create_directories(out_dir);
  int failures = 0;
  for (int i = 2; i < argc; ++i) {
    auto image = handtrack::ReadImageFile(argv[i]);
    if (!image.ok()) {
      std::fprintf(stderr, "%s\n", image.status().message().c_str());
      ++failures;
      continue;
    }
    const std::string name = std::filesystem::path(argv[i]).filename().string() + ".ppm";
    std::FILE* file = std::fopen((out_dir / name).c_str(), "wb");
    if (file == nullptr) {
      std::fprintf(stderr, "cannot write %s\n", (out_dir / name).c_str());
      return 1;
    }
    std::fprintf(file, "P6\n%d %d\n255\n", image->width(), image->height());
    const size_t bytes = static_cast<size_t>(image->stride_bytes()) * image->height();
    const bool ok = std::fwrite(image->data(), 1, bytes, file) == bytes;
    if (std::fclose(file) != 0 || !ok) {
      std::fprintf(stderr, "cannot write %s\n", (out_dir / name).c_str());
      return 1;
    }
  }
  return failures == 0 ? 0 : 1;
}
