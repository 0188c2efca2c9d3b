// The explicit list of backends compiled into this build, in priority order.
#include "backend/backend.h"
#include "backend/reference/reference_backend.h"
#ifdef HANDTRACK_HAVE_CUDA
#include "backend/cuda/cuda_backend.h"
#endif
#ifdef HANDTRACK_HAVE_XNNPACK
#include "backend/xnnpack/xnnpack_backend.h"
#endif

namespace handtrack::backend {

std::vector<std::unique_ptr<Backend>> CreateAllBackends() {
  std::vector<std::unique_ptr<Backend>> backends;
#ifdef HANDTRACK_HAVE_CUDA
  backends.push_back(CreateCudaBackend());
#endif
#ifdef HANDTRACK_HAVE_XNNPACK
  backends.push_back(CreateXnnpackBackend());
#endif
  backends.push_back(CreateReferenceBackend());
  return backends;
}

}  // namespace handtrack::backend
