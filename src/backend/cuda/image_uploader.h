// Host images to the CUDA device, for segments that sample their inputs there
// (backend/image_sampling.h).
#pragma once

#include <memory>

#include "backend/image_sampling.h"

namespace handtrack::backend::cuda {

// Pinned staging and device memory that grow to the largest image uploaded,
// and a stream of its own. Needs a usable device (UseCudaDevice).
Result<std::unique_ptr<ImageUploader>> CreateCudaImageUploader();

}  // namespace handtrack::backend::cuda
