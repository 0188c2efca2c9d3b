// The options that `detect` and `track` share: model, thresholds, delegate,
// threads, models folder, handedness convention.
#pragma once

#include <span>

#include "cli_args.h"
#include "frame_json.h"
#include "handtrack/hand_landmarker.h"

namespace handtrack::cli {

// Parses a command's arguments: the shared options below plus the command's own.
Result<ParsedArgs> ParseLandmarkerCommandArgs(std::span<const std::string> arguments,
                                              std::span<const OptionSpec> own_options,
                                              std::string_view command);

// Fills `options` from the shared options; num_hands defaults to 2 (people track
// both hands; MediaPipe's default is 1). InvalidArgument names a bad value.
Status ParseLandmarkerOptions(const ParsedArgs& args, HandLandmarkerOptions* options);

// The "handtrack" header object of the JSON outputs.
Json LandmarkerHeaderJson(const HandLandmarkerOptions& options);

}  // namespace handtrack::cli
