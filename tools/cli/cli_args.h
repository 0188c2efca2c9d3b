// Command-line parsing for the `handtrack` subcommands: options, their values and
// the checks that turn bad values into clear one-line usage errors.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "handtrack/models.h"
#include "handtrack/status.h"
#include "handtrack/video_io.h"

namespace handtrack::cli {

// Exit statuses of the command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // some input or step failed
inline constexpr int kExitUsage = 2;   // bad options or arguments

struct OptionSpec {
  std::string_view name;  // "--num-hands"
  bool takes_value;
};

class ParsedArgs {
 public:
  bool Has(std::string_view option) const;
  // The option's value (the last one when given twice), or nullopt when absent.
  std::optional<std::string> Value(std::string_view option) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  friend Result<ParsedArgs> ParseArgs(std::span<const std::string>, std::span<const OptionSpec>,
                                      std::string_view);
  std::vector<std::pair<std::string, std::string>> options_;
  std::vector<std::string> positional_;
};

// Parses the arguments after the subcommand: "--name value", "--name=value" and
// flags; "--" ends the options. InvalidArgument names the bad option.
Result<ParsedArgs> ParseArgs(std::span<const std::string> args, std::span<const OptionSpec> specs,
                             std::string_view command);

// "--threads must be an integer from 1 to 64, got 'x'" and friends.
Result<int> ParseIntOption(std::string_view option, const std::string& text, int min, int max);
// "on" -> true, "off" -> false, anything else an error naming the option.
Result<bool> ParseOnOffOption(std::string_view option, const std::string& text);
Result<float> ParseUnitOption(std::string_view option, const std::string& text);  // a number in [0, 1]
Result<Delegate> ParseDelegateOption(const std::string& text);
// --delegate NAME or NAME:N ("cuda:1": that backend on GPU N) and --device N (the GPU,
// ModelOptions::device, 0 to 1023), shared by every command that loads the models. Both
// naming different GPUs is an error. Whether GPU N exists is checked when the models load.
Status ReadDelegateAndDevice(const ParsedArgs& args, ModelOptions* model);
// The batch policy of track, serve and worker: --batch-wait-us U (HandEngineOptions::batch_wait_us,
// 0 to 10 000 000), --max-concurrent-runs K (::max_concurrent_runs, 0 to 64) and --batch-step S
// (::batch_step, 0 or a power of two up to 64) and --warm-up on|off (::warm_up); each kept
// when its option is absent.
Status ReadBatchPolicyOptions(const ParsedArgs& args, int* batch_wait_us, int* max_concurrent_runs,
                              int* batch_step, bool* warm_up);
// --gpus all|N,N,...: one engine per entry (an index may repeat: two engines on one GPU).
// "all": every usable GPU of ListGpus(), FailedPrecondition naming why when there is none.
Result<std::vector<int>> ParseGpusOption(const std::string& text);

// The CLI's test and diagnosis switches from the environment (the library
// reads none of them): HANDTRACK_INJECT_FAULT="BACKEND:STAGE,..." into
// inject_faults; HANDTRACK_CUDA_<NAME> into the backend setting "cuda.<name>" for
// the CUDA settings listed in cli_args.cc (fusion, fusion_moves_to_add, tensor_cores, small_tensor_cores,
// small_depthwise_row_tiles, unrolled_taps, split_min_k, split_blocks_per_sm, warp_products,
// preprocess, sync).
Status ApplyEnvironmentHooks(std::string* inject_faults,
                             std::map<std::string, std::string>* backend_settings);
// "fp32" or "fp16" (--precision).
Result<Precision> ParsePrecisionOption(const std::string& text);
// "auto", "cuda" or "none" (--hwaccel, where videos are decoded).
Result<HardwareDecode> ParseHwaccelOption(const std::string& text);
// --hwaccel's value, else its default: auto when the models run on cuda (--delegate cuda),
// so that frames stay on that machine's GPU path; none otherwise, where the frames are the
// ffmpeg tool's and nothing is tried that cannot help.
Result<HardwareDecode> HwaccelFromArgs(const ParsedArgs& args, const Delegate& delegate);
// HANDTRACK_NVDEC_CONTEXT=shared|separate (a diagnosis switch, like the ones above): the CUDA
// context NVDEC decodes in (VideoReaderOptions::cuda_decoding_context); unset or empty: shared.
Result<CudaDecodingContext> DecodingContextFromEnvironment();
// HANDTRACK_NVDEC_PINNED=0: NVDEC's pictures are downloaded into pageable memory
// (VideoReaderOptions::pinned_download false), for comparisons; unset, empty or 1: pinned.
Result<bool> PinnedDownloadFromEnvironment();
// HANDTRACK_NVDEC_FRAMES=host: NVDEC's pictures come to the host as RGB frames (swscale's
// conversion, as CPU decoding gives) instead of staying on the GPU for the models
// (VideoReaderOptions::frames_on_gpu), for comparisons; unset, empty or gpu: they stay there
// whenever the models run on a GPU.
Result<bool> FramesOnGpuFromEnvironment();

// Whether the models run on a device backend (a GPU): GPUs were listed (--gpus), or the backend
// `delegate` names is one (under auto, the first available backend, the one that runs them).
bool ModelsRunOnDevice(const Delegate& delegate, bool gpus_listed);

// Reads an optional option with a parser; keeps `value` when the option is absent.
template <typename T, typename Parse>
Status ReadOption(const ParsedArgs& args, std::string_view option, Parse parse, T* value) {
  const std::optional<std::string> text = args.Value(option);
  if (!text) return Status::Ok();
  auto parsed = parse(*text);
  if (!parsed.ok()) return parsed.status();
  *value = *parsed;
  return Status::Ok();
}

}  // namespace handtrack::cli
