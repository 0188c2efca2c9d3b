// The XNNPACK backend (Debian's libxnnpack-dev): each segment of supported
// nodes becomes one XNNPACK subgraph and runtime, threaded by pthreadpool.
#pragma once

#include <memory>

#include "backend/backend.h"

namespace handtrack::backend {

std::unique_ptr<Backend> CreateXnnpackBackend();

}  // namespace handtrack::backend
