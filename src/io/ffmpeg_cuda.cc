#include "io/ffmpeg_cuda.h"

#include <dlfcn.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "base/cuda_capture_gate.h"
#include "io/rgb_table.h"
#include "io/semi_planar.h"

extern "C" {
#include <libavutil/hwcontext.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
}

#if HANDTRACK_HAVE_FFNVCODEC
// NVIDIA's driver API through the loader FFmpeg itself uses (nv-codec-headers): libcuda.so.1 is
// opened at run time, so the build needs no CUDA toolkit and CPU-only machines load nothing.
// Its messages are silenced: the library never prints, failures come back as CUresult.
#define FFNV_LOG_FUNC(logctx, msg, ...) ((void)(logctx))
#define FFNV_DEBUG_LOG_FUNC(logctx, msg, ...) ((void)(logctx))
#include <ffnvcodec/dynlink_loader.h>
extern "C" {
#include <libavutil/hwcontext_cuda.h>
}
#endif

namespace handtrack::ffmpeg {
namespace {

// CudaDecodingContext::kSeparate: two CUDA device contexts per GPU for every decoder of the process, handed
// out in turn, made on first use and kept to the end (a context costs hundreds of MB of GPU memory and about
// 100 ms to create; 16 concurrent videos must not make 16). Why two: the decoders of one context wait for
// each other (each picture's copy to the host is synchronous on the context's stream), and more contexts make
// the GPU switch between them under the models' graphs. `track --jobs 16
// --delegate cuda --precision fp16` on 16 copies of a 2-minute 640x480 session (H200, two calls,
// 2026-12-04): 1 context 2080-2099 frames/s (40 % of the jobs' time waiting for the decoder),
// 2 contexts 2904-2910, 4 contexts 2586-2822, 8 contexts 2604, 16 contexts 2160; CPU decoding 2974.
// It is FFmpeg's own context, not the CUDA runtime's primary one
// (AV_CUDA_USE_PRIMARY_CONTEXT): FFmpeg refuses a primary context that is already active with
// other flags than its blocking sync (ENOTSUP, "Operation not supported"), which is the case
// once handtrack's CUDA backend has run. Frames are downloaded to the host, so nothing needs
// FFmpeg's contexts to be the CUDA backend's. A failure is not kept: a later video tries again.
constexpr int kDecodingContextsPerGpu = 2;

int SeparateCudaDevice(int index, AVBufferRef** device) {
  static std::mutex mutex;
  static std::map<std::pair<int, int>, AVBufferRef*> contexts;  // by GPU index and slot
  static std::map<int, int> next_slot;                          // by GPU index
  std::lock_guard lock(mutex);
  int& slot = next_slot[index];
  AVBufferRef*& shared = contexts[{index, slot}];
  slot = (slot + 1) % kDecodingContextsPerGpu;
  if (shared == nullptr) {
    const std::string name = std::to_string(index);  // FFmpeg's CUDA device string: the index
    const int created = av_hwdevice_ctx_create(&shared, AV_HWDEVICE_TYPE_CUDA, name.c_str(), nullptr, 0);
    if (created < 0) {
      shared = nullptr;
      return created;
    }
  }
  *device = av_buffer_ref(shared);
  return *device != nullptr ? 0 : AVERROR(ENOMEM);
}

#if HANDTRACK_HAVE_FFNVCODEC
// The driver API, loaded once for the process and kept (decoders come and go).
CudaFunctions* DriverApi() {
  static CudaFunctions* const functions = [] {
    CudaFunctions* loaded = nullptr;
    return cuda_load_functions(&loaded, nullptr) == 0 ? loaded : nullptr;
  }();
  return functions;
}

std::string DriverErrorText(CudaFunctions& cuda, CUresult result) {
  const char* name = nullptr;
  if (cuda.cuGetErrorName(result, &name) != CUDA_SUCCESS || name == nullptr) {
    return "CUDA error " + std::to_string(static_cast<int>(result));
  }
  return name;
}

// What a shared-context device holds beyond FFmpeg's fields: released with the device.
struct PrimaryContextUse {
  CudaFunctions* cuda = nullptr;
  CUdevice device = 0;
  CUstream stream = nullptr;
};

// AVHWDeviceContext::free of a shared-context device: FFmpeg has let go of the context (its
// uninit runs first) and every decoder and frame of it is gone; the stream's pending work
// still completes (cuStreamDestroy does not wait for it).
void ReleasePrimaryContext(AVHWDeviceContext* device_context) {
  auto* use = static_cast<PrimaryContextUse*>(device_context->user_opaque);
  if (use == nullptr) return;
  auto* cuda_context = static_cast<AVCUDADeviceContext*>(device_context->hwctx);
  CUcontext popped = nullptr;
  if (use->stream != nullptr && use->cuda->cuCtxPushCurrent(cuda_context->cuda_ctx) == CUDA_SUCCESS) {
    use->cuda->cuStreamDestroy(use->stream);
    use->cuda->cuCtxPopCurrent(&popped);
  }
  use->cuda->cuDevicePrimaryCtxRelease(use->device);
  delete use;
  device_context->user_opaque = nullptr;
}

// A decoding device for one video in the primary context of GPU `index` (the CUDA runtime's,
// where the models run), through FFmpeg's user-supplied-context path: FFmpeg's own
// AV_CUDA_USE_PRIMARY_CONTEXT refuses a primary context already active with other flags than
// its blocking sync, which it is once handtrack's CUDA backend has run. Each video has its own
// non-blocking stream: FFmpeg waits for its stream after every picture's copy, and a shared
// stream made the decoders wait for each other. Empty when made, else why not.
std::string SharedCudaDevice(int index, AVBufferRef** out) {
  CudaFunctions* cuda = DriverApi();
  if (cuda == nullptr) return "the CUDA driver API could not be loaded from libcuda.so.1";
  const auto failed = [&](const char* step, CUresult result) {
    return std::string(step) + " failed (" + DriverErrorText(*cuda, result) + ")";
  };
  CUresult result = cuda->cuInit(0);
  if (result != CUDA_SUCCESS) return failed("cuInit", result);
  CUdevice device = 0;
  result = cuda->cuDeviceGet(&device, index);
  if (result != CUDA_SUCCESS) return failed("cuDeviceGet", result);
  BufferPtr reference(av_hwdevice_ctx_alloc(AV_HWDEVICE_TYPE_CUDA));
  if (!reference) return "out of memory";
  CUcontext context = nullptr;
  result = cuda->cuDevicePrimaryCtxRetain(&context, device);
  if (result != CUDA_SUCCESS) return failed("cuDevicePrimaryCtxRetain", result);
  auto* device_context = reinterpret_cast<AVHWDeviceContext*>(reference->data);
  auto* cuda_context = static_cast<AVCUDADeviceContext*>(device_context->hwctx);
  cuda_context->cuda_ctx = context;
  // From here the reference owns the retained context (and the stream once made).
  auto* use = new PrimaryContextUse{cuda, device, nullptr};
  device_context->user_opaque = use;
  device_context->free = ReleasePrimaryContext;
  CUcontext popped = nullptr;
  result = cuda->cuCtxPushCurrent(context);
  if (result != CUDA_SUCCESS) return failed("cuCtxPushCurrent", result);
  result = cuda->cuStreamCreate(&use->stream, CU_STREAM_NON_BLOCKING);
  cuda->cuCtxPopCurrent(&popped);
  if (result != CUDA_SUCCESS) return failed("cuStreamCreate", result);
  cuda_context->stream = use->stream;
  const int initialised = av_hwdevice_ctx_init(reference.get());
  if (initialised < 0) return "FFmpeg's CUDA set-up failed (" + ErrorText(initialised) + ")";
  *out = reference.release();
  return "";
}
#endif

bool HasCudaHwaccel(const AVCodec& codec) {
  for (int i = 0;; ++i) {
    const AVCodecHWConfig* config = avcodec_get_hw_config(&codec, i);
    if (!config) return false;
    if (config->device_type == AV_HWDEVICE_TYPE_CUDA && config->pix_fmt == AV_PIX_FMT_CUDA &&
        (config->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX)) {
      return true;
    }
  }
}

bool IsPlanarYuv420(const AVPixFmtDescriptor& d) {
  return d.nb_components == 3 && (d.flags & AV_PIX_FMT_FLAG_PLANAR) &&
         !(d.flags &
           (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BE | AV_PIX_FMT_FLAG_HWACCEL)) &&
         d.log2_chroma_w == 1 && d.log2_chroma_h == 1;
}

// FFmpeg 5.1's nvdec set-up takes 4:2:0 YUV of 8 to 12 bits (4:4:4 for HEVC on some GPUs, left
// to the CPU here); 4:2:2, 4:4:4 H.264 (screen recordings, x264 from RGB) and grey are refused
// at the first frame. Said at open instead, with the stream's format. Unknown formats pass:
// the first frame decides.
std::string PixelFormatProblem(const AVCodecParameters& parameters) {
  if (parameters.format < 0) return "";
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(parameters.format));
  if (!d || (IsPlanarYuv420(*d) && d->comp[0].depth <= 12)) return "";
  return std::string("NVDEC decodes 4:2:0 video of 8 to 12 bits, this stream is ") + d->name;
}

// Empty when the library loads; else dlopen's reason. libavcodec loads these two itself;
// FFmpeg's own error codes for them ("Operation not permitted" for a missing libcuda.so.1)
// say nothing useful.
std::string LibraryProblem(const char* soname) {
  void* handle = dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
  if (!handle) {
    const char* error = dlerror();
    return std::string(soname) + " cannot be loaded (" + (error ? error : "unknown reason") + ")";
  }
  dlclose(handle);
  return "";
}

// Right shift from the GPU's layout to `planar`: 0 for NV12 to 8-bit 4:2:0, 16 - depth for
// P010/P016 (samples in the high bits) to 9- to 16-bit 4:2:0 (samples in the low bits); -1
// when they do not pair up.
int PlanarShift(int transfer_format, AVPixelFormat planar) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(planar);
  if (!d || !IsPlanarYuv420(*d)) return -1;
  const int depth = d->comp[0].depth;
  if (transfer_format == AV_PIX_FMT_NV12) return depth == 8 && d->comp[0].step == 1 ? 0 : -1;
  if (transfer_format == AV_PIX_FMT_P010LE || transfer_format == AV_PIX_FMT_P016LE) {
    return depth > 8 && depth <= 16 && d->comp[0].step == 2 ? 16 - depth : -1;
  }
  return -1;
}

