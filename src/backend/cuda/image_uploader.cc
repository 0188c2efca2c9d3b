#include "backend/cuda/image_uploader.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "backend/cuda/cuda_device.h"
#include "backend/cuda/cuda_status.h"

namespace handtrack::backend::cuda {
namespace {

// An image goes up in at most this many copies of whole rows, each at least kMinChunkBytes, so
// that packing the next rows into pinned memory overlaps the copy of the last ones. On the H100
// a 640x480 RGB photo (921 KB) took 0.086 ms packed then copied in one piece and 0.070 in 4
// (0.072-0.080 in 2, 3, 6, 8; copied from pageable memory directly 0.083), and a whole batch-1
// Detect 0.708-0.711 ms against 0.737-0.750 (docs/CUDA.md, session 50).
constexpr int kMaxChunks = 4;
constexpr size_t kMinChunkBytes = 128 * 1024;

class CudaImageUploader final : public ImageUploader {
 public:
  explicit CudaImageUploader(int device) : gpu_(device) {}
  // Freed on the uploader's device, whichever device the destroying thread has current.
  ~CudaImageUploader() override {
    cudaSetDevice(gpu_);
    if (stream_ != nullptr) {
      cudaStreamSynchronize(stream_);
      cudaStreamDestroy(stream_);
    }
    if (copied_ != nullptr) cudaEventDestroy(copied_);
    cudaFree(device_);
    cudaFreeHost(pinned_);
  }

  Status Init() {
    HT_RETURN_IF_ERROR(CudaStatus(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking),
                                  "create a stream for uploading images"));
    return CudaStatus(cudaEventCreateWithFlags(&copied_, cudaEventDisableTiming),
                      "create an event for uploaded images");
  }

  // Rows are packed into pinned memory (one host copy, which also drops any row
  // padding) and sent in asynchronous copies of a few rows each (kMaxChunks). This call
  // does not wait for them: the result's copied_event, recorded after the last, is what a
  // segment waits for before sampling (setting cuda.upload_wait: the launching thread by
  // default, or the segment's stream, which lets the graph's launch, 0.01-0.02 ms of host
  // time, overlap a 640x480 photo's 0.07 ms of copies). The next Upload waits for them
  // before it packs rows into the same pinned memory again.
  Result<DeviceImage> Upload(const ImageView& image) override {
    const std::string what = "upload a " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                             " image to the CUDA device";
    HT_RETURN_IF_ERROR(image.Validate().WithPrefix("failed to " + what));
    const size_t bytes = static_cast<size_t>(image.width) * BytesPerPixel(image.format) * image.height;
    HT_RETURN_IF_ERROR(CudaStatus(cudaSetDevice(gpu_), what));
    // The previous image's copies read the pinned rows and write the device memory reused below.
    HT_RETURN_IF_ERROR(CudaStatus(cudaStreamSynchronize(stream_), what));
    if (bytes > capacity_) {
      cudaFree(device_);
      cudaFreeHost(pinned_);
      device_ = nullptr;
      pinned_ = nullptr;
      capacity_ = 0;
      HT_RETURN_IF_ERROR(CudaStatus(cudaMalloc(&device_, bytes), what));
      HT_RETURN_IF_ERROR(CudaStatus(cudaMallocHost(&pinned_, bytes), what));
      capacity_ = bytes;
    }
    const size_t row_bytes = bytes / image.height;
    const int chunks =
        std::min(image.height, static_cast<int>(std::clamp<size_t>(bytes / kMinChunkBytes, 1, kMaxChunks)));
    for (int chunk = 0; chunk < chunks; ++chunk) {
      const int first_row = image.height * chunk / chunks, end_row = image.height * (chunk + 1) / chunks;
      ImageView rows = image;
      rows.data = image.data + static_cast<size_t>(first_row) * image.stride_bytes;
      rows.height = end_row - first_row;
      uint8_t* staged = static_cast<uint8_t*>(pinned_) + row_bytes * first_row;
      PackImageRows(rows, staged);
      const Status sent =
          CudaStatus(cudaMemcpyAsync(static_cast<uint8_t*>(device_) + row_bytes * first_row, staged,
                                     row_bytes * rows.height, cudaMemcpyHostToDevice, stream_),
                     what);
      if (!sent.ok()) {
        cudaStreamSynchronize(stream_);  // the copies already queued read the pinned rows
        return sent;
      }
    }
    const Status recorded = CudaStatus(cudaEventRecord(copied_, stream_), what);
    if (!recorded.ok()) {
      cudaStreamSynchronize(stream_);
      return recorded;
    }
    DeviceImage uploaded = PackedDeviceImage(image, static_cast<const uint8_t*>(device_));
    uploaded.copied_event = copied_;
    return uploaded;
  }

  // The decoder's picture is read where it is: in the runtime's primary context of its GPU,
  // which is where this uploader's segments run when the device is the same.
  Result<DeviceImage> UseGpuFrame(const GpuFrame& frame) override {
    HT_RETURN_IF_ERROR(frame.nv12().Validate());
    if (frame.cuda_device() != gpu_) {
      return UnsupportedError("failed to use a GPU frame: it is on CUDA device " +
                              std::to_string(frame.cuda_device()) + ", the models on " +
                              std::to_string(gpu_));
    }
    return Nv12DeviceImage(frame.nv12());
  }

 private:
  const int gpu_;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t copied_ = nullptr;  // recorded after the last image's copies
  void* device_ = nullptr;
  void* pinned_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace

Result<std::unique_ptr<ImageUploader>> CreateCudaImageUploader(int device) {
  HT_RETURN_IF_ERROR(UseCudaDevice(device, nullptr).WithPrefix("failed to create an image uploader"));
  auto uploader = std::make_unique<CudaImageUploader>(device);
  HT_RETURN_IF_ERROR(uploader->Init());
  return std::unique_ptr<ImageUploader>(std::move(uploader));
}

}  // namespace handtrack::backend::cuda
