#include "backend/cuda/pooling.cuh"

namespace handtrack::backend::cuda {

cudaError_t EnqueueMaxPool2D(const OpLaunch& launch) { return EnqueuePool2D</*kIsMax=*/true>(launch); }

}  // namespace handtrack::backend::cuda
