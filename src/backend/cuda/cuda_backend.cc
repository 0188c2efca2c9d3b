#include "backend/cuda/cuda_backend.h"

#include <cuda_runtime.h>

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>

#include "backend/cuda/cuda_device.h"
#include "backend/cuda/cuda_segment.h"
#include "backend/cuda/cuda_status.h"
#include "backend/cuda/gemm.h"
#include "backend/cuda/image_uploader.h"
#include "backend/cuda/ops.h"
#include "backend/segment_check.h"
#include "model/tflite_reader.h"

namespace handtrack::backend {
namespace {

// Kernel switches (BackendOptions::settings), "1" (default) or "0", to compare
// timings or rule a kernel family out when hunting a numerical difference.
constexpr char kFusionSetting[] = "cuda.fusion";  // ADD/PRELU folded into the kernel before
// A node whose output only a later ADD reads runs just before it, so that the ADD folds in (fusion.h).
constexpr char kFusionMovesToAddSetting[] = "cuda.fusion_moves_to_add";
// An ADD's operand computed by MAX_POOL (2x2) -> PAD folds into the ADD's step (fusion.h).
constexpr char kFusionPooledResidualSetting[] = "cuda.fusion_pooled_residual";
constexpr char kTensorCoresSetting[] = "cuda.tensor_cores";  // fp16 GEMMs on the tensor cores
// Small fp16 GEMMs (64-row tiles, split over K) on the tensor cores too.
constexpr char kSmallTensorCoresSetting[] = "cuda.small_tensor_cores";
// fp16 inputs sampled straight into half precision, outputs converted and copied out at once
// (CudaSegmentOptions::packed_io); "0": a conversion kernel and a copy per output.
constexpr char kPackedIoSetting[] = "cuda.packed_io";
constexpr char kPreprocessSetting[] = "cuda.preprocess";  // model inputs sampled from images here
// Depthwise layers on the row-tiled kernel from 128 threads per multiprocessor, "0": from 1024 (ops.h).
constexpr char kSmallDepthwiseRowTilesSetting[] = "cuda.small_depthwise_row_tiles";
// Depthwise and first layers on kernels with compile-time taps, "0": the generic ones (ops.h).
constexpr char kUnrolledTapsSetting[] = "cuda.unrolled_taps";
// fp16 depthwise layers sum each filter row in half precision, "0": every tap in float (ops.h).
constexpr char kHalfRowSumsSetting[] = "cuda.half_row_sums";
// The least K of one split of a product split over K (DeviceInfo::split_min_k), a positive integer.
constexpr char kSplitMinKSetting[] = "cuda.split_min_k";
// The blocks per multiprocessor a split product aims for (DeviceInfo::split_blocks_per_multiprocessor).
constexpr char kSplitBlocksSetting[] = "cuda.split_blocks_per_sm";
// Groups of warps one block of a split fp16 product splits K between (DeviceInfo::k_groups):
// 1, 2, 4 or 8.
constexpr char kKGroupsSetting[] = "cuda.k_groups";
// Products of at most 16 rows on one warp per output, "0": on the tiled GEMMs (ops.h).
constexpr char kWarpProductsSetting[] = "cuda.warp_products";
// How a host thread waits for the GPU (cudaSetDeviceFlags, for the whole process and
// device): "auto" (CUDA's default: spin while the process has no more CUDA contexts than
// the machine has cores, else yield), "spin", "yield" or "blocking" (sleep on a primitive).
// Spinning answers soonest but holds a core per waiting thread; many sessions on one GPU
// wait in many threads at once.
constexpr char kSyncSetting[] = "cuda.sync";
// Who waits for an image's upload before a segment samples it (CudaSegmentOptions::
// upload_wait_on_stream): "host" (the default: the launching thread) or "stream" (the
// segment's stream, so that the graph is launched while the pixels are still going up).
constexpr char kUploadWaitSetting[] = "cuda.upload_wait";
// Runs of priority kHigh (BackendOptions::priority) on streams of the device's greatest
// priority, so that the block scheduler starts their kernels before those of normal runs
// waiting at the same time; "0": every stream at the default priority.
constexpr char kStreamPrioritiesSetting[] = "cuda.stream_priorities";

// The flags the setting asks for; nullopt when it is not given (the application's stay).
Result<std::optional<unsigned>> SyncFlags(const BackendSettings& settings) {
  const auto found = settings.find(kSyncSetting);
  if (found == settings.end()) return std::optional<unsigned>();
  if (found->second == "auto") return std::optional<unsigned>(cudaDeviceScheduleAuto);
  if (found->second == "spin") return std::optional<unsigned>(cudaDeviceScheduleSpin);
  if (found->second == "yield") return std::optional<unsigned>(cudaDeviceScheduleYield);
  if (found->second == "blocking") return std::optional<unsigned>(cudaDeviceScheduleBlockingSync);
  return InvalidArgumentError(std::string("failed to apply backend setting ") + kSyncSetting +
                              ": expected auto, spin, yield or blocking, got '" + found->second + "'");
}

// cuda.upload_wait: whether the segment's stream (rather than the host) waits for uploads.
Result<bool> UploadWaitOnStream(const BackendSettings& settings) {
  const auto found = settings.find(kUploadWaitSetting);
  if (found == settings.end() || found->second == "host") return false;
  if (found->second == "stream") return true;
  return InvalidArgumentError(std::string("failed to apply backend setting ") + kUploadWaitSetting +
                              ": expected host or stream, got '" + found->second + "'");
}

// cuda.k_groups: 1, 2, 4 or 8 (the kernels are built for those); 4 when it is not given.
Result<int> KGroupsSetting(const BackendSettings& settings) {
  const auto found = settings.find(kKGroupsSetting);
  if (found == settings.end()) return cuda::DeviceInfo{}.k_groups;
  for (int groups : {1, 2, 4, 8}) {
    if (found->second == std::to_string(groups)) return groups;
  }
  return InvalidArgumentError(std::string("failed to apply backend setting ") + kKGroupsSetting +
                              ": expected 1, 2, 4 or 8, got '" + found->second + "'");
}

// "1" or "0"; on when it is not given (every switch's default is on).
Result<bool> SwitchSetting(const BackendSettings& settings, const char* key) {
  const auto found = settings.find(key);
  if (found == settings.end() || found->second == "1") return true;
  if (found->second == "0") return false;
  return InvalidArgumentError("failed to apply backend setting " + std::string(key) +
                              ": expected 0 or 1, got '" + found->second + "'");
}

// The priority of the streams of a segment compiled with `priority`.
Result<int> StreamPriority(const BackendSettings& settings, RunPriority priority) {
  HT_ASSIGN_OR_RETURN(const bool honoured, SwitchSetting(settings, kStreamPrioritiesSetting));
  if (!honoured || priority != RunPriority::kHigh) return 0;
  int least = 0, greatest = 0;
  HT_RETURN_IF_ERROR(cuda::CudaStatus(cudaDeviceGetStreamPriorityRange(&least, &greatest),
                                      "read the device's stream priorities"));
  return greatest;
}

// A positive integer setting of at most `largest`; `fallback` when it is not given.
Result<int> PositiveSetting(const BackendSettings& settings, const char* key, int fallback, int largest) {
  const auto found = settings.find(key);
  if (found == settings.end()) return fallback;
  const std::string& text = found->second;
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 1 || value > largest) {
    return InvalidArgumentError("failed to apply backend setting " + std::string(key) +
                                ": expected an integer from 1 to " + std::to_string(largest) + ", got '" +
                                text + "'");
  }
  return value;
}

class CudaBackend final : public Backend {
 public:
  const char* name() const override { return "cuda"; }

