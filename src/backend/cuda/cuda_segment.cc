#include "backend/cuda/cuda_segment.h"

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "backend/cuda/cuda_device.h"
#include "backend/cuda/cuda_status.h"
#include "backend/cuda/fusion.h"
#include "backend/cuda/segment_layout.h"
#include "backend/segment_check.h"
#include "base/cuda_capture_gate.h"

namespace handtrack::backend::cuda {
namespace {

// Owners of CUDA objects. Errors on release are ignored: nothing can be done
// about them, and a lost device releases everything anyway.
struct DeviceFree {
  void operator()(void* pointer) const { cudaFree(pointer); }
};
struct PinnedFree {
  void operator()(void* pointer) const { cudaFreeHost(pointer); }
};
struct StreamDestroy {
  void operator()(cudaStream_t stream) const { cudaStreamDestroy(stream); }
};
struct GraphDestroy {
  void operator()(cudaGraph_t graph) const { cudaGraphDestroy(graph); }
};
struct GraphExecDestroy {
  void operator()(cudaGraphExec_t exec) const { cudaGraphExecDestroy(exec); }
};
struct EventDestroy {
  void operator()(cudaEvent_t event) const { cudaEventDestroy(event); }
};
using DeviceMemory = std::unique_ptr<void, DeviceFree>;
using PinnedMemory = std::unique_ptr<void, PinnedFree>;
using Stream = std::unique_ptr<std::remove_pointer_t<cudaStream_t>, StreamDestroy>;
using Graph = std::unique_ptr<std::remove_pointer_t<cudaGraph_t>, GraphDestroy>;
using GraphExec = std::unique_ptr<std::remove_pointer_t<cudaGraphExec_t>, GraphExecDestroy>;
using Event = std::unique_ptr<std::remove_pointer_t<cudaEvent_t>, EventDestroy>;

Result<DeviceMemory> AllocateDevice(int64_t bytes, const std::string& what, bool inject_oom = false) {
  if (bytes == 0) return DeviceMemory();
  void* pointer = nullptr;
  const cudaError_t error = inject_oom ? cudaErrorMemoryAllocation : cudaMalloc(&pointer, bytes);
  const Status status =
      CudaStatus(error, "allocate " + std::to_string(bytes) + " bytes of device memory for " + what);
  if (!status.ok()) {
    if (inject_oom) {
      return Status(status.code(), status.message() + " (fault injected: cuda:oom)");
    }
    return status;
  }
  return DeviceMemory(pointer);
}

class CudaSegment final : public CompiledSegment {
 public:
  CudaSegment(const model::Graph& graph, std::string label, std::vector<Step> steps, SegmentLayout layout,
              const CudaSegmentOptions& options)
      : graph_(graph),
        label_(std::move(label)),
        steps_(std::move(steps)),
        layout_(std::move(layout)),
        half_(options.half),
        inject_oom_(options.inject_oom),
        device_sampling_(options.device_sampling),
        packed_io_(options.packed_io),
        upload_wait_on_stream_(options.upload_wait_on_stream),
        stream_priority_(options.stream_priority) {}

  // The members free their memory, stream and graphs on the segment's device: the
  // destroying thread may have another device current (engines on several GPUs share threads).
  ~CudaSegment() override {
    cudaSetDevice(device_.index);
    if (stream_ != nullptr) cudaStreamSynchronize(stream_.get());  // nothing may still use the memory
  }