// The format FFmpeg downloads `picture` in: its frames' software format (NV12, P010, P016).
AVPixelFormat DownloadFormat(const AVFrame& picture) {
  if (picture.hw_frames_ctx == nullptr) return AV_PIX_FMT_NONE;
  return reinterpret_cast<const AVHWFramesContext*>(picture.hw_frames_ctx->data)->sw_format;
}

// Marks (AVFrame::opaque) a transfer frame whose buffer GivePinnedBuffer made.
char pinned_tag;

// Whether *transfer holds memory for a picture like `picture` (format and size).
bool FitsPicture(const AVFrame& picture, const AVFrame& transfer) {
  return transfer.buf[0] != nullptr && transfer.format == DownloadFormat(picture) &&
         transfer.width == picture.width && transfer.height == picture.height;
}

#if HANDTRACK_HAVE_FFNVCODEC
// Page-locked host memory for the pictures' downloads. FFmpeg copies each picture to the host
// and waits for the copy; into pageable memory the driver stages it through its own pinned
// buffers, and with 16 videos decoding at once that took 1.3 ms a 640x480 picture (H100,
// 2026-12-06), where a copy straight into pinned memory takes tens of microseconds.
struct PinnedHostMemory {
  void* data = nullptr;
  CUcontext context = nullptr;  // current while freeing
};

