#include "landmarker_options.h"

#include <vector>

namespace handtrack::cli {
namespace {

constexpr OptionSpec kSpecs[] = {
    {"--model", true},
    {"--num-hands", true},
    {"--min-detection-confidence", true},
    {"--min-presence-confidence", true},
    {"--min-tracking-confidence", true},
    {"--mirrored", false},
    {"--delegate", true},
    {"--device", true},
    {"--precision", true},
    {"--threads", true},
    {"--models", true},
};

}  // namespace

Result<ParsedArgs> ParseLandmarkerCommandArgs(std::span<const std::string> arguments,
                                              std::span<const OptionSpec> own_options,
                                              std::string_view command) {
  std::vector<OptionSpec> specs(std::begin(kSpecs), std::end(kSpecs));
  specs.insert(specs.end(), own_options.begin(), own_options.end());
  return ParseArgs(arguments, specs, command);
}

Status ParseLandmarkerOptions(const ParsedArgs& args, HandLandmarkerOptions* options) {
  options->num_hands = 2;
  if (auto model = args.Value("--model")) {
    if (*model != "full" && *model != "lite") {
      return InvalidArgumentError("--model must be full or lite, got '" + *model + "'");
    }
    options->model.variant = *model == "lite" ? ModelVariant::kLite : ModelVariant::kFull;
  }
  auto unit = [](std::string_view name) {
    return [name](const std::string& t) { return ParseUnitOption(name, t); };
  };
  HT_RETURN_IF_ERROR(ReadOption(
      args, "--num-hands", [](const std::string& t) { return ParseIntOption("--num-hands", t, 1, 8); },
      &options->num_hands));
  HT_RETURN_IF_ERROR(ReadOption(args, "--min-detection-confidence", unit("--min-detection-confidence"),
                                &options->min_hand_detection_confidence));
  HT_RETURN_IF_ERROR(ReadOption(args, "--min-presence-confidence", unit("--min-presence-confidence"),
                                &options->min_hand_presence_confidence));
  HT_RETURN_IF_ERROR(ReadOption(args, "--min-tracking-confidence", unit("--min-tracking-confidence"),
                                &options->min_tracking_confidence));
  HT_RETURN_IF_ERROR(ReadDelegateAndDevice(args, &options->model));
  HT_RETURN_IF_ERROR(ReadOption(args, "--precision", ParsePrecisionOption, &options->model.precision));
  HT_RETURN_IF_ERROR(ReadOption(
      args, "--threads", [](const std::string& t) { return ParseIntOption("--threads", t, 1, 64); },
      &options->model.num_threads));
  options->mirrored = args.Has("--mirrored");
  options->model.model_dir = args.Value("--models").value_or("");
  return ApplyEnvironmentHooks(&options->model.inject_faults, &options->model.backend_settings);
}

Json LandmarkerHeaderJson(const HandLandmarkerOptions& options) {
  Json header = {
      {"version", HANDTRACK_VERSION},
      {"model", options.model.variant == ModelVariant::kLite ? "lite" : "full"},
      {"delegate", DelegateName(options.model.delegate)},
      {"precision", PrecisionName(options.model.precision)},
      {"threads", options.model.num_threads},
      {"num_hands", options.num_hands},
      {"min_hand_detection_confidence", Round7(options.min_hand_detection_confidence)},
      {"min_hand_presence_confidence", Round7(options.min_hand_presence_confidence)},
      {"min_tracking_confidence", Round7(options.min_tracking_confidence)},
      {"handedness", options.mirrored ? "mirrored input: labels swapped, as the legacy Hands solution"
                                      : "non-mirrored input, as MediaPipe Tasks"}};
  // Only off the default GPU, so default headers stay as they were.
  if (options.model.device != 0) header["device"] = options.model.device;
  // Only when it departs from MediaPipe's rule, so default headers stay as they were.
  if (options.palm_detection_interval > 1)
    header["palm_detection_interval"] = options.palm_detection_interval;
  return header;
}

}  // namespace handtrack::cli