  // Everything Compile does, in order; the segment is usable once it returns OK.
  Status Build(const DeviceInfo& device) {
    device_ = device;
    cudaGetLastError();  // a stale error of this thread must not be blamed on this segment
    HT_ASSIGN_OR_RETURN(weights_, AllocateDevice(layout_.weight_bytes, "the weights of " + label_));
    HT_ASSIGN_OR_RETURN(arena_,
                        AllocateDevice(layout_.arena_bytes, "the activations of " + label_, inject_oom_));
    // fp16: inputs and outputs pass through float32 device copies of the staging area, converted
    // from and to their __half tensors in the arena (whose float-sized slots hold them with room).
    if (half_) {
      HT_ASSIGN_OR_RETURN(device_staging_, AllocateDevice(layout_.staging_bytes,
                                                          "the float32 inputs and outputs of " + label_));
    }
    void* staging = nullptr;
    HT_RETURN_IF_ERROR(CudaStatus(cudaMallocHost(&staging, std::max<int64_t>(layout_.staging_bytes, 1)),
                                  "allocate " + std::to_string(layout_.staging_bytes) +
                                      " bytes of pinned host memory for the inputs and outputs of " +
                                      label_));
    staging_.reset(staging);
    cudaStream_t stream = nullptr;
    HT_RETURN_IF_ERROR(
        CudaStatus(cudaStreamCreateWithPriority(&stream, cudaStreamNonBlocking, stream_priority_),
                   "create a stream for " + label_));
    stream_.reset(stream);
    for (Event* event : {&kernels_start_, &kernels_end_, &run_start_, &run_end_}) {
      cudaEvent_t raw = nullptr;
      HT_RETURN_IF_ERROR(CudaStatus(cudaEventCreate(&raw), "create a timing event for " + label_));
      event->reset(raw);
    }
    HT_RETURN_IF_ERROR(UploadWeights());
    return Capture(device);
  }

  Status Run(const HostTensors& tensors) override { return Launch(tensors, exec_.get(), "the CUDA graph"); }

  // Float32 RGB inputs [N, H, W, 3] staged from the host can be sampled here instead.
  bool CanSampleInput(int tensor) const override {
    if (!device_sampling_ || FindStagedInput(tensor) == nullptr) return false;
    const model::Tensor& t = graph_.tensors[tensor];
    return t.type == model::DataType::kFloat32 && t.shape.size() == 4 && t.shape[3] == 3 && t.shape[0] >= 1;
  }

  // As Run, but `tensor` is sampled on the device by a graph that replaces its
  // copy with a parameter upload and the sampling kernel.
  Status RunSampled(const HostTensors& tensors, int tensor, std::span<const ImageSampling> frames) override {
    if (!CanSampleInput(tensor)) {
      return InvalidArgumentError("failed to run " + label_ + ": " + TensorLabel(graph_, tensor) +
                                  " cannot be sampled on the device");
    }
    const int batch = graph_.tensors[tensor].shape[0];
    if (static_cast<int>(frames.size()) != batch) {
      return InvalidArgumentError("failed to run " + label_ + ": " + std::to_string(frames.size()) +
                                  " sampled frame(s) for " + TensorLabel(graph_, tensor));
    }
    HT_RETURN_IF_ERROR(CudaStatus(cudaSetDevice(device_.index), "select the CUDA device for " + label_));
    if (sampled_exec_ == nullptr || sampled_tensor_ != tensor) {
      HT_RETURN_IF_ERROR(PrepareSampling(tensor, batch));
    }
    auto* params = static_cast<ImageSamplingParams*>(sampling_params_host_.get());
    for (int f = 0; f < batch; ++f) {
      const ImageSampling& frame = frames[f];
      ImageSamplingParams& p = params[f];
      p = ImageSamplingParams();
      if (frame.image.pixels == nullptr) continue;  // zeros
      p.pixels = frame.image.pixels;
      p.stride_bytes = frame.image.stride_bytes;
      p.width = frame.image.width;
      p.height = frame.image.height;
      p.bytes_per_pixel = frame.image.bytes_per_pixel;
      p.swap_red_blue = frame.image.swap_red_blue ? 1 : 0;
      p.chroma = frame.image.chroma;
      p.chroma_stride_bytes = frame.image.chroma_stride_bytes;
      p.yuv = frame.image.yuv;
      p.rgb_table = frame.image.rgb_table;
      p.replicate_border = frame.replicate_border ? 1 : 0;
      p.origin_x = frame.grid.origin_x;
      p.origin_y = frame.grid.origin_y;
      p.column_step_x = frame.grid.column_step_x;
      p.column_step_y = frame.grid.column_step_y;
      p.row_step_x = frame.grid.row_step_x;
      p.row_step_y = frame.grid.row_step_y;
      // An upload still in flight (ImageUploader::Upload): the graph samples after it.
      // The crops of one image, next to each other, share its event: one wait.
      if (frame.image.copied_event != nullptr &&
          (f == 0 || frames[f - 1].image.copied_event != frame.image.copied_event)) {
        HT_RETURN_IF_ERROR(WaitForUpload(static_cast<cudaEvent_t>(frame.image.copied_event)));
      }
    }
    return Launch(tensors, sampled_exec_.get(), "the sampling CUDA graph", tensor);
  }

