// Tests of the CLI's shared option parsing (tools/cli/cli_args.h) that the command-line tours
// cannot reach on every machine: --hwaccel's default follows --delegate (cuda needs a GPU to
// get past engine creation); --device, --delegate NAME:N and --gpus (docs/CUDA.md, "Several GPUs");
// the environment switches (HANDTRACK_CUDA_*).
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "cli_args.h"
#include "engine_pool_options.h"
#include "handtrack/hand_engine.h"
#include "track_session.h"

namespace handtrack::cli {
namespace {

constexpr OptionSpec kSpecs[] = {{"--hwaccel", true}};

Result<HardwareDecode> Hwaccel(std::vector<std::string> arguments, const Delegate& delegate) {
  auto args = ParseArgs(arguments, kSpecs, "track");
  if (!args.ok()) return args.status();
  return HwaccelFromArgs(*args, delegate);
}

TEST(HwaccelOption, DefaultsToAutoOnCudaAndToNoneElsewhere) {
  EXPECT_EQ(*Hwaccel({}, Delegate::kCuda), HardwareDecode::kAuto);
  EXPECT_EQ(*Hwaccel({}, Delegate::kAuto), HardwareDecode::kNone);
  EXPECT_EQ(*Hwaccel({}, Delegate::kXnnpack), HardwareDecode::kNone);
  EXPECT_EQ(*Hwaccel({}, Delegate::kReference), HardwareDecode::kNone);
}

TEST(HwaccelOption, GivenValueWinsOverTheDefault) {
  EXPECT_EQ(*Hwaccel({"--hwaccel", "none"}, Delegate::kCuda), HardwareDecode::kNone);
  EXPECT_EQ(*Hwaccel({"--hwaccel=cuda"}, Delegate::kXnnpack), HardwareDecode::kCuda);
  EXPECT_EQ(*Hwaccel({"--hwaccel", "auto"}, Delegate::kReference), HardwareDecode::kAuto);
}

TEST(HwaccelOption, BadValuesAreOneLineUsageErrors) {
  for (const std::string bad : {"", "gpu", "CUDA", "nvdec", "auto "}) {
    Result<HardwareDecode> mode = Hwaccel({"--hwaccel=" + bad}, Delegate::kCuda);
    ASSERT_FALSE(mode.ok()) << bad;
    EXPECT_EQ(mode.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(mode.status().message(), "--hwaccel must be auto, cuda or none, got '" + bad + "'");
  }
}

constexpr OptionSpec kGpuSpecs[] = {{"--delegate", true}, {"--device", true}, {"--gpus", true}};

Result<ModelOptions> Devices(std::vector<std::string> arguments) {
  auto args = ParseArgs(arguments, kGpuSpecs, "track");
  if (!args.ok()) return args.status();
  ModelOptions model;
  HT_RETURN_IF_ERROR(ReadDelegateAndDevice(*args, &model));
  return model;
}

Result<std::vector<int>> Gpus(std::vector<std::string> arguments) {
  HT_ASSIGN_OR_RETURN(ModelOptions model, Devices(arguments));
  auto args = ParseArgs(arguments, kGpuSpecs, "track");
  return ReadGpus(*args, model);
}

TEST(DeviceOptions, DeviceAndDelegateIndex) {
  EXPECT_EQ(Devices({})->device, 0);
  EXPECT_EQ(Devices({"--device", "3"})->device, 3);
  EXPECT_EQ(Devices({"--delegate", "cuda:2"})->device, 2);
  EXPECT_EQ(Devices({"--delegate", "cuda:2"})->delegate, Delegate::kCuda);
  EXPECT_EQ(Devices({"--delegate=cuda:1", "--device=1"})->device, 1);
  // Whether GPU 99 exists is for engine creation (HandEngine::Create) to say.
  EXPECT_EQ(Devices({"--device", "99"})->device, 99);
}

TEST(DeviceOptions, BadValuesAreOneLineUsageErrors) {
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"--device", "-1"}, "--device must be an integer from 0 to 1023, got '-1'"},
      {{"--device", "x"}, "--device must be an integer from 0 to 1023, got 'x'"},
      {{"--delegate", "cuda:abc"},
       "--delegate cuda:abc: the GPU after ':' must be an integer from 0 to 1023, got 'abc'"},
      {{"--delegate", "cuda:"},
       "--delegate cuda:: the GPU after ':' must be an integer from 0 to 1023, got ''"},
      {{"--delegate", "cuda:1", "--device", "2"}, "--device 2 and --delegate cuda:1 name different GPUs"},
  };
  for (const auto& [arguments, message] : cases) {
    Result<ModelOptions> model = Devices(arguments);
    ASSERT_FALSE(model.ok()) << message;
    EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(model.status().message(), message);
  }
  EXPECT_FALSE(Devices({"--delegate", "gpu:1"}).ok());
}