  Status Availability() const override { return cuda::UseCudaDevice(device_, nullptr); }

  void SelectDevice(int device) override { device_ = device; }

  std::vector<GpuInfo> ListDevices(bool probe, std::string* why_none) const override {
    return cuda::ListCudaDevices(probe, why_none);
  }

  // Every node the model reader accepts (whose shapes kernels then index
  // without checks), minus what an op's own check refuses.
  Status Supports(const model::Graph& graph, int node_index) const override {
    if (node_index < 0 || node_index >= static_cast<int>(graph.nodes.size())) {
      return InvalidArgumentError("failed to check node #" + std::to_string(node_index) + ": out of range");
    }
    const model::Node& node = graph.nodes[node_index];
    const std::string label = model::NodeLabel(graph, node_index);
    const int num_tensors = static_cast<int>(graph.tensors.size());
    for (const std::vector<int>* list : {&node.inputs, &node.outputs}) {
      for (int tensor : *list) {
        if (tensor < -1 || tensor >= num_tensors || (tensor == -1 && list == &node.outputs)) {
          return InvalidArgumentError("failed to check " + label + ": tensor #" + std::to_string(tensor) +
                                      " is out of range");
        }
      }
    }
    if (const Status valid = model::ValidateNode(graph, node_index); !valid.ok()) {
      return UnsupportedError(label + " is not a node the model reader accepts (" + valid.message() + ")");
    }
    for (const std::vector<int>* list : {&node.inputs, &node.outputs}) {
      for (int tensor : *list) {
        if (tensor >= 0 && graph.tensors[tensor].num_elements() > cuda::kMaxTensorElements) {
          return UnsupportedError(label + " with " + TensorLabel(graph, tensor) +
                                  " of more than 2^30 elements");
        }
      }
    }
    const cuda::OpEntry* entry = cuda::FindOp(node.op);
    if (entry == nullptr) return UnsupportedError(label + ": no CUDA kernel for this op type");
    if (entry->supports == nullptr) return Status::Ok();
    const Status supported = entry->supports(graph, node);
    return supported.ok() ? supported : UnsupportedError(label + ": " + supported.message());
  }

  bool HonoursPrecision(Precision) const override { return true; }
  // As MediaPipe's GPU delegate, whose allow_precision_loss defaults to true: half-precision
  // storage meets the agreement bounds on the shared photos and videos, and 16 sessions ran
  // 8301 frames/s against 5959 in fp32 on an H100 (docs/CUDA.md, session 50).
  Precision PreferredPrecision() const override { return Precision::kFp16; }