  SegmentRunTimes run_times() const override { return times_; }

  // The pinned staging the graph copies the output into: used as the host buffer, it saves the
  // copy out of staging after each run (a palm run's outputs are 153 KB per frame).
  float* OutputHostBuffer(int tensor) const override {
    for (const StagedTensor& staged : layout_.outputs) {
      if (staged.tensor == tensor) return Staging(staged);
    }
    return nullptr;
  }

  // Events around `replays` launches of the kernels-only graph, on the
  // segment's stream (events recorded inside a graph cannot be timed).
  Result<double> TimeKernelReplays(int replays) override {
    const std::string action = "time the kernels of " + label_;
    HT_RETURN_IF_ERROR(CudaStatus(cudaSetDevice(device_.index), action));
    if (kernels_exec_ == nullptr) {  // captured on first use: Run never needs it
      HT_ASSIGN_OR_RETURN(kernels_exec_, CaptureGraph([&] { return EnqueueSteps(device_); }));
    }
    HT_RETURN_IF_ERROR(CudaStatus(cudaEventRecord(kernels_start_.get(), stream_.get()), action));
    for (int i = 0; i < replays; ++i) {
      HT_RETURN_IF_ERROR(CudaStatus(cudaGraphLaunch(kernels_exec_.get(), stream_.get()), action));
    }
    HT_RETURN_IF_ERROR(CudaStatus(cudaEventRecord(kernels_end_.get(), stream_.get()), action));
    HT_RETURN_IF_ERROR(CudaStatus(cudaEventSynchronize(kernels_end_.get()), action));
    float total_ms = 0.0f;
    HT_RETURN_IF_ERROR(
        CudaStatus(cudaEventElapsedTime(&total_ms, kernels_start_.get(), kernels_end_.get()), action));
    return static_cast<double>(total_ms) / std::max(replays, 1);
  }

 private:
  float* Arena(int64_t offset) const {
    return reinterpret_cast<float*>(static_cast<char*>(arena_.get()) + offset);
  }
  float* Staging(const StagedTensor& staged) const {
    return reinterpret_cast<float*>(static_cast<char*>(staging_.get()) + staged.staging_offset);
  }
  float* DeviceStaging(const StagedTensor& staged) const {
    return reinterpret_cast<float*>(static_cast<char*>(device_staging_.get()) + staged.staging_offset);
  }

