// handtrack: hand landmarks in photos with MediaPipe's models, natively.
//   handtrack detect [options] IMAGE_OR_DIR...
//   handtrack bench [options] [IMAGE]
//   handtrack devices
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli_args.h"
#include "commands.h"

namespace handtrack::cli {

int Fail(const std::string& message, int exit_status) {
  std::cerr << "handtrack: " << message << "\n";
  return exit_status;
}

namespace {

constexpr char kUsage[] = R"(usage: handtrack <command> [options]

Finds hands in photos with Google MediaPipe's hand models (palm detection and
21 3-D landmarks per hand), natively: XNNPACK on the CPU, with automatic and
visible fallback to a plain reference backend.

commands:
  detect IMAGE_OR_DIR...   landmarks of every hand in JPEG/PNG photos, as JSON
  track VIDEO_OR_DIR...    hands through recorded videos: ids, gestures, pinch events
  bench [IMAGE]            time each model and a whole detection, per backend
  devices                  the backends of this build and whether they can run here
  serve                    the HTTP API: sessions, photos, live frames (docs/SERVICE.md)
  worker --db ADDRESS      process the sessions queued in a serve database

options:
  -h, --help               this help; 'handtrack <command> --help' for a command's
  --version                the version

Models are read from --models DIR, else $HANDTRACK_MODELS, else
${XDG_CACHE_HOME:-~/.cache}/handtrack/models (scripts/fetch_models.sh puts them there).
)";

}  // namespace
}  // namespace handtrack::cli

int main(int argc, char** argv) {
  using namespace handtrack::cli;
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  const std::string& command = args[0];
  const std::span<const std::string> rest(args.begin() + 1, args.end());
  if (command == "-h" || command == "--help" || command == "help") {
    std::cout << kUsage;
    return kExitOk;
  }
  if (command == "--version" || command == "version") {
    std::cout << "handtrack " << HANDTRACK_VERSION << "\n";
    return kExitOk;
  }
  if (command == "detect") return RunDetect(rest);
  if (command == "track") return RunTrack(rest);
  if (command == "bench") return RunBench(rest);
  if (command == "devices") return RunDevices(rest);
#ifdef HANDTRACK_HAVE_SERVER
  if (command == "serve") return RunServe(rest);
  if (command == "worker") return RunWorker(rest);
#endif
  return Fail("unknown command '" + command +
                  "' (commands: detect, track, bench, devices, serve, worker; see 'handtrack --help')",
              kExitUsage);
}
