// The subcommands of `handtrack`. Each takes the arguments after its name and
// returns the exit status (cli_args.h); each prints its own --help.
#pragma once

#include <span>
#include <string>

namespace handtrack::cli {

int RunDetect(std::span<const std::string> args);
int RunTrack(std::span<const std::string> args);
int RunBench(std::span<const std::string> args);
int RunDevices(std::span<const std::string> args);
// tools/serve (HANDTRACK_BUILD_SERVER)
int RunServe(std::span<const std::string> args);
int RunWorker(std::span<const std::string> args);

// Prints "handtrack: <message>" on stderr (one line) and returns `exit_status`.
int Fail(const std::string& message, int exit_status);

}  // namespace handtrack::cli
