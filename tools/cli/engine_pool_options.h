// The engines of `track --gpus` and `worker --gpus` (also `serve`): one HandEngine per GPU in
// an EnginePool (handtrack/engine_pool.h), which spreads the streams over them and moves a
// stream whose engine fails to another engine, or to the CPU when none is left. Without
// --gpus: a pool of the one engine the command always had, with no fallback, so that nothing
// changes for one-GPU and CPU users.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cli_args.h"
#include "frame_json.h"
#include "handtrack/engine_pool.h"

namespace handtrack::cli {

// The --gpus of `args` (empty when absent; "all" is every usable GPU). InvalidArgument for a
// malformed list or one mixed with --device / --delegate NAME:N or a CPU --delegate.
Result<std::vector<int>> ReadGpus(const ParsedArgs& args, const ModelOptions& model);

// `engine` on each of `gpus` (delegate cuda, so that a GPU's failure reaches the pool instead
// of falling back inside the engine), plus the CPU fallback (xnnpack where available, else
// reference; batch 1); just `engine` without gpus. Test hook: the environment variable
// HANDTRACK_INJECT_FAULT_ENGINE="INDEX:BACKEND:STAGE[:AFTER]" injects BACKEND:STAGE (as
// HANDTRACK_INJECT_FAULT does) into engine INDEX alone, after the first AFTER times the
// fault's check is passed (default 0: from the start), so that a GPU fails mid-video.
Result<EnginePoolOptions> MakeEnginePoolOptions(const HandEngineOptions& engine, const std::vector<int>& gpus,
                                                std::function<void(const std::string& line)> on_event);

// The pool's engines and take-overs for a summary: {"take_overs": N, "engines": [...]}.
Json EnginePoolJson(const EnginePoolStats& stats);

}  // namespace handtrack::cli
