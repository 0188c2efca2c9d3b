// The reader's 4:2:0-to-RGB conversion (swscale, as the ffmpeg tool sets it up), shared by the
// RGB frames and, tabulated, by the frames kept on the GPU: their samplers look each pixel's
// (Y, U, V) up in the table instead of computing it, so that a frame gives the same RGB on the
// GPU as on the host, whatever swscale's arithmetic (its x86 code truncates in fixed point and
// lies 0.5-1.2 levels below the exact formula on average; landmarks follow such differences).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "handtrack/status.h"
#include "io/ffmpeg_util.h"

namespace handtrack::ffmpeg {

// A swscale context from `format` to packed RGB at the same size, with the ffmpeg tool's flags
// (bicubic; they matter only for odd sizes); null when swscale does not take the format.
SwsPtr CreateRgbConverter(int width, int height, AVPixelFormat format);

// The colour set-up the stream declares: its matrix (sws_getCoefficients of `colorspace`, the
// raw AVFrame value; BT.601 for unknown ones) and its range, to full-range RGB.
void SetRgbColorspace(SwsContext* converter, int colorspace, bool full_range);

// Whether `picture` is full range: its colour range says so, or its format is a yuvj* one.
bool IsFullRange(const AVFrame& picture);

// The RGB of every 8-bit (Y, U, V) as that conversion gives it for 4:2:0 pictures of `format`
// (an 8-bit planar 4:2:0 format, e.g. yuv420p) with the given matrix and range: entry
// (U << 16) | (V << 8) | Y holds R | G << 8 | B << 16 (64 MB). Made once per process and
// set-up (swscale over a 4096x4096 picture holding every triple, about 50 ms), then shared.
// Errors: Unsupported when swscale does not take the format, ResourceExhausted without memory.
Result<std::shared_ptr<const std::vector<uint32_t>>> SwscaleRgbTable(AVPixelFormat format, int colorspace,
                                                                     bool full_range);

}  // namespace handtrack::ffmpeg