  // Stages the host inputs (all but `sampled_tensor`, which the graph samples itself),
  // launches `exec`, waits, and copies the outputs back: what Run and RunSampled share.
  Status Launch(const HostTensors& tensors, cudaGraphExec_t exec, const char* what, int sampled_tensor = -1) {
    using Clock = std::chrono::steady_clock;
    const auto seconds = [](Clock::time_point from, Clock::time_point to) {
      return std::chrono::duration<double>(to - from).count();
    };
    const Clock::time_point start = Clock::now();
    for (const StagedTensor& staged : layout_.inputs) {
      if (staged.tensor == sampled_tensor) continue;
      HT_ASSIGN_OR_RETURN(float* source, HostBuffer(tensors, staged.tensor));
      std::memcpy(Staging(staged), source, staged.bytes);
    }
    for (const StagedTensor& staged : layout_.outputs) {
      HT_RETURN_IF_ERROR(HostBuffer(tensors, staged.tensor).status());
    }
    HT_RETURN_IF_ERROR(CudaStatus(cudaSetDevice(device_.index), "select the CUDA device for " + label_));
    const std::string action = std::string("launch ") + what + " of " + label_;
    const Clock::time_point launch = Clock::now();
    HT_RETURN_IF_ERROR(CudaStatus(cudaEventRecord(run_start_.get(), stream_.get()), action));
    HT_RETURN_IF_ERROR(CudaStatus(cudaGraphLaunch(exec, stream_.get()), action));
    HT_RETURN_IF_ERROR(CudaStatus(cudaEventRecord(run_end_.get(), stream_.get()), action));
    const Clock::time_point launched = Clock::now();
    // Kernel faults surface here, without the node that caused them.
    HT_RETURN_IF_ERROR(CudaStatus(cudaStreamSynchronize(stream_.get()), "run " + label_));
    const Clock::time_point done = Clock::now();
    float run_ms = 0.0f;
    if (cudaEventElapsedTime(&run_ms, run_start_.get(), run_end_.get()) == cudaSuccess)
      times_.device_seconds += run_ms * 1e-3;
    for (const StagedTensor& staged : layout_.outputs) {
      // A host buffer that is the staging itself (OutputHostBuffer) already holds the output.
      if (tensors.data[staged.tensor] != Staging(staged))
        std::memcpy(tensors.data[staged.tensor], Staging(staged), staged.bytes);
    }
    times_.copy_seconds += seconds(start, launch) + seconds(done, Clock::now());
    times_.launch_seconds += seconds(launch, launched);
    times_.wait_seconds += seconds(launched, done);
    return Status::Ok();
  }

  // The stream, or with upload_wait_on_stream_ off the host, waits for `copied`.
  Status WaitForUpload(cudaEvent_t copied) {
    const std::string action = "wait for an image's upload before running " + label_;
    if (upload_wait_on_stream_) return CudaStatus(cudaStreamWaitEvent(stream_.get(), copied, 0), action);
    return CudaStatus(cudaEventSynchronize(copied), action);
  }

  const StagedTensor* FindStagedInput(int tensor) const {
    for (const StagedTensor& staged : layout_.inputs) {
      if (staged.tensor == tensor) return &staged;
    }
    return nullptr;
  }

  // First sampled run: the parameter buffers (pinned and device, one entry per
  // frame) and the graph that samples `tensor` instead of copying it.
  Status PrepareSampling(int tensor, int batch) {
    const int64_t bytes = static_cast<int64_t>(batch) * sizeof(ImageSamplingParams);
    if (sampling_params_host_ == nullptr) {
      void* pinned = nullptr;
      HT_RETURN_IF_ERROR(CudaStatus(cudaMallocHost(&pinned, bytes),
                                    "allocate pinned host memory for the sampling parameters of " + label_));
      sampling_params_host_.reset(pinned);
      HT_ASSIGN_OR_RETURN(sampling_params_device_,
                          AllocateDevice(bytes, "the sampling parameters of " + label_));
    }
    sampled_tensor_ = tensor;
    HT_ASSIGN_OR_RETURN(sampled_exec_, CaptureGraph([&] { return EnqueueAll(device_, tensor); }));
    return Status::Ok();
  }

  Result<float*> HostBuffer(const HostTensors& tensors, int tensor) const {
    float* data = tensor < static_cast<int>(tensors.data.size()) ? tensors.data[tensor] : nullptr;
    if (data == nullptr) {
      return InvalidArgumentError("failed to run " + label_ + ": " + TensorLabel(graph_, tensor) +
                                  " has no host buffer");
    }
    return data;
  }

  // The device data a node reads for `tensor`: weights, the arena, or none
  // (int32 operands, absent optional inputs).
  const float* DeviceData(int tensor) const {
    if (tensor < 0) return nullptr;
    if (layout_.weight_offsets[tensor] >= 0) {
      return reinterpret_cast<const float*>(static_cast<const char*>(weights_.get()) +
                                            layout_.weight_offsets[tensor]);
    }
    if (layout_.arena_offsets[tensor] >= 0) return Arena(layout_.arena_offsets[tensor]);
    return nullptr;
  }