using HostAllocFn = CUresult (*)(void** pointer, size_t bytes, unsigned int flags);
using FreeHostFn = CUresult (*)(void* pointer);
constexpr unsigned int kPortablePinned = 0x01;  // CU_MEMHOSTALLOC_PORTABLE: every context may use it

struct PinnedMemoryFunctions {
  HostAllocFn alloc = nullptr;
  FreeHostFn free = nullptr;
};

// cuMemHostAlloc and cuMemFreeHost, which FFmpeg's loader does not list, from the libcuda.so.1
// it opened; null when either is missing.
const PinnedMemoryFunctions& PinnedMemoryApi() {
  static const PinnedMemoryFunctions functions = [] {
    PinnedMemoryFunctions found;
    CudaFunctions* cuda = DriverApi();
    if (cuda == nullptr || cuda->lib == nullptr) return found;
    found.alloc = reinterpret_cast<HostAllocFn>(dlsym(cuda->lib, "cuMemHostAlloc"));
    found.free = reinterpret_cast<FreeHostFn>(dlsym(cuda->lib, "cuMemFreeHost"));
    if (found.alloc == nullptr || found.free == nullptr) return PinnedMemoryFunctions{};
    return found;
  }();
  return functions;
}

void FreePinned(void* opaque, uint8_t*) {
  auto* memory = static_cast<PinnedHostMemory*>(opaque);
  CudaFunctions* cuda = DriverApi();
  CUcontext popped = nullptr;
  if (cuda->cuCtxPushCurrent(memory->context) == CUDA_SUCCESS) {
    PinnedMemoryApi().free(memory->data);
    cuda->cuCtxPopCurrent(&popped);
  }
  delete memory;
}
#endif

