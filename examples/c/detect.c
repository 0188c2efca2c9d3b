/* A C99 program on handtrack's C API (handtrack/handtrack.h): decodes a JPEG
 * with TurboJPEG and prints each hand's handedness, id, gesture, finger count
 * and wrist landmark. Built by CMake in handtrack's build tree
 * (build/bin/detect_c) and, against an install, by the Makefile beside it
 * (pkg-config handtrack-c); docs/C_API.md.
 *
 *   detect_c IMAGE.jpg [MODEL_DIR]
 *
 * The photo is used as stored: EXIF orientation is not applied (the
 * `handtrack detect` command does apply it). Exits 1 with a one-line message
 * on any error, 2 for bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "handtrack/handtrack.h"

/* The whole file in a malloc'd buffer; NULL with a message on stderr on failure. */
static unsigned char* read_file(const char* path, unsigned long* size) {
  FILE* file = fopen(path, "rb");
  unsigned char* bytes = NULL;
  long length = 0;
  if (file == NULL) {
    fprintf(stderr, "detect_c: failed to open %s: %s\n", path, strerror(errno));
    return NULL;
  }
  if (fseek(file, 0, SEEK_END) != 0 || (length = ftell(file)) < 0 || fseek(file, 0, SEEK_SET) != 0) {
    fprintf(stderr, "detect_c: failed to read %s: cannot find its size\n", path);
  } else if ((bytes = malloc(length > 0 ? (size_t)length : 1)) == NULL) {
    fprintf(stderr, "detect_c: failed to read %s: out of memory\n", path);
  } else if (fread(bytes, 1, (size_t)length, file) != (size_t)length) {
    fprintf(stderr, "detect_c: failed to read %s: short read\n", path);
    free(bytes);
    bytes = NULL;
  }
  fclose(file);
  *size = (unsigned long)length;
  return bytes;
}

/* RGB pixels of a JPEG (tightly packed) in a malloc'd buffer; NULL with a message on failure. */
static unsigned char* decode_jpeg(const char* path, const unsigned char* jpeg, unsigned long size, int* width,
                                  int* height) {
  tjhandle handle = tjInitDecompress();
  unsigned char* pixels = NULL;
  int subsampling, colorspace;
  if (handle == NULL) {
    fprintf(stderr, "detect_c: failed to decode %s: %s\n", path, tjGetErrorStr2(NULL));
    return NULL;
  }
  /* TurboJPEG 2.x (Debian 12) takes non-const pointers but does not write through them. */
  if (tjDecompressHeader3(handle, (unsigned char*)jpeg, size, width, height, &subsampling, &colorspace) !=
      0) {
    fprintf(stderr, "detect_c: failed to decode %s: %s\n", path, tjGetErrorStr2(handle));
  } else if (*width <= 0 || *height <= 0) {
    fprintf(stderr, "detect_c: failed to decode %s: no image size in the header\n", path);
  } else if ((pixels = malloc((size_t)*width * (size_t)*height * 3)) == NULL) {
    fprintf(stderr, "detect_c: failed to decode %s: out of memory\n", path);
  } else if (tjDecompress2(handle, (unsigned char*)jpeg, size, pixels, *width, 0, *height, TJPF_RGB,
                           TJFLAG_LIMITSCANS) != 0 &&
             tjGetErrorCode(handle) != TJERR_WARNING) {
    fprintf(stderr, "detect_c: failed to decode %s: %s\n", path, tjGetErrorStr2(handle));
    free(pixels);
    pixels = NULL;
  }
  tjDestroy(handle);
  return pixels;
}

int main(int argc, char** argv) {
  unsigned long jpeg_size = 0;
  unsigned char* jpeg;
  unsigned char* pixels;
  int width = 0, height = 0, i, status = 1;
  ht_options options;
  ht_landmarker* landmarker = NULL;
  ht_image image;
  ht_result* result = NULL;

  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s IMAGE.jpg [MODEL_DIR]\n", argv[0]);
    return 2;
  }
  jpeg = read_file(argv[1], &jpeg_size);
  if (jpeg == NULL) return 1;
  pixels = decode_jpeg(argv[1], jpeg, jpeg_size, &width, &height);
  free(jpeg);
  if (pixels == NULL) return 1;

  ht_options_init(&options);
  options.num_hands = 2;
  if (argc == 3) options.model_dir = argv[2];
  if (ht_landmarker_create(&options, &landmarker) != HT_OK) {
    fprintf(stderr, "detect_c: %s\n", ht_last_error());
    free(pixels);
    return 1;
  }
  image.data = pixels;
  image.width = width;
  image.height = height;
  image.stride_bytes = width * 3;
  image.format = HT_PIXEL_FORMAT_RGB;
  if (ht_detect(landmarker, &image, &result) != HT_OK) {
    fprintf(stderr, "detect_c: %s\n", ht_last_error());
  } else {
    printf("%s: %dx%d, %d hand(s)\n", argv[1], width, height, result->num_hands);
    for (i = 0; i < result->num_hands; ++i) {
      const ht_hand* hand = &result->hands[i];
      printf("hand id %d: %s (%.2f), gesture %s (%.2f), %d finger(s), wrist %.4f %.4f %.4f\n", hand->id,
             hand->handedness, hand->handedness_score, hand->gesture_name, hand->gesture_score,
             hand->finger_count, hand->landmarks[0].x, hand->landmarks[0].y, hand->landmarks[0].z);
    }
    status = 0;
  }
  ht_result_free(result);
  ht_landmarker_destroy(landmarker);
  free(pixels);
  return status;
}