  // Weights are packed on the host and sent in one copy on the segment's own
  // stream (the legacy default stream would synchronize with other threads).
  Status UploadWeights() {
    if (layout_.weight_bytes == 0) return Status::Ok();
    std::vector<char> packed(layout_.weight_bytes);
    for (size_t tensor = 0; tensor < graph_.tensors.size(); ++tensor) {
      if (layout_.weight_offsets[tensor] < 0) continue;
      const std::vector<float>& data = graph_.tensors[tensor].f32;
      char* destination = packed.data() + layout_.weight_offsets[tensor];
      if (half_) {
        // Converted once, here: round to nearest (the .tflite weights are fp16 values already).
        for (size_t i = 0; i < data.size(); ++i) {
          const __half value = __float2half_rn(data[i]);
          std::memcpy(destination + i * sizeof(__half), &value, sizeof(__half));
        }
      } else {
        std::memcpy(destination, data.data(), data.size() * sizeof(float));
      }
    }
    const std::string action =
        "upload " + std::to_string(layout_.weight_bytes) + " bytes of weights of " + label_;
    HT_RETURN_IF_ERROR(CudaStatus(
        cudaMemcpyAsync(weights_.get(), packed.data(), packed.size(), cudaMemcpyHostToDevice, stream_.get()),
        action));
    return CudaStatus(cudaStreamSynchronize(stream_.get()), action);
  }

  // Records copies in, every step's kernels and copies out. Only this
  // thread's calls are captured (ThreadLocal), so other threads may use CUDA
  // meanwhile.
  Status Capture(const DeviceInfo& device) {
    device_ = device;
    HT_ASSIGN_OR_RETURN(exec_, CaptureGraph([&] { return EnqueueAll(device); }));
    return Status::Ok();
  }

  template <typename Enqueue>
  Result<GraphExec> CaptureGraph(Enqueue&& enqueue) {
    cudaGraph_t raw_graph = nullptr;
    Status enqueued = Status::Ok();
    cudaError_t ended = cudaSuccess;
    {
      // No NVDEC call in this context meanwhile: one that synchronises it would invalidate
      // the capture (base/cuda_capture_gate.h).
      const ScopedCudaCapture capture;
      HT_RETURN_IF_ERROR(CudaStatus(cudaStreamBeginCapture(stream_.get(), cudaStreamCaptureModeThreadLocal),
                                    "begin capturing " + label_));
      enqueued = enqueue();
      ended = cudaStreamEndCapture(stream_.get(), &raw_graph);
    }
    const Graph graph(raw_graph);
    HT_RETURN_IF_ERROR(enqueued);
    HT_RETURN_IF_ERROR(CudaStatus(ended, "capture " + label_ + " as a CUDA graph"));
    cudaGraphExec_t raw_exec = nullptr;
    HT_RETURN_IF_ERROR(CudaStatus(cudaGraphInstantiate(&raw_exec, graph.get(), 0),
                                  "instantiate the CUDA graph of " + label_));
    GraphExec exec(raw_exec);
    // Uploads the graph's work descriptors now, so the first launch is not slower.
    HT_RETURN_IF_ERROR(
        CudaStatus(cudaGraphUpload(exec.get(), stream_.get()), "upload the CUDA graph of " + label_));
    return exec;
  }

