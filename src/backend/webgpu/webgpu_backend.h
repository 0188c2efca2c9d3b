// The webgpu backend: WGSL compute shaders on the browser's GPU (WebGPU),
// built only into the handtrack_gpu WebAssembly module (Emscripten with
// ASYNCIFY; -DHANDTRACK_WASM_WEBGPU=ON). See docs/WEB.md.
#pragma once

#include <memory>

#include "backend/backend.h"

namespace handtrack::backend {

std::unique_ptr<Backend> CreateWebGpuBackend();

}  // namespace handtrack::backend
