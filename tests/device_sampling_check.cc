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

// One frame: a region of an image, the border rule, and the CPU sampler's floats for it.
struct SampledFrame {
  const TestImage* image = nullptr;
  vision::PixelRect roi;
  vision::BorderMode border = vision::BorderMode::kReplicate;
};

}  // namespace

void ExpectDeviceSamplingMatchesTheCpu(backend::Backend& device, const backend::BackendOptions& options) {
  constexpr int kSize = 224;
  const model::Graph graph = SampledInputGraph(6, kSize);
  Result<std::unique_ptr<backend::CompiledSegment>> segment =
      device.Compile(graph, WholeGraph(graph), options);
  ASSERT_TRUE(segment.ok()) << segment.status().message();
  ASSERT_TRUE((*segment)->CanSampleInput(0));
  EXPECT_FALSE((*segment)->CanSampleInput(1)) << "an output is never sampled";

  const TestImage rgb = RandomImage(640, 480, PixelFormat::kRGB, 0, 1);
  const TestImage bgra = RandomImage(101, 77, PixelFormat::kBGRA, 12, 2);
  const std::vector<SampledFrame> frames = {
      // The palm letterbox of the whole image (zero border), as LetterboxImage makes it.
      {&rgb, {320, 240, 640, 640, 0}, vision::BorderMode::kZero},
      // Rotated hand crops, partly outside the image, both border rules.
      {&rgb, {600, 30, 180, 180, 0.7f}, vision::BorderMode::kReplicate},
      {&rgb, {100.3f, 400.6f, 250, 250, -2.1f}, vision::BorderMode::kZero},
      {&bgra, {50, 40, 90, 90, 3.0f}, vision::BorderMode::kReplicate},
      {&bgra, {10, 70, 40, 40, 1.2f}, vision::BorderMode::kZero},
      // An empty region: zeros, as the CPU sampler leaves them.
      {&rgb, {320, 240, 0, 0, 0}, vision::BorderMode::kReplicate},
  };
  Result<std::unique_ptr<backend::ImageUploader>> uploader_rgb = device.CreateImageUploader();
  Result<std::unique_ptr<backend::ImageUploader>> uploader_bgra = device.CreateImageUploader();
  ASSERT_TRUE(uploader_rgb.ok() && *uploader_rgb != nullptr) << uploader_rgb.status().message();
  ASSERT_TRUE(uploader_bgra.ok() && *uploader_bgra != nullptr) << uploader_bgra.status().message();
  Result<backend::DeviceImage> on_device_rgb = (*uploader_rgb)->Upload(rgb.view);
  Result<backend::DeviceImage> on_device_bgra = (*uploader_bgra)->Upload(bgra.view);
  ASSERT_TRUE(on_device_rgb.ok()) << on_device_rgb.status().message();
  ASSERT_TRUE(on_device_bgra.ok()) << on_device_bgra.status().message();

  std::vector<backend::ImageSampling> samplings(frames.size());
  Tensors host_input(1, std::vector<float>(graph.tensors[0].num_elements()));
  const size_t frame_size = static_cast<size_t>(kSize) * kSize * 3;
  for (size_t f = 0; f < frames.size(); ++f) {
    const SampledFrame& frame = frames[f];
    vision::WarpRectToTensor(frame.image->view, frame.roi, kSize, kSize, frame.border,
                             host_input[0].data() + f * frame_size);
    const std::optional<backend::SamplingGrid> grid = vision::PlanWarp(frame.roi, kSize, kSize);
    if (!grid.has_value()) continue;
    samplings[f].image = frame.image == &rgb ? *on_device_rgb : *on_device_bgra;
    samplings[f].grid = *grid;
    samplings[f].replicate_border = frame.border == vision::BorderMode::kReplicate;
  }
  // The same segment, fed the CPU's floats and then sampling on the device: the same bits.
  HostBuffers host_buffers(graph, host_input);
  const Status host_run = (*segment)->Run(host_buffers.tensors);
  ASSERT_TRUE(host_run.ok()) << host_run.message();
  const Tensors from_host = host_buffers.Outputs(graph);
  HostBuffers buffers(graph, host_input);
  std::fill(buffers.storage[0].begin(), buffers.storage[0].end(), std::nanf(""));  // must not be read
  const Status sampled = (*segment)->RunSampled(buffers.tensors, 0, samplings);
  ASSERT_TRUE(sampled.ok()) << sampled.message();
  const Tensors on_device = buffers.Outputs(graph);
  ASSERT_EQ(on_device.size(), 1u);
  for (size_t f = 0; f < frames.size(); ++f) {
    size_t differing = 0, first = 0;
    for (size_t i = f * frame_size; i < (f + 1) * frame_size; ++i) {
      if (std::memcmp(&on_device[0][i], &from_host[0][i], sizeof(float)) != 0 && differing++ == 0) first = i;
    }
    EXPECT_EQ(differing, 0u) << "frame " << f << ": " << differing << " values differ, first at "
                             << first - f * frame_size << ": " << on_device[0][first] << " vs "
                             << from_host[0][first];
  }
  // A second sampled run (replayed graph, new parameters) still matches.
  std::swap(samplings[1], samplings[2]);
  ASSERT_TRUE((*segment)->RunSampled(buffers.tensors, 0, samplings).ok());
  const Tensors swapped = buffers.Outputs(graph);
  EXPECT_TRUE(std::equal(swapped[0].begin() + frame_size, swapped[0].begin() + 2 * frame_size,
                         from_host[0].begin() + 2 * frame_size));
}

}  // namespace handtrack::testing