  // `sampled_tensor` (>= 0): that input is sampled from images (RunSampled) instead of copied in.
  Status EnqueueAll(const DeviceInfo& device, int sampled_tensor = -1) {
    for (const StagedTensor& staged : layout_.inputs) {
      float* tensor = Arena(layout_.arena_offsets[staged.tensor]);
      float* device_input = half_ ? DeviceStaging(staged) : tensor;
      if (staged.tensor == sampled_tensor) {
        const std::vector<int>& shape = graph_.tensors[sampled_tensor].shape;
        const std::string action = "sample " + TensorLabel(graph_, staged.tensor) + " of " + label_;
        HT_RETURN_IF_ERROR(CudaStatus(
            cudaMemcpyAsync(sampling_params_device_.get(), sampling_params_host_.get(),
                            shape[0] * sizeof(ImageSamplingParams), cudaMemcpyHostToDevice, stream_.get()),
            action));
        // Packed: straight into the __half tensor, so no conversion follows.
        const bool into_half = half_ && packed_io_;
        HT_RETURN_IF_ERROR(CudaStatus(
            EnqueueImageSampling(static_cast<const ImageSamplingParams*>(sampling_params_device_.get()),
                                 shape[0], shape[2], shape[1], into_half ? tensor : device_input,
                                 stream_.get(), into_half),
            action));
        if (into_half) continue;
      } else {
        const std::string action = "copy " + TensorLabel(graph_, staged.tensor) + " into " + label_;
        HT_RETURN_IF_ERROR(CudaStatus(cudaMemcpyAsync(device_input, Staging(staged), staged.bytes,
                                                      cudaMemcpyHostToDevice, stream_.get()),
                                      action));
      }
      const std::string action = "convert " + TensorLabel(graph_, staged.tensor) + " of " + label_;
      if (half_) {
        HT_RETURN_IF_ERROR(CudaStatus(
            EnqueueFloatToHalf(DeviceStaging(staged), tensor, staged.bytes / sizeof(float), stream_.get()),
            action));
      }
    }
    HT_RETURN_IF_ERROR(EnqueueSteps(device));
    if (half_ && packed_io_ && !layout_.outputs.empty() &&
        layout_.outputs.size() <= static_cast<size_t>(kMaxHalfToFloatCopies)) {
      return EnqueuePackedOutputs();
    }
    for (const StagedTensor& staged : layout_.outputs) {
      const float* tensor = Arena(layout_.arena_offsets[staged.tensor]);
      const std::string action = "copy " + TensorLabel(graph_, staged.tensor) + " out of " + label_;
      if (half_) {
        HT_RETURN_IF_ERROR(CudaStatus(
            EnqueueHalfToFloat(tensor, DeviceStaging(staged), staged.bytes / sizeof(float), stream_.get()),
            action));
      }
      HT_RETURN_IF_ERROR(CudaStatus(cudaMemcpyAsync(Staging(staged), half_ ? DeviceStaging(staged) : tensor,
                                                    staged.bytes, cudaMemcpyDeviceToHost, stream_.get()),
                                    action));
    }
    return Status::Ok();
  }

  // fp16 outputs: one kernel converts them all into the device staging, whose outputs lie in
  // one range (PlanSegmentLayout stages them back to back, in order), and one copy brings that
  // range back. The gaps between them are each output's slack, which holds no data.
  Status EnqueuePackedOutputs() {
    std::vector<HalfToFloatCopy> copies;
    for (const StagedTensor& staged : layout_.outputs) {
      copies.push_back({Arena(layout_.arena_offsets[staged.tensor]), DeviceStaging(staged),
                        staged.bytes / static_cast<int64_t>(sizeof(float))});
    }
    const std::string action = "copy the outputs out of " + label_;
    HT_RETURN_IF_ERROR(CudaStatus(EnqueueHalfToFloatCopies(copies, stream_.get()), action));
    const StagedTensor& first = layout_.outputs.front();
    const StagedTensor& last = layout_.outputs.back();
    const int64_t bytes = last.staging_offset + last.bytes - first.staging_offset;
    return CudaStatus(
        cudaMemcpyAsync(Staging(first), DeviceStaging(first), bytes, cudaMemcpyDeviceToHost, stream_.get()),
        action);
  }

