// Host images to the CUDA device, for segments that sample their inputs there
// (backend/image_sampling.h).
#pragma once

#include <memory>

#include "backend/image_sampling.h"

namespace handtrack::backend::cuda {

// Pinned staging and device memory that grow to the largest image uploaded,
// and a stream of its own, on CUDA device `device` (the one of the segments that
// sample its images). Needs a usable device (UseCudaDevice).
Result<std::unique_ptr<ImageUploader>> CreateCudaImageUploader(int device);

}  // namespace handtrack::backend::cuda