// Gives *transfer (unreferenced) a pinned buffer for pictures like `picture`; leaves it empty
// when pinned memory cannot be had, and FFmpeg then allocates pageable memory per picture.
void GivePinnedBuffer(const AVFrame& picture, AVFrame* transfer) {
#if HANDTRACK_HAVE_FFNVCODEC
  const AVPixelFormat format = DownloadFormat(picture);
  const PinnedMemoryFunctions& pinned = PinnedMemoryApi();
  CudaFunctions* cuda = DriverApi();
  if (format == AV_PIX_FMT_NONE || pinned.alloc == nullptr || cuda == nullptr) return;
  const auto* frames = reinterpret_cast<const AVHWFramesContext*>(picture.hw_frames_ctx->data);
  const CUcontext context = static_cast<const AVCUDADeviceContext*>(frames->device_ctx->hwctx)->cuda_ctx;
  constexpr int kAlign = 64;
  const int bytes = av_image_get_buffer_size(format, picture.width, picture.height, kAlign);
  if (bytes <= 0) return;
  auto memory = std::make_unique<PinnedHostMemory>();
  memory->context = context;
  CUcontext popped = nullptr;
  if (cuda->cuCtxPushCurrent(context) != CUDA_SUCCESS) return;
  const CUresult allocated = pinned.alloc(&memory->data, static_cast<size_t>(bytes), kPortablePinned);
  cuda->cuCtxPopCurrent(&popped);
  if (allocated != CUDA_SUCCESS) return;
  AVBufferRef* buffer =
      av_buffer_create(static_cast<uint8_t*>(memory->data), bytes, FreePinned, memory.get(), 0);
  if (buffer == nullptr) {
    FreePinned(memory.release(), nullptr);
    return;
  }
  memory.release();  // the buffer frees it
  if (av_image_fill_arrays(transfer->data, transfer->linesize, buffer->data, format, picture.width,
                           picture.height, kAlign) < 0) {
    av_buffer_unref(&buffer);
    return;
  }
  transfer->buf[0] = buffer;
  transfer->format = format;
  transfer->width = picture.width;
  transfer->height = picture.height;
  transfer->opaque = &pinned_tag;
#else
  (void)picture;
  (void)transfer;
#endif
}

}  // namespace

