// The wasm backend: handtrack's own CPU kernels for WebAssembly SIMD128
// (ops.h lists them), built for the browser module and, with SSE2 in place of
// SIMD128, natively for the tests. Convolutions run as matrix products with
// their bias, activation, residual ADD and PRELU fused into the store; output
// rows are spread over a thread pool when the segment gets more than one
// thread (pthreads in the browser's threaded build). Nodes it does not take
// go to the reference backend.
#pragma once

#include <memory>

#include "backend/backend.h"

namespace handtrack::backend {

std::unique_ptr<Backend> CreateWasmBackend();

}  // namespace handtrack::backend
