// handtrack detect: landmarks of every hand in photos, as JSON; optional overlays.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "cli_args.h"
#include "commands.h"
#include "frame_json.h"
#include "handtrack/hand_landmarker.h"
#include "handtrack/image_io.h"
#include "input_files.h"
#include "io/overlay.h"
#include "landmarker_options.h"

namespace handtrack::cli {
namespace {

constexpr char kHelp[] = R"(usage: handtrack detect [options] IMAGE_OR_DIR...

Finds hands in JPEG and PNG photos and prints, as JSON, each hand's 21 landmarks
(x, y normalised to the image, z relative depth), its 21 world landmarks (metres)
and its handedness. A directory stands for its .jpg/.jpeg/.png files, sorted by
name; files named explicitly are read whatever their name (the content decides).
Photos are turned upright by their EXIF orientation.

options:
  --model full|lite                  model variant (default full)
  --num-hands N                      most hands per image, 1 to 8 (default 2; MediaPipe's is 1)
  --min-detection-confidence F       palm detection score threshold (default 0.5)
  --min-presence-confidence F        hand presence threshold (default 0.5)
  --min-tracking-confidence F        accepted for MediaPipe parity; photos are not tracked (default 0.5)
  --mirrored                         the photos are mirrored selfies: swap Left/Right
  --delegate auto|cuda|xnnpack|reference
                                     backend (default auto: fastest available, with fallback)
                                     (cuda:N: cuda on GPU N)
  --device N                         the GPU of a GPU backend (default 0; see 'handtrack devices')
  --precision auto|fp32|fp16         inference precision (default auto: fp16 on cuda, as
                                     MediaPipe's GPU delegate; fp32 on the CPU backends, which
                                     run fp32 whatever is asked, noted in the --verbose plan)
  --threads N                        CPU threads for inference, 1 to 64 (default 1)
  --models DIR                       folder of the .tflite models
  --output FILE                      write the JSON to FILE (default: stdout)
  --overlay DIR                      also write DIR/NAME.png with the hands drawn on each photo
  --verbose                          print the execution plan and per-image timing on stderr
  -h, --help                         this help

The JSON is {"handtrack": {...}, "frames": [{"index", "file", "width", "height",
"time_ms", "num_hands", "hands": [{"handedness": {"label", "score", "index",
"model_output"}, "presence", "landmarks", "world_landmarks"}]}]}, one frame per line,
written as each image finishes. A photo that cannot be read has "error" instead of hands;
the error is also printed on stderr and the other photos are still processed.

exit status: 0 all photos processed, 1 some photo (or the models) failed, 2 bad usage.
)";

constexpr OptionSpec kDetectOptions[] = {
    {"--output", true}, {"--overlay", true}, {"--verbose", false}, {"--help", false}, {"-h", false},
};

struct DetectSettings {
  HandLandmarkerOptions landmarker;
  std::string output = "-";
  std::string overlay_dir;
  bool verbose = false;
  std::vector<std::string> inputs;
};

Result<DetectSettings> ParseSettings(const ParsedArgs& args) {
  DetectSettings settings;
  HT_RETURN_IF_ERROR(ParseLandmarkerOptions(args, &settings.landmarker));
  settings.output = args.Value("--output").value_or("-");
  settings.overlay_dir = args.Value("--overlay").value_or("");
  settings.verbose = args.Has("--verbose");
  if (settings.output.empty()) return InvalidArgumentError("--output needs a file name (or - for stdout)");
  if (args.Has("--overlay") && settings.overlay_dir.empty())
    return InvalidArgumentError("--overlay needs a folder");
  settings.inputs = args.positional();
  if (settings.inputs.empty()) {
    return InvalidArgumentError("no images given (usage: handtrack detect [options] IMAGE_OR_DIR...)");
  }
  return settings;
}

// Picks DIR/STEM.png for each photo, adding _2, _3... when two photos share a stem.
class OverlayNamer {
 public:
  explicit OverlayNamer(std::string dir) : dir_(std::move(dir)) {}
  std::string NameFor(const std::string& input) {
    const std::string stem = std::filesystem::path(input).stem().string();
    std::string name = stem + ".png";
    for (int n = 2; !used_.insert(name).second; ++n) name = stem + "_" + std::to_string(n) + ".png";
    return (std::filesystem::path(dir_) / name).string();
  }