CudaDecoding OpenCudaDecoding(const AVCodec& codec, const AVCodecParameters& parameters, int device_index,
                              CudaDecodingContext context) {
  (void)context;  // builds without ffnvcodec decode in kSeparate's contexts
  CudaDecoding result;
  if (!HasCudaHwaccel(codec)) {
    result.unavailable_reason = std::string("this FFmpeg's ") + codec.name + " decoder has no CUDA hwaccel";
    return result;
  }
  if (std::string problem = PixelFormatProblem(parameters); !problem.empty()) {
    result.unavailable_reason = std::move(problem);
    return result;
  }
  // The reason when no device opens: a missing driver says more than the step that failed.
  const auto no_device = [&](const std::string& problem) {
    const std::string driver = LibraryProblem("libcuda.so.1");
    const std::string which = device_index == 0 ? "" : " " + std::to_string(device_index);
    result.unavailable_reason = "no CUDA device" + which + ": " + (driver.empty() ? problem : driver);
    return std::move(result);
  };
  AVBufferRef* device = nullptr;
  if (device_index < 0) {
    result.unavailable_reason = "no CUDA device " + std::to_string(device_index);
    return result;
  }
#if HANDTRACK_HAVE_FFNVCODEC
  if (context == CudaDecodingContext::kShared) {
    const std::string problem = SharedCudaDevice(device_index, &device);
    result.shared_context = problem.empty();
    if (!problem.empty()) return no_device(problem);
  }
#endif
  const int created = device != nullptr ? 0 : SeparateCudaDevice(device_index, &device);
  if (created < 0) return no_device("CUDA set-up failed (" + ErrorText(created) + ")");
  result.device.reset(device);
  // Containers given the GPU for compute only lack it (NVIDIA_DRIVER_CAPABILITIES without
  // "video"); without this check they would fail at the first frame instead of falling back.
  if (std::string decoder = LibraryProblem("libnvcuvid.so.1"); !decoder.empty()) {
    result.device.reset();
    result.unavailable_reason = "no NVIDIA video decoder: " + decoder;
  }
  return result;
}

Result<const AVFrame*> DownloadCudaPicture(const AVFrame& picture, AVPixelFormat planar_format, bool pinned,
                                           const std::string& what, AVFrame* transfer, AVFrame* planar) {
  const bool fits = FitsPicture(picture, *transfer);
  if (!pinned || !fits || transfer->opaque != &pinned_tag) {
    // A frame that fits but is not pinned: pinned memory could not be had for this size, and
    // is not asked for again with every picture.
    const bool refused_before = fits && pinned;
    av_frame_unref(transfer);
    if (pinned && !refused_before) GivePinnedBuffer(picture, transfer);
  }
  const int copied = av_hwframe_transfer_data(transfer, &picture, 0);
  if (copied < 0) {
    return UnavailableError("failed to decode " + what +
                            ": copying it from the GPU failed: " + ErrorText(copied));
  }
  // The transfer copies pixels only; the conversion also reads the colour set-up.
  ffmpeg::CopyColorDescription(picture, transfer);
  const int shift = PlanarShift(transfer->format, planar_format);
  if (shift < 0) return static_cast<const AVFrame*>(transfer);
  if (planar->format != planar_format || planar->width != transfer->width ||
      planar->height != transfer->height) {
    av_frame_unref(planar);
    planar->format = planar_format;
    planar->width = transfer->width;
    planar->height = transfer->height;
    const int allocated = av_frame_get_buffer(planar, 0);
    if (allocated < 0) {
      return ResourceExhaustedError("failed to decode " + what +
                                    ": no memory for the picture: " + ErrorText(allocated));
    }
  }
  ffmpeg::CopyColorDescription(picture, planar);
  SplitSemiPlanar(transfer->width, transfer->height, transfer->format == AV_PIX_FMT_NV12 ? 1 : 2, shift,
                  {transfer->data[0], transfer->linesize[0]}, {transfer->data[1], transfer->linesize[1]},
                  {planar->data[0], planar->linesize[0]}, {planar->data[1], planar->linesize[1]},
                  {planar->data[2], planar->linesize[2]});
  return static_cast<const AVFrame*>(planar);
}

namespace {

#if HANDTRACK_HAVE_FFNVCODEC
// One NVDEC picture on its GPU, held by a reference to FFmpeg's frame.
class NvdecFrame final : public GpuFrame {
 public:
  NvdecFrame(FramePtr picture, const Nv12View& view, int device, std::string what,
             std::shared_ptr<const std::vector<uint32_t>> host_table)
      : picture_(std::move(picture)),
        view_(view),
        device_(device),
        what_(std::move(what)),
        host_table_(std::move(host_table)) {}
  // The last reference to the decoder's frames (the reader gone) frees device memory: a use of
  // the capture gate, as every call into FFmpeg's CUDA side in the shared context.
  ~NvdecFrame() override {
    const ScopedCudaContextUse use(true);
    picture_.reset();
  }

