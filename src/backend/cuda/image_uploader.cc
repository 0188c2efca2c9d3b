#include "backend/cuda/image_uploader.h"

#include <cuda_runtime.h>

#include <cstring>
#include <string>

#include "backend/cuda/cuda_device.h"
#include "backend/cuda/cuda_status.h"

namespace handtrack::backend::cuda {
namespace {

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
    cudaFree(device_);
    cudaFreeHost(pinned_);
  }

  Status Init() {
    return CudaStatus(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking),
                      "create a stream for uploading images");
  }

  // Rows are packed into pinned memory (one host copy, which also drops any row
  // padding), then sent in one asynchronous copy, which this call waits for: the
  // image is on the device before a segment's stream can read it.
  Result<DeviceImage> Upload(const ImageView& image) override {
    const std::string what = "upload a " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                             " image to the CUDA device";
    HT_RETURN_IF_ERROR(image.Validate().WithPrefix("failed to " + what));
    const int bytes_per_pixel = BytesPerPixel(image.format);
    const size_t row_bytes = static_cast<size_t>(image.width) * bytes_per_pixel;
    const size_t bytes = row_bytes * image.height;
    HT_RETURN_IF_ERROR(CudaStatus(cudaSetDevice(gpu_), what));
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
    auto* pinned = static_cast<uint8_t*>(pinned_);
    if (static_cast<size_t>(image.stride_bytes) == row_bytes) {
      std::memcpy(pinned, image.data, bytes);
    } else {
      for (int y = 0; y < image.height; ++y) {
        std::memcpy(pinned + y * row_bytes, image.data + static_cast<size_t>(y) * image.stride_bytes,
                    row_bytes);
      }
    }
    HT_RETURN_IF_ERROR(
        CudaStatus(cudaMemcpyAsync(device_, pinned_, bytes, cudaMemcpyHostToDevice, stream_), what));
    HT_RETURN_IF_ERROR(CudaStatus(cudaStreamSynchronize(stream_), what));
    DeviceImage device_image;
    device_image.pixels = static_cast<const uint8_t*>(device_);
    device_image.width = image.width;
    device_image.height = image.height;
    device_image.stride_bytes = static_cast<int64_t>(row_bytes);
    device_image.bytes_per_pixel = bytes_per_pixel;
    device_image.swap_red_blue = image.format == PixelFormat::kBGR || image.format == PixelFormat::kBGRA;
    return device_image;
  }

 private:
  const int gpu_;
  cudaStream_t stream_ = nullptr;
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
