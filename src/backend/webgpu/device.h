// The JavaScript half of the webgpu backend (webgpu_device.js), as C sees it.
// The functions marked "waits" are ASYNCIFY imports: the module suspends to
// the event loop until the GPU answers, and the C++ caller sees a plain call.
// Failures return a negative number with the reason written into `error`.
#pragma once

extern "C" {
// 1 when navigator.gpu (or Module.gpu) exists.
int htgpu_present(void);
// Waits. Adapter and device, once per process (again after a loss): bit 0 set
// with shader-f16, bit 1 on a fallback (software) adapter; -1 on failure.
// `faults`: kFault* bits.
int htgpu_acquire(int allow_fallback_adapter, int faults, char* error, int error_bytes);
void htgpu_adapter_text(char* out, int out_bytes);
// Waits. A program from its JSON (program.h) and float32 weights: id > 0, or -1.
int htgpu_compile(const char* json, const float* weights, int weight_count, int faults, char* error,
                  int error_bytes);
// Waits. io_pointers: the float* of each input, then of each output, in the JSON's order.
int htgpu_run(int program, float* const* io_pointers, int faults, char* error, int error_bytes);
// Waits. Mean milliseconds per replay of the dispatches alone, or -1.
double htgpu_time_replays(int program, int replays);
void htgpu_release(int program);

// Pre-processing on the GPU (image_sampling.h). An image slot: a GPU buffer of
// 8-bit pixels, grown as needed; ids > 0.
int htgpu_image_create(void);
// Queues `byte_count` bytes (a multiple of 4) into the slot's buffer; 0, or -1
// when the device is gone or out of memory.
int htgpu_image_upload(int image, const unsigned char* bytes, int byte_count, char* error, int error_bytes);
void htgpu_image_release(int image);
// Waits. As htgpu_run, but input `sampled_input` (its pointer unused) is made by
// the sampling shader from `table`: `frames` blocks of `block_words` words each
// (image_sampling.cc), each naming its image slot.
int htgpu_run_sampled(int program, float* const* io_pointers, int sampled_input, const unsigned* table,
                      int frames, int block_words, int faults, char* error, int error_bytes);
}

namespace handtrack::backend::webgpu {

// Test hooks, the bits of `faults` above (webgpu_device.js has the same).
inline constexpr int kFaultNoGpu = 1;          // "webgpu:no-gpu": navigator.gpu is missing
inline constexpr int kFaultNoAdapter = 2;      // "webgpu:no-adapter": requestAdapter() gives null
inline constexpr int kFaultRequestDevice = 4;  // "webgpu:request-device": requestDevice() rejects (for real)
inline constexpr int kFaultShader = 8;  // "webgpu:shader": a WGSL source that does not compile (for real)
inline constexpr int kFaultOutOfMemory = 16;  // "webgpu:oom": the out-of-memory error scope reports an error
inline constexpr int kFaultDeviceLost =
    32;  // "webgpu:device-lost": device.destroy() while a run is in flight

}  // namespace handtrack::backend::webgpu
