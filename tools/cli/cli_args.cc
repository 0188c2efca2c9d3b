#include "cli_args.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace handtrack::cli {

bool ParsedArgs::Has(std::string_view option) const {
  return std::any_of(options_.begin(), options_.end(),
                     [&](const auto& entry) { return entry.first == option; });
}

std::optional<std::string> ParsedArgs::Value(std::string_view option) const {
  for (auto it = options_.rbegin(); it != options_.rend(); ++it) {
    if (it->first == option) return it->second;
  }
  return std::nullopt;
}

Result<ParsedArgs> ParseArgs(std::span<const std::string> args, std::span<const OptionSpec> specs,
                             std::string_view command) {
  ParsedArgs parsed;
  const std::string see_help = " (see 'handtrack " + std::string(command) + " --help')";
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      parsed.positional_.insert(parsed.positional_.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                args.end());
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      parsed.positional_.push_back(arg);
      continue;
    }
    const size_t equals = arg.find('=');
    const std::string name = arg.substr(0, equals);
    const auto spec =
        std::find_if(specs.begin(), specs.end(), [&](const OptionSpec& s) { return s.name == name; });
    if (spec == specs.end()) return InvalidArgumentError("unknown option '" + name + "'" + see_help);
    if (!spec->takes_value) {
      if (equals != std::string::npos) return InvalidArgumentError(name + " takes no value" + see_help);
      parsed.options_.emplace_back(name, "");
      continue;
    }
    if (equals != std::string::npos) {
      parsed.options_.emplace_back(name, arg.substr(equals + 1));
    } else if (i + 1 < args.size()) {
      parsed.options_.emplace_back(name, args[++i]);
    } else {
      return InvalidArgumentError(name + " needs a value" + see_help);
    }
  }
  return parsed;
}

Result<int> ParseIntOption(std::string_view option, const std::string& text, int min, int max) {
  errno = 0;
  char* end = nullptr;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || value < min || value > max) {
    return InvalidArgumentError(std::string(option) + " must be an integer from " + std::to_string(min) +
                                " to " + std::to_string(max) + ", got '" + text + "'");
  }
  return static_cast<int>(value);
}

Result<bool> ParseOnOffOption(std::string_view option, const std::string& text) {
  if (text == "on") return true;
  if (text == "off") return false;
  return InvalidArgumentError(std::string(option) + " must be on or off, got '" + text + "'");
}

Result<float> ParseUnitOption(std::string_view option, const std::string& text) {
  char* end = nullptr;
  const float value = std::strtof(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value) || value < 0.0f || value > 1.0f) {
    return InvalidArgumentError(std::string(option) + " must be a number from 0 to 1, got '" + text + "'");
  }
  return value;
}

Result<Precision> ParsePrecisionOption(const std::string& text) {
  auto precision = ParsePrecision(text);
  if (!precision.ok())
    return InvalidArgumentError("--precision must be auto, fp32 or fp16, got '" + text + "'");
  return precision;
}

Result<HardwareDecode> ParseHwaccelOption(const std::string& text) {
  for (HardwareDecode mode : {HardwareDecode::kAuto, HardwareDecode::kCuda, HardwareDecode::kNone}) {
    if (text == HardwareDecodeName(mode)) return mode;
  }
  return InvalidArgumentError("--hwaccel must be auto, cuda or none, got '" + text + "'");
}

Result<HardwareDecode> HwaccelFromArgs(const ParsedArgs& args, const Delegate& delegate) {
  HardwareDecode mode =
      delegate.name() == Delegate::kCuda.name() ? HardwareDecode::kAuto : HardwareDecode::kNone;
  HT_RETURN_IF_ERROR(ReadOption(args, "--hwaccel", ParseHwaccelOption, &mode));
  return mode;
}

Result<CudaDecodingContext> DecodingContextFromEnvironment() {
  const char* value = std::getenv("HANDTRACK_NVDEC_CONTEXT");
  if (value == nullptr || *value == '\0') return CudaDecodingContext::kShared;
  for (CudaDecodingContext context : {CudaDecodingContext::kShared, CudaDecodingContext::kSeparate}) {
    if (std::string(value) == CudaDecodingContextName(context)) return context;
  }
  return InvalidArgumentError(std::string("HANDTRACK_NVDEC_CONTEXT must be shared or separate, got '") +
                              value + "'");
}

