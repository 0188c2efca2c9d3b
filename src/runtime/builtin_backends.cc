// The backends that ship with handtrack: the one place that names them. A
// backend left out of this build is still listed, with the reason, so that
// `handtrack devices` and ListBackends() can say why it is missing.
#include "backend/reference/reference_backend.h"
#include "runtime/backend_registry.h"
#ifdef HANDTRACK_HAVE_CUDA
#include "backend/cuda/cuda_backend.h"
#endif
#ifdef HANDTRACK_HAVE_XNNPACK
#include "backend/xnnpack/xnnpack_backend.h"
#endif
#ifdef HANDTRACK_HAVE_WASM
#include "backend/wasm/wasm_backend.h"
#endif
#ifdef HANDTRACK_HAVE_WEBGPU
#include "backend/webgpu/webgpu_backend.h"
#endif

// Set by src/runtime/CMakeLists.txt from what CMake found.
#ifndef HANDTRACK_CUDA_NOT_BUILT_REASON
#define HANDTRACK_CUDA_NOT_BUILT_REASON "built without nvcc"
#endif
#ifndef HANDTRACK_XNNPACK_NOT_BUILT_REASON
#define HANDTRACK_XNNPACK_NOT_BUILT_REASON "built without libxnnpack-dev"
#endif

namespace handtrack::runtime {
namespace {

using BackendFactory = std::unique_ptr<backend::Backend> (*)();

// An entry that is compiled in when `create` is non-null, and otherwise says why not.
BackendEntry MakeEntry(const char* name, int priority, BackendFactory create, const char* not_built_reason) {
  BackendEntry entry;
  entry.name = name;
  entry.priority = priority;
  if (create != nullptr) {
    entry.create = create;
  } else {
    entry.not_built_reason = not_built_reason;
  }
  return entry;
}

}  // namespace

void RegisterBuiltinBackends(BackendRegistry& registry) {
#ifdef HANDTRACK_HAVE_CUDA
  constexpr BackendFactory kCreateCuda = backend::CreateCudaBackend;
#else
  constexpr BackendFactory kCreateCuda = nullptr;
#endif
#ifdef HANDTRACK_HAVE_XNNPACK
  constexpr BackendFactory kCreateXnnpack = backend::CreateXnnpackBackend;
#else
  constexpr BackendFactory kCreateXnnpack = nullptr;
#endif
  // Priorities leave room for backends registered later (a browser GPU backend
  // between cuda and xnnpack, say).
#ifdef HANDTRACK_HAVE_WASM
  constexpr BackendFactory kCreateWasm = backend::CreateWasmBackend;
#else
  constexpr BackendFactory kCreateWasm = nullptr;
#endif
#ifdef HANDTRACK_HAVE_WEBGPU
  constexpr BackendFactory kCreateWebGpu = backend::CreateWebGpuBackend;
#else
  constexpr BackendFactory kCreateWebGpu = nullptr;
#endif
  BackendEntry reference = MakeEntry("reference", 0, backend::CreateReferenceBackend, "");
  reference.fallback = true;
  // Fixed, distinct names: registering cannot fail.
  (void)registry.Register(MakeEntry("cuda", 300, kCreateCuda, HANDTRACK_CUDA_NOT_BUILT_REASON));
#ifdef __EMSCRIPTEN__
  // The browser's GPU (the handtrack_gpu module), ahead of the CPU backends; listed only in the
  // browser's builds, where the CPU modules name the one that has it.
  (void)registry.Register(
      MakeEntry("webgpu", 250, kCreateWebGpu, "built without WebGPU: only the handtrack_gpu module has it"));
#else
  (void)kCreateWebGpu;
#endif
  (void)registry.Register(MakeEntry("xnnpack", 200, kCreateXnnpack, HANDTRACK_XNNPACK_NOT_BUILT_REASON));
  BackendEntry wasm = MakeEntry("wasm", 100, kCreateWasm, "built with -DHANDTRACK_WITH_WASM_BACKEND=OFF");
#ifndef __EMSCRIPTEN__
  // Natively xnnpack is the fast CPU backend: the portable kernels run only
  // when named (tests, comparisons), so auto keeps xnnpack -> reference.
  wasm.in_auto = false;
#endif
  (void)registry.Register(std::move(wasm));
  (void)registry.Register(std::move(reference));
}

}  // namespace handtrack::runtime
