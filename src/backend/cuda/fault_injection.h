// The CUDA backend's part of the HANDTRACK_INJECT_FAULT test hook. The runtime
// itself handles "cuda:availability", "cuda:compile" and "cuda:run"; the
// backend adds faults that only it can place.
#pragma once

#include <string_view>

namespace handtrack::backend::cuda {

// Whether HANDTRACK_INJECT_FAULT (a comma-separated list of BACKEND:STAGE)
// holds "cuda:<fault>", e.g. fault "oom".
bool CudaFaultInjected(std::string_view fault);

}  // namespace handtrack::backend::cuda