 private:
  std::string dir_;
  std::set<std::string> used_;
};

Status WriteOverlay(const Image& photo, const HandLandmarkerResult& result, const std::string& path) {
  Image canvas = photo;
  for (const HandResult& hand : result.hands) {
    std::vector<PixelPoint> points;
    for (const NormalizedLandmark& landmark : hand.landmarks) {
      points.push_back({landmark.x * canvas.width(), landmark.y * canvas.height()});
    }
    char label[48];
    std::snprintf(label, sizeof(label), "%s %.2f", hand.handedness.label.c_str(), hand.handedness.score);
    DrawHand(canvas, points, label);
  }
  return WritePngFile(path, canvas.view());
}

double MillisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int RunDetect(std::span<const std::string> arguments) {
  auto args = ParseLandmarkerCommandArgs(arguments, kDetectOptions, "detect");
  if (!args.ok()) return Fail(args.status().message(), kExitUsage);
  if (args->Has("--help") || args->Has("-h")) {
    std::cout << kHelp;
    return kExitOk;
  }
  auto settings = ParseSettings(*args);
  if (!settings.ok()) return Fail(settings.status().message(), kExitUsage);

  bool any_failed = false;
  const InputList inputs = ExpandInputs(settings->inputs);
  for (const std::string& problem : inputs.problems) {
    Fail(problem, kExitFailed);
    any_failed = true;
  }

  auto landmarker = HandLandmarker::Create(settings->landmarker);
  if (!landmarker.ok()) return Fail(landmarker.status().message(), kExitFailed);
  if (settings->verbose) std::cerr << (*landmarker)->DescribePlan() << "\n";

  if (!settings->overlay_dir.empty()) {
    std::error_code error;
    std::filesystem::create_directories(settings->overlay_dir, error);
    if (error)
      return Fail("failed to create overlay folder " + settings->overlay_dir + ": " + error.message(), 1);
  }
  OverlayNamer overlay_namer(settings->overlay_dir);

  FrameStreamWriter writer;
  // The landmarker's options: the precision auto chose, not "auto".
  if (Status opened = writer.Open(settings->output, LandmarkerHeaderJson((*landmarker)->options()));
      !opened.ok()) {
    return Fail(opened.message(), kExitFailed);
  }

  const int count = static_cast<int>(inputs.files.size());
  double total_detect_ms = 0;
  int succeeded = 0;
  for (int index = 0; index < count; ++index) {
    const std::string& file = inputs.files[index];
    const auto read_start = std::chrono::steady_clock::now();
    auto image = ReadImageFile(file);
    const double read_ms = MillisecondsSince(read_start);
    Result<HandLandmarkerResult> result =
        image.ok() ? InternalError("detection did not run") : image.status();
    double detect_ms = 0;
    if (image.ok()) {
      const auto detect_start = std::chrono::steady_clock::now();
      result = (*landmarker)->Detect(image->view());
      detect_ms = MillisecondsSince(detect_start);
    }
    Json frame;
    if (!result.ok()) {
      any_failed = true;
      Fail(result.status().message(), kExitFailed);
      frame = FailedFrameJson(index, file, result.status().message());
    } else {
      ++succeeded;
      total_detect_ms += detect_ms;
      frame = FrameJson(index, file, image->width(), image->height(), detect_ms, *result);
      if (settings->verbose) {
        std::fprintf(stderr, "handtrack: [%d/%d] %s: %dx%d, %zu hand%s, read %.1f ms, detect %.1f ms\n",
                     index + 1, count, file.c_str(), image->width(), image->height(), result->hands.size(),
                     result->hands.size() == 1 ? "" : "s", read_ms, detect_ms);
      }
      if (!settings->overlay_dir.empty()) {
        if (Status drawn = WriteOverlay(*image, *result, overlay_namer.NameFor(file)); !drawn.ok()) {
          any_failed = true;
          Fail(drawn.message(), kExitFailed);
        }
      }
    }
    if (Status written = writer.Write(frame); !written.ok()) return Fail(written.message(), kExitFailed);
  }
  if (Status finished = writer.Finish(); !finished.ok()) return Fail(finished.message(), kExitFailed);
  if (settings->verbose) {
    std::fprintf(stderr, "handtrack: %d of %d images processed, %d failed; mean detect %.1f ms\n", succeeded,
                 count, count - succeeded, succeeded ? total_detect_ms / succeeded : 0.0);
  }
  return any_failed ? kExitFailed : kExitOk;
}

}  // namespace handtrack::cli
