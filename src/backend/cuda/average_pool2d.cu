#include "backend/cuda/pooling.cuh"

namespace handtrack::backend::cuda {

cudaError_t EnqueueAveragePool2D(const OpLaunch& launch) { return EnqueuePool2D</*kIsMax=*/false>(launch); }

}  // namespace handtrack::backend::cuda
