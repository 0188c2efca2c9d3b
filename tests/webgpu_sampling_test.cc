// Pre-processing on the GPU for the webgpu backend (backend/webgpu/image_sampling.h):
// images uploaded as bytes and sampled into a model input by the sampling shader
// give the CPU samplers' bits, in fp32 and fp16 storage; the setting that turns it
// off, and an invalid image. Runs in Chromium with WebGPU (web/tests/webgpu.test.mjs);
// skips where there is no WebGPU (node).
//
//   webgpu_sampling_test [--cuda-setting KEY=VALUE ...] [gtest flags]
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "backend/backend.h"
#include "backend/image_sampling.h"
#include "backend/webgpu/webgpu_backend.h"
#include "backend_settings_flag.h"
#include "device_sampling_check.h"
#include "op_graph_builders.h"

namespace handtrack::testing {
namespace {

backend::BackendOptions WebGpuOptions(Precision precision = Precision::kFp32) {
  backend::BackendOptions options;
  options.precision = precision;
  options.settings = CommandLineBackendSettings();
  return options;
}

#define HT_REQUIRE_WEBGPU(backend)                            \
  do {                                                        \
    const Status available = (backend).Availability();        \
    if (!available.ok()) GTEST_SKIP() << available.message(); \
  } while (0)

TEST(WebGpuSamplingTest, GpuSamplingGivesTheCpuSamplersBits) {
  std::unique_ptr<backend::Backend> webgpu = backend::CreateWebGpuBackend();
  HT_REQUIRE_WEBGPU(*webgpu);
  ExpectDeviceSamplingMatchesTheCpu(*webgpu, WebGpuOptions());
}

TEST(WebGpuSamplingTest, GpuSamplingGivesTheCpuSamplersBitsInFp16) {
  std::unique_ptr<backend::Backend> webgpu = backend::CreateWebGpuBackend();
  HT_REQUIRE_WEBGPU(*webgpu);
  ExpectDeviceSamplingMatchesTheCpu(*webgpu, WebGpuOptions(Precision::kFp16));
}

TEST(WebGpuSamplingTest, PreprocessSettingOffKeepsInputsOnTheHost) {
  std::unique_ptr<backend::Backend> webgpu = backend::CreateWebGpuBackend();
  HT_REQUIRE_WEBGPU(*webgpu);
  const model::Graph graph = SampledInputGraph(1, 8);
  backend::BackendOptions options = WebGpuOptions();
  options.settings["webgpu.preprocess"] = "0";
  Result<std::unique_ptr<backend::CompiledSegment>> segment =
      webgpu->Compile(graph, WholeGraph(graph), options);
  ASSERT_TRUE(segment.ok()) << segment.status().message();
  EXPECT_FALSE((*segment)->CanSampleInput(0));
  HostBuffers buffers(graph, Tensors(1, std::vector<float>(graph.tensors[0].num_elements())));
  const std::vector<backend::ImageSampling> samplings(1);
  EXPECT_EQ((*segment)->RunSampled(buffers.tensors, 0, samplings).code(), StatusCode::kInvalidArgument);
}

TEST(WebGpuSamplingTest, UploadRefusesAnInvalidImage) {
  std::unique_ptr<backend::Backend> webgpu = backend::CreateWebGpuBackend();
  HT_REQUIRE_WEBGPU(*webgpu);
  Result<std::unique_ptr<backend::ImageUploader>> uploader = webgpu->CreateImageUploader();
  ASSERT_TRUE(uploader.ok() && *uploader != nullptr);
  const Result<backend::DeviceImage> uploaded = (*uploader)->Upload(ImageView{});
  ASSERT_FALSE(uploaded.ok());
  EXPECT_NE(uploaded.status().message().find("failed to upload"), std::string::npos)
      << uploaded.status().message();
}

}  // namespace
}  // namespace handtrack::testing

// Takes --cuda-setting out of argv before gtest sees it (backend_settings_flag.h).
int main(int argc, char** argv) {
  if (const handtrack::Status flags = handtrack::testing::ParseBackendSettingFlags(&argc, argv);
      !flags.ok()) {
    std::fprintf(stderr, "webgpu_sampling_test: %s\n", flags.message().c_str());
    return 2;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
