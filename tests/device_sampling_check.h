// Pre-processing on a device (backend/image_sampling.h), checked the same way
// for every backend that samples images (cuda, webgpu): images uploaded with
// the backend's ImageUploader and sampled into a model input on the device give
// the CPU samplers' floats (vision/image_to_tensor.h) bit for bit.
#pragma once

#include <functional>

#include "backend/backend.h"
#include "backend/image_sampling.h"
#include "model/graph.h"

namespace handtrack::testing {

// in [frames, size, size, 3] -> RELU -> out: the identity on sampled values (in [0, 1]).
model::Graph SampledInputGraph(int frames, int size);

// Six 224x224 frames (a letterbox with a zero border, rotated crops partly
// outside RGB and padded BGRA images under both border rules, an empty region)
// sampled by `device` compiled with `options`, against WarpRectToTensor's bits;
// then a second run with two frames swapped. Reports through gtest.
void ExpectDeviceSamplingMatchesTheCpu(backend::Backend& device, const backend::BackendOptions& options);

// Copies an NV12 frame's host planes (and its colour table, if any) to the device and
// describes them there (the test's stand-in for a decoder's picture); the memory stays until
// the test ends.
using Nv12ToDevice = std::function<Result<backend::DeviceImage>(const Nv12View& host)>;

// NV12 frames on the device (odd sizes, padded rows, BT.601 limited range, and a colour table),
// sampled by `device` as a letterbox and rotated crops under both border rules, against the
// CPU samplers run on ConvertNv12ToRgb's RGB image: the same bits.
void ExpectNv12SamplingMatchesTheCpu(backend::Backend& device, const backend::BackendOptions& options,
                                     const Nv12ToDevice& to_device);

}  // namespace handtrack::testing