Result<bool> PinnedDownloadFromEnvironment() {
  const char* value = std::getenv("HANDTRACK_NVDEC_PINNED");
  if (value == nullptr || *value == '\0' || std::string(value) == "1") return true;
  if (std::string(value) == "0") return false;
  return InvalidArgumentError(std::string("HANDTRACK_NVDEC_PINNED must be 0 or 1, got '") + value + "'");
}

Result<bool> FramesOnGpuFromEnvironment() {
  const char* value = std::getenv("HANDTRACK_NVDEC_FRAMES");
  if (value == nullptr || *value == '\0' || std::string(value) == "gpu") return true;
  if (std::string(value) == "host") return false;
  return InvalidArgumentError(std::string("HANDTRACK_NVDEC_FRAMES must be gpu or host, got '") + value + "'");
}

bool ModelsRunOnDevice(const Delegate& delegate, bool gpus_listed) {
  if (gpus_listed) return true;
  for (const BackendInfo& backend : ListBackends()) {
    if (!backend.available || (!delegate.is_auto() && backend.name != delegate.name())) continue;
    return backend.device;
  }
  return false;
}

Result<Delegate> ParseDelegateOption(const std::string& text) {
  auto delegate = ParseDelegate(text);
  if (!delegate.ok()) {
    std::string names = "auto";
    for (const BackendInfo& backend : ListBackends()) names += ", " + backend.name;
    return InvalidArgumentError("--delegate must be one of " + names + ", got '" + text + "'");
  }
  return delegate;
}

namespace {

constexpr int kMaxDevice = 1023;

Result<int> ParseDeviceIndex(std::string_view option, const std::string& text) {
  return ParseIntOption(option, text, 0, kMaxDevice);
}

}  // namespace

Status ReadBatchPolicyOptions(const ParsedArgs& args, int* batch_wait_us, int* max_concurrent_runs,
                              int* batch_step, bool* warm_up) {
  HT_RETURN_IF_ERROR(ReadOption(
      args, "--warm-up", [](const std::string& t) { return ParseOnOffOption("--warm-up", t); }, warm_up));
  HT_RETURN_IF_ERROR(ReadOption(
      args, "--batch-wait-us",
      [](const std::string& t) { return ParseIntOption("--batch-wait-us", t, 0, 10'000'000); },
      batch_wait_us));
  HT_RETURN_IF_ERROR(ReadOption(
      args, "--max-concurrent-runs",
      [](const std::string& t) { return ParseIntOption("--max-concurrent-runs", t, 0, 64); },
      max_concurrent_runs));
  return ReadOption(
      args, "--batch-step",
      [](const std::string& t) -> Result<int> {
        Result<int> step = ParseIntOption("--batch-step", t, 0, 64);
        if (step.ok() && (*step & (*step - 1)) != 0) {
          return InvalidArgumentError("--batch-step must be 0 or a power of two from 1 to 64, got '" + t +
                                      "'");
        }
        return step;
      },
      batch_step);
}

Status ReadDelegateAndDevice(const ParsedArgs& args, ModelOptions* model) {
  std::optional<int> delegate_device;
  if (std::optional<std::string> text = args.Value("--delegate")) {
    const size_t colon = text->find(':');
    HT_ASSIGN_OR_RETURN(model->delegate, ParseDelegateOption(text->substr(0, colon)));
    if (colon != std::string::npos) {
      const Result<int> device = ParseDeviceIndex("--delegate NAME:N", text->substr(colon + 1));
      if (!device.ok()) {
        return InvalidArgumentError("--delegate " + *text +
                                    ": the GPU after ':' must be an integer from 0 to " +
                                    std::to_string(kMaxDevice) + ", got '" + text->substr(colon + 1) + "'");
      }
      delegate_device = *device;
    }
  }
  std::optional<int> device;
  if (std::optional<std::string> text = args.Value("--device")) {
    HT_ASSIGN_OR_RETURN(device, ParseDeviceIndex("--device", *text));
  }
  if (device.has_value() && delegate_device.has_value() && *device != *delegate_device) {
    return InvalidArgumentError("--device " + std::to_string(*device) + " and --delegate " +
                                *args.Value("--delegate") + " name different GPUs");
  }
  if (device.has_value()) model->device = *device;
  if (delegate_device.has_value()) model->device = *delegate_device;
  return Status::Ok();
}