  const Nv12View& nv12() const override { return view_; }
  int cuda_device() const override { return device_; }

  Result<Image> ToHostRgb() const override {
    FramePtr host(av_frame_alloc());
    if (!host) return ResourceExhaustedError("failed to copy " + what_ + " from the GPU: out of memory");
    host->format = AV_PIX_FMT_NV12;
    int copied = 0;
    {
      const ScopedCudaContextUse use(true);
      copied = av_hwframe_transfer_data(host.get(), picture_.get(), 0);
    }
    if (copied < 0)
      return UnavailableError("failed to copy " + what_ + " from the GPU: " + ErrorText(copied));
    Nv12View planes = view_;
    planes.luma = host->data[0];
    planes.chroma = host->data[1];
    planes.luma_stride_bytes = host->linesize[0];
    planes.chroma_stride_bytes = host->linesize[1];
    planes.rgb_table = host_table_->data();
    HT_RETURN_IF_ERROR(planes.Validate().WithPrefix("failed to copy " + what_ + " from the GPU"));
    Image rgb(view_.width, view_.height, PixelFormat::kRGB);
    ConvertNv12ToRgb(planes, rgb.data());
    return rgb;
  }

 private:
  FramePtr picture_;
  const Nv12View view_;
  const int device_;
  const std::string what_;
  const std::shared_ptr<const std::vector<uint32_t>> host_table_;  // the device table's contents
};

// `table` in the memory of `context`'s GPU: uploaded once per process, context and table (the
// tables live as long as the process, and so do these copies: 64 MB per GPU and colour set-up).
Result<const uint32_t*> DeviceRgbTable(CudaFunctions& cuda, CUcontext context,
                                       const std::vector<uint32_t>& table, const std::string& what) {
  static std::mutex mutex;
  static std::map<std::pair<CUcontext, const void*>, CUdeviceptr> uploaded;
  std::lock_guard lock(mutex);
  CUdeviceptr& there = uploaded[{context, table.data()}];
  if (there == 0) {
    const size_t bytes = table.size() * sizeof(uint32_t);
    CUcontext popped = nullptr;
    CUresult result = cuda.cuCtxPushCurrent(context);
    if (result == CUDA_SUCCESS) {
      result = cuda.cuMemAlloc(&there, bytes);
      if (result == CUDA_SUCCESS) {
        result = cuda.cuMemcpyHtoD(there, table.data(), bytes);
        if (result != CUDA_SUCCESS) cuda.cuMemFree(there);
      }
      cuda.cuCtxPopCurrent(&popped);
    }
    if (result != CUDA_SUCCESS) {
      there = 0;
      return ResourceExhaustedError("failed to decode " + what +
                                    ": no GPU memory for its colour table: " + DriverErrorText(cuda, result));
    }
  }
  return reinterpret_cast<const uint32_t*>(there);
}

// The matrix the picture declares, for Nv12View::matrix (the table does the conversion).
YuvMatrix PictureMatrix(const AVFrame& picture) {
  switch (RawColorSpace(picture)) {
    case AVCOL_SPC_BT709:
      return YuvMatrix::kBt709;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL:
      return YuvMatrix::kBt2020;
    default:
      return YuvMatrix::kBt601;
  }
}
#endif

}  // namespace

