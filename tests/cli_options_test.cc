// Tests of the CLI's shared option parsing (tools/cli/cli_args.h) that the command-line tours
// cannot reach on every machine: --hwaccel's default follows --delegate (cuda needs a GPU to
// get past engine creation).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli_args.h"

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

}  // namespace
}  // namespace handtrack::cli