TEST(GpusOption, ListsAndErrors) {
  EXPECT_TRUE(Gpus({})->empty());
  EXPECT_EQ(*Gpus({"--gpus", "0,0"}), (std::vector<int>{0, 0}));
  EXPECT_EQ(*Gpus({"--gpus", "1,0,3"}), (std::vector<int>{1, 0, 3}));
  for (const std::string bad : {"x", "", "0,", ",1", "0,,1", "-1", "1024", "0;1"}) {
    Result<std::vector<int>> gpus = Gpus({"--gpus=" + bad});
    ASSERT_FALSE(gpus.ok()) << bad;
    EXPECT_EQ(gpus.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(gpus.status().message().find('\n'), std::string::npos);
  }
  EXPECT_FALSE(Gpus({"--gpus", "0", "--device", "0"}).ok());
  EXPECT_FALSE(Gpus({"--gpus", "0", "--delegate", "cuda:0"}).ok());
  EXPECT_FALSE(Gpus({"--gpus", "0", "--delegate", "xnnpack"}).ok());
  // "all" is every usable GPU, or a one-line reason when there is none.
  Result<std::vector<int>> all = Gpus({"--gpus", "all"});
  if (all.ok()) {
    EXPECT_FALSE(all->empty());
  } else {
    EXPECT_EQ(all.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(all.status().message().find("no usable GPU"), std::string::npos) << all.status().message();
  }
}

// track --frames-per-call and the worker: several frames per call only where a batch runs on a GPU.
TEST(FramesPerCallDefault, EightOnABatchingGpuEngineAtMostTheBatchElseOne) {
  EXPECT_EQ(DefaultFramesPerCall(/*max_batch=*/32, /*on_device=*/true), 8);
  EXPECT_EQ(DefaultFramesPerCall(64, true), 8);
  EXPECT_EQ(DefaultFramesPerCall(4, true), 4);
  EXPECT_EQ(DefaultFramesPerCall(2, true), 2);
  EXPECT_EQ(DefaultFramesPerCall(1, true), 1);
  EXPECT_EQ(DefaultFramesPerCall(32, false), 1);
  EXPECT_EQ(DefaultFramesPerCall(1, false), 1);
}

// When no option sets it, batching on a GPU waits at most 250 us, caps each model at 2 runs and
// takes batch sizes in steps of 4 above 4; elsewhere the engine's defaults hold.
TEST(BatchPolicyDefault, ShortWaitTwoRunsAndStepsOfFourOnABatchingGpuEngineElseTheEngines) {
  const HandEngineOptions engine;
  for (auto [max_batch, on_device] : {std::pair{32, true}, {2, true}}) {
    const BatchPolicy policy = DefaultBatchPolicy(max_batch, on_device);
    EXPECT_EQ(policy.batch_wait_us, 250) << max_batch;
    EXPECT_EQ(policy.max_concurrent_runs, 2) << max_batch;
    EXPECT_EQ(policy.batch_step, 4) << max_batch;
  }
  for (auto [max_batch, on_device] : {std::pair{1, true}, {32, false}, {1, false}}) {
    const BatchPolicy policy = DefaultBatchPolicy(max_batch, on_device);
    EXPECT_EQ(policy.batch_wait_us, engine.batch_wait_us) << max_batch << " " << on_device;
    EXPECT_EQ(policy.max_concurrent_runs, engine.max_concurrent_runs) << max_batch << " " << on_device;
    EXPECT_EQ(policy.batch_step, engine.batch_step) << max_batch << " " << on_device;
  }
}

// The CLI's environment switches become backend settings; empty variables are ignored.
TEST(EnvironmentHooks, CudaSwitchesBecomeBackendSettings) {
  setenv("HANDTRACK_CUDA_SYNC", "blocking", 1);
  setenv("HANDTRACK_CUDA_FUSION", "0", 1);
  setenv("HANDTRACK_CUDA_PREPROCESS", "", 1);
  std::string faults;
  std::map<std::string, std::string> settings;
  const Status status = ApplyEnvironmentHooks(&faults, &settings);
  unsetenv("HANDTRACK_CUDA_SYNC");
  unsetenv("HANDTRACK_CUDA_FUSION");
  unsetenv("HANDTRACK_CUDA_PREPROCESS");
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(settings["cuda.sync"], "blocking");
  EXPECT_EQ(settings["cuda.fusion"], "0");
  EXPECT_EQ(settings.count("cuda.preprocess"), 0u);
}

TEST(EnvironmentHooks, NvdecContextIsSharedUnlessSaidOtherwise) {
  unsetenv("HANDTRACK_NVDEC_CONTEXT");
  EXPECT_EQ(DecodingContextFromEnvironment().value(), CudaDecodingContext::kShared);
  setenv("HANDTRACK_NVDEC_CONTEXT", "separate", 1);
  EXPECT_EQ(DecodingContextFromEnvironment().value(), CudaDecodingContext::kSeparate);
  setenv("HANDTRACK_NVDEC_CONTEXT", "", 1);
  EXPECT_EQ(DecodingContextFromEnvironment().value(), CudaDecodingContext::kShared);
  setenv("HANDTRACK_NVDEC_CONTEXT", "primary", 1);
  const Result<CudaDecodingContext> bad = DecodingContextFromEnvironment();
  unsetenv("HANDTRACK_NVDEC_CONTEXT");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("got 'primary'"), std::string::npos) << bad.status().message();
}

TEST(EnvironmentHooks, NvdecDownloadsArePinnedUnlessSaidOtherwise) {
  unsetenv("HANDTRACK_NVDEC_PINNED");
  EXPECT_TRUE(PinnedDownloadFromEnvironment().value());
  setenv("HANDTRACK_NVDEC_PINNED", "0", 1);
  EXPECT_FALSE(PinnedDownloadFromEnvironment().value());
  setenv("HANDTRACK_NVDEC_PINNED", "1", 1);
  EXPECT_TRUE(PinnedDownloadFromEnvironment().value());
  setenv("HANDTRACK_NVDEC_PINNED", "yes", 1);
  const Result<bool> bad = PinnedDownloadFromEnvironment();
  unsetenv("HANDTRACK_NVDEC_PINNED");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("HANDTRACK_NVDEC_PINNED"), std::string::npos)
      << bad.status().message();
}

}  // namespace
}  // namespace handtrack::cli
