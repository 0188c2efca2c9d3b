// The reference backend: plain, portable, readable C++ kernels, one file per
// op. It supports every node the model reader accepts, is the last fallback
// of every plan, and is the oracle the other backends are tested against.
#pragma once

#include <memory>

#include "backend/backend.h"

namespace handtrack::backend {

std::unique_ptr<Backend> CreateReferenceBackend();

}  // namespace handtrack::backend