Result<std::shared_ptr<const GpuFrame>> KeepCudaPicture(const AVFrame& picture, bool shared_context,
                                                        int device, AVPixelFormat planar_format,
                                                        const std::string& what, BufferPtr* copies) {
#if HANDTRACK_HAVE_FFNVCODEC
  // Odd heights: FFmpeg's copy takes height / 2 chroma rows, one short of NV12's.
  if (!shared_context || picture.format != AV_PIX_FMT_CUDA || DownloadFormat(picture) != AV_PIX_FMT_NV12 ||
      picture.height % 2 != 0 || PlanarShift(AV_PIX_FMT_NV12, planar_format) != 0) {
    return std::shared_ptr<const GpuFrame>();
  }
  // The RGB frames' conversion: the downloaded picture, split into `planar_format`, through swscale.
  const bool full_range = IsFullRange(picture) || planar_format == AV_PIX_FMT_YUVJ420P;
  Result<std::shared_ptr<const std::vector<uint32_t>>> host_table =
      SwscaleRgbTable(planar_format, RawColorSpace(picture), full_range);
  if (!host_table.ok()) return std::shared_ptr<const GpuFrame>();
  const auto* frames = reinterpret_cast<const AVHWFramesContext*>(picture.hw_frames_ctx->data);
  const auto* cuda_context = static_cast<const AVCUDADeviceContext*>(frames->device_ctx->hwctx);
  CudaFunctions* cuda = DriverApi();
  if (cuda == nullptr) return std::shared_ptr<const GpuFrame>();
  // The picture is one of NVDEC's few output surfaces (FFmpeg maps them; dpb size + 2), which the
  // decoder needs back: it is copied, on the GPU, into frames of the reader's own pool, which
  // grows to what the callers hold, so that they may hold any number of frames.
  const auto* pool = *copies ? reinterpret_cast<const AVHWFramesContext*>((*copies)->data) : nullptr;
  if (pool == nullptr || pool->width != picture.width || pool->height != picture.height) {
    copies->reset(av_hwframe_ctx_alloc(frames->device_ref));
    if (!*copies)
      return ResourceExhaustedError("failed to decode " + what + ": out of memory for GPU frames");
    auto* made = reinterpret_cast<AVHWFramesContext*>((*copies)->data);
    made->format = AV_PIX_FMT_CUDA;
    made->sw_format = AV_PIX_FMT_NV12;
    made->width = picture.width;
    made->height = picture.height;
    if (const int initialised = av_hwframe_ctx_init(copies->get()); initialised < 0) {
      copies->reset();
      return UnavailableError("failed to decode " + what +
                              ": no GPU frames for its copy: " + ErrorText(initialised));
    }
  }
  FramePtr copy(av_frame_alloc());
  if (!copy) return ResourceExhaustedError("failed to decode " + what + ": out of memory for a frame");
  if (const int got = av_hwframe_get_buffer(copies->get(), copy.get(), 0); got < 0) {
    return ResourceExhaustedError("failed to decode " + what +
                                  ": no GPU memory for its copy: " + ErrorText(got));
  }
  if (const int copied = av_hwframe_transfer_data(copy.get(), &picture, 0); copied < 0) {
    return UnavailableError("failed to decode " + what +
                            ": copying it on the GPU failed: " + ErrorText(copied));
  }
  ffmpeg::CopyColorDescription(picture, copy.get());
  // The copy runs on the video's stream: finished before the models' streams read it.
  CUcontext popped = nullptr;
  CUresult synced = cuda->cuCtxPushCurrent(cuda_context->cuda_ctx);
  if (synced == CUDA_SUCCESS) {
    synced = cuda->cuStreamSynchronize(cuda_context->stream);
    cuda->cuCtxPopCurrent(&popped);
  }
  if (synced != CUDA_SUCCESS) {
    return UnavailableError("failed to decode " + what +
                            ": waiting for the GPU's picture failed: " + DriverErrorText(*cuda, synced));
  }
  HT_ASSIGN_OR_RETURN(const uint32_t* device_table,
                      DeviceRgbTable(*cuda, cuda_context->cuda_ctx, **host_table, what));
  Nv12View view;
  view.rgb_table = device_table;
  view.luma = copy->data[0];
  view.chroma = copy->data[1];
  view.luma_stride_bytes = copy->linesize[0];
  view.chroma_stride_bytes = copy->linesize[1];
  view.width = picture.width;
  view.height = picture.height;
  view.matrix = PictureMatrix(picture);
  view.full_range = full_range;
  HT_RETURN_IF_ERROR(view.Validate().WithPrefix("failed to decode " + what));
  return std::shared_ptr<const GpuFrame>(
      std::make_shared<NvdecFrame>(std::move(copy), view, device, what, *std::move(host_table)));
#else
  (void)picture;
  (void)shared_context;
  (void)device;
  (void)planar_format;
  (void)what;
  (void)copies;
  return std::shared_ptr<const GpuFrame>();
#endif
}

}  // namespace handtrack::ffmpeg
