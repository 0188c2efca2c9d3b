// Pre-processing on the GPU for the webgpu backend (backend/image_sampling.h):
// a frame goes up once as 8-bit pixels (WebGpuImageUploader), and a compute
// shader samples the palm letterbox and the hand crops from it straight into a
// model input in the segment's arena, so the float inputs (442 KB and 602 KB
// per frame) are never made on the CPU nor copied up.
//
// WGSL has no double: the host evaluates each row's origin and each column's
// step in double exactly as the CPU samplers do, scaled to 1/32 pixel, and
// sends them as an integer plus a 61-bit fixed-point fraction; the shader adds
// a row's and a column's value in integers (float tricks do not survive every
// GPU compiler), treats a sum within half a double ulp of a half-integer as that
// half-integer (the CPU's double addition rounds it there), and rounds half to
// even. It can differ from the CPU only where the CPU's sum is itself a double
// tie at that boundary; the tests compare the bits.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "backend/image_sampling.h"

namespace handtrack::backend::webgpu {

// The sampling shader (its storage type S comes from webgpu_device.js).
extern const char kSampleImageShader[];

// Words per frame in a sampling table for an out_width x out_height input:
// a header, then 6 words per row and per column, rounded up to 256 bytes (the
// offset alignment of a storage binding).
int SamplingBlockWords(int out_width, int out_height);

// The sampling table of one run: frame f's block at f * SamplingBlockWords,
// writing the input at arena element `arena_offset` + f * out_width * out_height * 3.
std::vector<uint32_t> BuildSamplingTable(std::span<const ImageSampling> frames, int out_width, int out_height,
                                         uint32_t arena_offset);

// The webgpu backend's ImageUploader: one GPU buffer per uploader (grown as
// needed). DeviceImage::pixels carries the buffer's id, not an address.
std::unique_ptr<ImageUploader> CreateImageUploader();

}  // namespace handtrack::backend::webgpu