  // Every step's kernels, between the input and output copies.
  Status EnqueueSteps(const DeviceInfo& device) {
    std::vector<const float*> inputs;
    for (size_t index = 0; index < steps_.size(); ++index) {
      const Step& step = steps_[index];
      const model::Node& node = graph_.nodes[step.node];
      inputs.clear();
      for (int tensor : node.inputs) inputs.push_back(DeviceData(tensor));
      Epilogue epilogue;
      if (step.add >= 0) {
        epilogue.residual_activation = graph_.nodes[step.add].params.activation;
        if (step.residual_pool >= 0) {
          const std::vector<int>& out = graph_.tensors[step.output].shape;
          epilogue.pooled_input = DeviceData(step.add_residual);
          epilogue.pooled_channels = graph_.tensors[step.add_residual].shape[3];
          epilogue.out_h = out[1];
          epilogue.out_w = out[2];
          epilogue.out_c = out[3];
        } else {
          epilogue.residual = DeviceData(step.add_residual);
        }
      }
      if (step.prelu >= 0) epilogue.prelu_alpha = DeviceData(graph_.nodes[step.prelu].inputs[1]);
      const int64_t scratch = layout_.scratch_offsets[index];
      const OpLaunch launch{graph_,   node,
                            inputs,   Arena(layout_.arena_offsets[step.output]),
                            epilogue, scratch >= 0 ? Arena(scratch) : nullptr,
                            device,   stream_.get(),
                            half_};
      HT_RETURN_IF_ERROR(
          CudaStatus(FindOp(node.op)->enqueue(launch), "enqueue " + StepLabel(step) + " of " + label_));
    }
    return Status::Ok();
  }

  // "CONV_2D #3 + ADD #4 + PRELU #5"
  std::string StepLabel(const Step& step) const {
    std::string label;
    for (int node : StepNodes(step)) label += (label.empty() ? "" : " + ") + model::NodeLabel(graph_, node);
    return label;
  }

  const model::Graph& graph_;
  const std::string label_;
  const std::vector<Step> steps_;
  const SegmentLayout layout_;
  const bool half_;
  const bool inject_oom_;
  const bool device_sampling_;
  const bool packed_io_;
  const bool upload_wait_on_stream_;
  const int stream_priority_;
  // Released bottom-up: the graph before the stream it runs on, both before
  // the memory they use.
  DeviceMemory weights_;
  DeviceMemory arena_;
  DeviceMemory device_staging_;  // fp16 only
  PinnedMemory staging_;
  PinnedMemory sampling_params_host_;  // RunSampled's parameters, one entry per frame
  DeviceMemory sampling_params_device_;
  Stream stream_;
  Event kernels_start_;  // around TimeKernelReplays' launches
  Event kernels_end_;
  Event run_start_;  // around each run's graph launch, for run_times().device_seconds
  Event run_end_;
  SegmentRunTimes times_;   // summed over the runs (run_times())
  GraphExec exec_;          // copies in, kernels, copies out: what Run launches
  GraphExec kernels_exec_;  // the kernels alone, for TimeKernelReplays
  GraphExec sampled_exec_;  // as exec_, sampling sampled_tensor_ instead of copying it
  int sampled_tensor_ = -1;
  DeviceInfo device_;
};

}  // namespace

Result<std::unique_ptr<CompiledSegment>> CompileCudaSegment(const model::Graph& graph,
                                                            const SegmentSpec& spec, const DeviceInfo& device,
                                                            const std::string& label,
                                                            const CudaSegmentOptions& options) {
  std::vector<Step> steps = PlanSteps(graph, spec, options.fuse, TakesEpilogue, options.fusion_moves_to_add,
                                      options.fusion_pooled_residual);
  std::vector<int64_t> scratch_bytes;
  for (const Step& step : steps) {
    const model::Node& node = graph.nodes[step.node];
    const OpEntry* entry = FindOp(node.op);
    scratch_bytes.push_back(entry->scratch_bytes != nullptr ? entry->scratch_bytes(graph, node, device) : 0);
  }
  SegmentLayout layout = PlanSegmentLayout(graph, spec, steps, scratch_bytes);
  auto segment = std::make_unique<CudaSegment>(graph, label, std::move(steps), std::move(layout), options);
  HT_RETURN_IF_ERROR(segment->Build(device));
  return std::unique_ptr<CompiledSegment>(std::move(segment));
}

}  // namespace handtrack::backend::cuda