  MemorySpace memory_space() const override { return MemorySpace::kDevice; }
  bool OverlapsRuns() const override { return true; }

  std::vector<std::string> SettingKeys() const override {
    return {kFusionSetting,
            kTensorCoresSetting,
            kSmallTensorCoresSetting,
            kPreprocessSetting,
            kSyncSetting,
            kStreamPrioritiesSetting,
            kSmallDepthwiseRowTilesSetting,
            kUnrolledTapsSetting,
            kHalfRowSumsSetting,
            kSplitMinKSetting,
            kSplitBlocksSetting,
            kWarpProductsSetting,
            kFusionMovesToAddSetting,
            kFusionPooledResidualSetting,
            kKGroupsSetting,
            kPackedIoSetting,
            kUploadWaitSetting};
  }

  Result<std::unique_ptr<ImageUploader>> CreateImageUploader() override {
    return cuda::CreateCudaImageUploader(device_);
  }

  // options.num_threads is for CPU backends; the GPU needs no host threads.
  Result<std::unique_ptr<CompiledSegment>> Compile(const model::Graph& graph, const SegmentSpec& spec,
                                                   const BackendOptions& options) override {
    cuda::DeviceInfo device;
    HT_RETURN_IF_ERROR(cuda::UseCudaDevice(device_, &device));
    const std::string label = SegmentLabel(graph, spec, "CUDA");
    HT_RETURN_IF_ERROR(CheckSegmentSpec(graph, spec, label));
    cuda::CudaSegmentOptions segment_options;
    segment_options.half = options.precision == Precision::kFp16;
    segment_options.inject_oom = options.faults.Has(name(), "oom");
    HT_ASSIGN_OR_RETURN(segment_options.fuse, SwitchSetting(options.settings, kFusionSetting));
    HT_ASSIGN_OR_RETURN(segment_options.fusion_moves_to_add,
                        SwitchSetting(options.settings, kFusionMovesToAddSetting));
    HT_ASSIGN_OR_RETURN(segment_options.fusion_pooled_residual,
                        SwitchSetting(options.settings, kFusionPooledResidualSetting));
    HT_ASSIGN_OR_RETURN(device.tensor_cores, SwitchSetting(options.settings, kTensorCoresSetting));
    HT_ASSIGN_OR_RETURN(device.small_tensor_cores, SwitchSetting(options.settings, kSmallTensorCoresSetting));
    HT_ASSIGN_OR_RETURN(device.small_depthwise_row_tiles,
                        SwitchSetting(options.settings, kSmallDepthwiseRowTilesSetting));
    HT_ASSIGN_OR_RETURN(device.unrolled_taps, SwitchSetting(options.settings, kUnrolledTapsSetting));
    HT_ASSIGN_OR_RETURN(device.half_row_sums, SwitchSetting(options.settings, kHalfRowSumsSetting));
    HT_ASSIGN_OR_RETURN(device.warp_products, SwitchSetting(options.settings, kWarpProductsSetting));
    HT_ASSIGN_OR_RETURN(device.split_min_k,
                        PositiveSetting(options.settings, kSplitMinKSetting, device.split_min_k, 1 << 20));
    HT_ASSIGN_OR_RETURN(
        device.split_blocks_per_multiprocessor,
        PositiveSetting(options.settings, kSplitBlocksSetting, device.split_blocks_per_multiprocessor, 64));
    HT_ASSIGN_OR_RETURN(device.k_groups, KGroupsSetting(options.settings));
    HT_ASSIGN_OR_RETURN(segment_options.device_sampling, SwitchSetting(options.settings, kPreprocessSetting));
    HT_ASSIGN_OR_RETURN(segment_options.packed_io, SwitchSetting(options.settings, kPackedIoSetting));
    HT_ASSIGN_OR_RETURN(segment_options.upload_wait_on_stream, UploadWaitOnStream(options.settings));
    HT_ASSIGN_OR_RETURN(segment_options.stream_priority, StreamPriority(options.settings, options.priority));
    HT_ASSIGN_OR_RETURN(const std::optional<unsigned> sync_flags, SyncFlags(options.settings));
    if (sync_flags.has_value()) {
      HT_RETURN_IF_ERROR(cuda::CudaStatus(cudaSetDeviceFlags(*sync_flags),
                                          "apply backend setting " + std::string(kSyncSetting)));
    }
    for (int node_index : spec.nodes) {
      if (const Status supported = Supports(graph, node_index); !supported.ok()) {
        return supported.WithPrefix("failed to compile " + label);
      }
    }
    HT_RETURN_IF_ERROR(
        cuda::CudaStatus(cuda::PrepareTensorCoreGemm(device), "prepare " + label + "'s GEMM kernels"));
    return cuda::CompileCudaSegment(graph, spec, device, label, segment_options);
  }

 private:
  int device_ = 0;  // SelectDevice; every segment and uploader of this backend lives there
};

}  // namespace

std::unique_ptr<Backend> CreateCudaBackend() { return std::make_unique<CudaBackend>(); }

}  // namespace handtrack::backend