Result<std::vector<int>> ParseGpusOption(const std::string& text) {
  std::vector<int> gpus;
  if (text == "all") {
    const GpuList list = ListGpus();
    for (const GpuInfo& gpu : list.gpus) {
      if (gpu.usable) gpus.push_back(gpu.index);
    }
    if (gpus.empty()) {
      return FailedPreconditionError("--gpus all: no usable GPU (" +
                                     (list.gpus.empty() ? list.why_none : list.gpus.front().detail) +
                                     "; see 'handtrack devices')");
    }
    return gpus;
  }
  const auto bad = [&] {
    return InvalidArgumentError("--gpus must be all or a list of GPU indices such as 0,1 (each 0 to " +
                                std::to_string(kMaxDevice) + "), got '" + text + "'");
  };
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const Result<int> device = ParseDeviceIndex(
        "--gpus", text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (!device.ok()) return bad();
    gpus.push_back(*device);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (gpus.size() > 64) return bad();
  return gpus;
}

Status ApplyEnvironmentHooks(std::string* inject_faults,
                             std::map<std::string, std::string>* backend_settings) {
  if (const char* faults = std::getenv("HANDTRACK_INJECT_FAULT"); faults != nullptr) *inject_faults = faults;
  // The CUDA kernel switches and how threads wait for the GPU (see docs/CUDA.md), as backend
  // settings.
  const std::pair<const char*, const char*> switches[] = {
      {"HANDTRACK_CUDA_FUSION", "cuda.fusion"},
      {"HANDTRACK_CUDA_FUSION_MOVES_TO_ADD", "cuda.fusion_moves_to_add"},
      {"HANDTRACK_CUDA_FUSION_POOLED_RESIDUAL", "cuda.fusion_pooled_residual"},
      {"HANDTRACK_CUDA_TENSOR_CORES", "cuda.tensor_cores"},
      {"HANDTRACK_CUDA_SMALL_TENSOR_CORES", "cuda.small_tensor_cores"},
      {"HANDTRACK_CUDA_SMALL_DEPTHWISE_ROW_TILES", "cuda.small_depthwise_row_tiles"},
      {"HANDTRACK_CUDA_UNROLLED_TAPS", "cuda.unrolled_taps"},
      {"HANDTRACK_CUDA_HALF_ROW_SUMS", "cuda.half_row_sums"},
      {"HANDTRACK_CUDA_SPLIT_MIN_K", "cuda.split_min_k"},
      {"HANDTRACK_CUDA_SPLIT_BLOCKS_PER_SM", "cuda.split_blocks_per_sm"},
      {"HANDTRACK_CUDA_WARP_PRODUCTS", "cuda.warp_products"},
      {"HANDTRACK_CUDA_K_GROUPS", "cuda.k_groups"},
      {"HANDTRACK_CUDA_PREPROCESS", "cuda.preprocess"},
      {"HANDTRACK_CUDA_PACKED_IO", "cuda.packed_io"},
      {"HANDTRACK_CUDA_SYNC", "cuda.sync"},
      {"HANDTRACK_CUDA_UPLOAD_WAIT", "cuda.upload_wait"},
      {"HANDTRACK_CUDA_STREAM_PRIORITIES", "cuda.stream_priorities"}};
  for (const auto& [variable, key] : switches) {
    if (const char* value = std::getenv(variable); value != nullptr && *value != '\0') {
      (*backend_settings)[key] = value;
    }
  }
  return Status::Ok();
}

}  // namespace handtrack::cli
