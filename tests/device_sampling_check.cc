#include "device_sampling_check.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "backend/image_sampling.h"
#include "op_graph_builders.h"
#include "vision/image_to_tensor.h"

namespace handtrack::testing {

model::Graph SampledInputGraph(int frames, int size) {
  model::Graph g;
  g.name = "sampled_input";
  model::Tensor in, out;
  in.name = "image";
  in.shape = {frames, size, size, 3};
  out.name = "out";
  out.shape = in.shape;
  g.tensors = {in, out};
  model::Node node;
  node.op = model::OpType::kRelu;
  node.inputs = {0};
  node.outputs = {1};
  g.nodes.push_back(node);
  g.inputs = {0};
  g.outputs = {1};
  return g;
}

namespace {

// Random pixels, rows `padding` bytes longer than the pixels need.
struct TestImage {
  std::vector<uint8_t> bytes;
  ImageView view;
};
TestImage RandomImage(int width, int height, PixelFormat format, int padding, uint32_t seed) {
  TestImage image;
  const int stride = width * BytesPerPixel(format) + padding;
  image.bytes.resize(static_cast<size_t>(stride) * height);
  std::mt19937 rng(seed);
  for (uint8_t& b : image.bytes) b = static_cast<uint8_t>(rng() & 0xff);
  image.view = ImageView{image.bytes.data(), width, height, stride, format};
  return image;
}

// The device's floats against the host's, bit for bit, frame by frame (the first difference named).
void ExpectSameBitsPerFrame(const std::vector<float>& on_device, const std::vector<float>& from_host,
                            size_t frames, size_t frame_size, const char* what) {
  for (size_t f = 0; f < frames; ++f) {
    size_t differing = 0, first = 0;
    for (size_t i = f * frame_size; i < (f + 1) * frame_size; ++i) {
      if (std::memcmp(&on_device[i], &from_host[i], sizeof(float)) != 0 && differing++ == 0) first = i;
    }
    EXPECT_EQ(differing, 0u) << what << " " << f << ": " << differing << " values differ, first at "
                             << first - f * frame_size << ": " << on_device[first] << " vs "
                             << from_host[first];
  }
}

// One frame: the host image the CPU samples, the same image on the device (none: zeros are
// expected, as for an empty region), a region of it and the border rule.
struct CheckedFrame {
  ImageView host;
  const backend::DeviceImage* on_device = nullptr;
  vision::PixelRect roi;
  vision::BorderMode border = vision::BorderMode::kReplicate;
};

// The identity graph over `frames` frames of `size` x `size`, compiled on `device` first (a
// WebGPU device is acquired there, before any upload), then run once on the CPU samplers'
// floats and once sampling on the device (SampleBothWays); the two must be the same bits. The
// segment and samplings stay in the run for more runs.
struct SampledRun {
  model::Graph graph;
  std::unique_ptr<backend::CompiledSegment> segment;
  std::vector<backend::ImageSampling> samplings;
  Tensors from_host;
  size_t frame_size = 0;
};
void CompileSampledGraph(backend::Backend& device, const backend::BackendOptions& options, int frames,
                         int size, SampledRun* run) {
  run->graph = SampledInputGraph(frames, size);
  Result<std::unique_ptr<backend::CompiledSegment>> segment =
      device.Compile(run->graph, WholeGraph(run->graph), options);
  ASSERT_TRUE(segment.ok()) << segment.status().message();
  run->segment = std::move(segment).value();
  ASSERT_TRUE(run->segment->CanSampleInput(0));
  EXPECT_FALSE(run->segment->CanSampleInput(1)) << "an output is never sampled";
  run->frame_size = static_cast<size_t>(size) * size * 3;
}
void SampleBothWays(const std::vector<CheckedFrame>& frames, const char* what, SampledRun* run) {
  const int size = run->graph.tensors[0].shape[1];
  run->samplings.assign(frames.size(), {});
  Tensors host_input(1, std::vector<float>(run->graph.tensors[0].num_elements()));
  for (size_t f = 0; f < frames.size(); ++f) {
    const CheckedFrame& frame = frames[f];
    vision::WarpRectToTensor(frame.host, frame.roi, size, size, frame.border,
                             host_input[0].data() + f * run->frame_size);
    const std::optional<backend::SamplingGrid> grid = vision::PlanWarp(frame.roi, size, size);
    if (!grid.has_value()) continue;
    run->samplings[f].image = *frame.on_device;
    run->samplings[f].grid = *grid;
    run->samplings[f].replicate_border = frame.border == vision::BorderMode::kReplicate;
  }
  // The same segment, fed the CPU's floats and then sampling on the device: the same bits.
  HostBuffers host_buffers(run->graph, host_input);
  const Status host_run = run->segment->Run(host_buffers.tensors);
  ASSERT_TRUE(host_run.ok()) << host_run.message();
  run->from_host = host_buffers.Outputs(run->graph);
  HostBuffers buffers(run->graph, host_input);
  std::fill(buffers.storage[0].begin(), buffers.storage[0].end(), std::nanf(""));  // must not be read
  const Status sampled = run->segment->RunSampled(buffers.tensors, 0, run->samplings);
  ASSERT_TRUE(sampled.ok()) << sampled.message();
  const Tensors on_device = buffers.Outputs(run->graph);
  ASSERT_EQ(on_device.size(), 1u);
  ExpectSameBitsPerFrame(on_device[0], run->from_host[0], frames.size(), run->frame_size, what);
}

}  // namespace

void ExpectDeviceSamplingMatchesTheCpu(backend::Backend& device, const backend::BackendOptions& options) {
  SampledRun run;
  CompileSampledGraph(device, options, 6, 224, &run);
  if (::testing::Test::HasFatalFailure()) return;
  // Both go up in several copies of whole rows (CUDA: 4 and 2), the padded one's rows packed.
  const TestImage rgb = RandomImage(640, 480, PixelFormat::kRGB, 0, 1);
  const TestImage bgra = RandomImage(333, 257, PixelFormat::kBGRA, 12, 2);
  Result<std::unique_ptr<backend::ImageUploader>> uploader_rgb = device.CreateImageUploader();
  Result<std::unique_ptr<backend::ImageUploader>> uploader_bgra = device.CreateImageUploader();
  ASSERT_TRUE(uploader_rgb.ok() && *uploader_rgb != nullptr) << uploader_rgb.status().message();
  ASSERT_TRUE(uploader_bgra.ok() && *uploader_bgra != nullptr) << uploader_bgra.status().message();
  Result<backend::DeviceImage> on_device_rgb = (*uploader_rgb)->Upload(rgb.view);
  Result<backend::DeviceImage> on_device_bgra = (*uploader_bgra)->Upload(bgra.view);
  ASSERT_TRUE(on_device_rgb.ok()) << on_device_rgb.status().message();
  ASSERT_TRUE(on_device_bgra.ok()) << on_device_bgra.status().message();
  const backend::DeviceImage* const rgb_there = &*on_device_rgb;
  const backend::DeviceImage* const bgra_there = &*on_device_bgra;
  const std::vector<CheckedFrame> frames = {
      // The palm letterbox of the whole image (zero border), as LetterboxImage makes it.
      {rgb.view, rgb_there, {320, 240, 640, 640, 0}, vision::BorderMode::kZero},
      // Rotated hand crops, partly outside the image, both border rules.
      {rgb.view, rgb_there, {600, 30, 180, 180, 0.7f}, vision::BorderMode::kReplicate},
      {rgb.view, rgb_there, {100.3f, 400.6f, 250, 250, -2.1f}, vision::BorderMode::kZero},
      {bgra.view, bgra_there, {50, 40, 90, 90, 3.0f}, vision::BorderMode::kReplicate},
      {bgra.view, bgra_there, {10, 70, 40, 40, 1.2f}, vision::BorderMode::kZero},
      // An empty region: zeros, as the CPU sampler leaves them.
      {rgb.view, rgb_there, {320, 240, 0, 0, 0}, vision::BorderMode::kReplicate},
  };
  SampleBothWays(frames, "frame", &run);
  if (::testing::Test::HasFatalFailure()) return;
  // A second sampled run (replayed graph, new parameters) still matches.
  HostBuffers buffers(run.graph, Tensors(1, std::vector<float>(run.graph.tensors[0].num_elements())));
  std::swap(run.samplings[1], run.samplings[2]);
  ASSERT_TRUE(run.segment->RunSampled(buffers.tensors, 0, run.samplings).ok());
  const Tensors swapped = buffers.Outputs(run.graph);
  const size_t frame_size = run.frame_size;
  EXPECT_TRUE(std::equal(swapped[0].begin() + frame_size, swapped[0].begin() + 2 * frame_size,
                         run.from_host[0].begin() + 2 * frame_size));
}

namespace {

// Random NV12 planes (rows `padding` bytes longer than needed) and their RGB conversion.
struct TestNv12 {
  std::vector<uint8_t> luma, chroma, rgb;
  Nv12View view;
  ImageView rgb_view;
};
TestNv12 RandomNv12(int width, int height, int padding, YuvMatrix matrix, bool full_range, uint32_t seed,
                    const uint32_t* rgb_table = nullptr) {
  TestNv12 image;
  image.view.width = width;
  image.view.height = height;
  image.view.luma_stride_bytes = width + padding;
  image.view.chroma_stride_bytes = (width + 1) / 2 * 2 + padding;
  image.view.matrix = matrix;
  image.view.full_range = full_range;
  image.luma.resize(static_cast<size_t>(image.view.luma_stride_bytes) * height);
  image.chroma.resize(static_cast<size_t>(image.view.chroma_stride_bytes) * ((height + 1) / 2));
  std::mt19937 rng(seed);
  for (uint8_t& b : image.luma) b = static_cast<uint8_t>(rng() & 0xff);
  for (uint8_t& b : image.chroma) b = static_cast<uint8_t>(rng() & 0xff);
  image.view.luma = image.luma.data();
  image.view.chroma = image.chroma.data();
  image.view.rgb_table = rgb_table;
  image.rgb.resize(static_cast<size_t>(width) * height * 3);
  ConvertNv12ToRgb(image.view, image.rgb.data());
  image.rgb_view = ImageView::Packed(image.rgb.data(), width, height, PixelFormat::kRGB);
  return image;
}

}  // namespace

void ExpectNv12SamplingMatchesTheCpu(backend::Backend& device, const backend::BackendOptions& options,
                                     const Nv12ToDevice& to_device) {
  SampledRun run;
  CompileSampledGraph(device, options, 4, 64, &run);
  if (::testing::Test::HasFatalFailure()) return;
  const TestNv12 limited = RandomNv12(301, 203, 7, YuvMatrix::kBt601, false, 3);
  // A frame whose colours go through a table (VideoReader's GPU frames carry swscale's): here
  // random entries, so that any slip in the lookup shows.
  std::vector<uint32_t> table(size_t{1} << 24);
  std::mt19937 rng(6);
  for (uint32_t& entry : table) entry = rng() & 0xffffff;
  const TestNv12 full = RandomNv12(64, 48, 0, YuvMatrix::kBt709, true, 4, table.data());
  ASSERT_TRUE(limited.view.Validate().ok());
  Result<backend::DeviceImage> limited_on_device = to_device(limited.view);
  Result<backend::DeviceImage> full_on_device = to_device(full.view);
  ASSERT_TRUE(limited_on_device.ok()) << limited_on_device.status().message();
  ASSERT_TRUE(full_on_device.ok()) << full_on_device.status().message();
  const std::vector<CheckedFrame> frames = {
      {limited.rgb_view, &*limited_on_device, {150.5f, 101.5f, 301, 301, 0}, vision::BorderMode::kZero},
      {limited.rgb_view, &*limited_on_device, {280, 20, 90, 90, 0.7f}, vision::BorderMode::kReplicate},
      {limited.rgb_view, &*limited_on_device, {40.3f, 190.6f, 120, 120, -2.1f}, vision::BorderMode::kZero},
      {full.rgb_view, &*full_on_device, {32, 24, 50, 50, 1.2f}, vision::BorderMode::kReplicate},
  };
  SampleBothWays(frames, "NV12 frame", &run);
}

}  // namespace handtrack::testing
