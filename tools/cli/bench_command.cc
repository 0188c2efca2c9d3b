// handtrack bench: median and minimum time of each model's inference and of a
// whole IMAGE-mode detection, per backend.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "cli_args.h"
#include "commands.h"
#include "frame_json.h"
#include "handtrack/hand_landmarker.h"
#include "handtrack/image_io.h"
#include "handtrack/models.h"

namespace handtrack::cli {
namespace {

constexpr char kHelp[] = R"(usage: handtrack bench [options] [IMAGE]

Times, for each available backend (or only --delegate's), the inference of each of
the four models on a seeded random input in [0, 1), and a whole detection
(IMAGE mode, full models, up to 2 hands) on IMAGE. Without IMAGE, a built-in
synthetic 640x480 picture is used: it holds no hand, so that detection runs palm
detection only. Prints the median and the minimum in milliseconds.

With --batch, each model is also timed running N frames per inference (the graph's
batch dimension rewritten to N, see ModelRunner::Options::batch), and every row gains
"batch" and "frames_per_s" (N * 1000 / median_ms: host copies in and out included).
On a GPU backend rows also get "device_frames_per_s": the model's kernels alone,
replayed on inputs already on the device (ModelRunner::TimeDeviceKernels), which is
how GPU peers such as PyTorch with CUDA graphs time themselves. detect always runs
batch 1.

options:
  --delegate NAME                          auto or a backend of `handtrack devices`: only this backend (default: every available one);
                                           NAME:N (cuda:1) on GPU N
  --device N                               the GPU of GPU backends (default 0)
  --precision auto|fp32|fp16[,...]         precisions to time, comma-separated (default auto:
                                           fp16 on cuda, fp32 on the CPU backends, which run fp32
                                           whatever is asked; rows name the precision planned)
  --threads N                              CPU threads, 1 to 64 (default 1)
  --iters N                                timed runs per row, 1 to 100000 (default 30)
  --warmup N                               untimed runs first, 0 to 10000 (default 5)
  --batch N[,...]                          frames per model inference, 1 to 4096, comma-
                                           separated (default 1; given: adds the batch and
                                           frames_per_s columns)
  --models DIR                             folder of the .tflite models
  --json                                   print one JSON array of rows {"what", "backend",
                                           "precision", "threads", "median_ms", "min_ms"},
                                           plus "batch" and "frames_per_s" with --batch
                                           (and "device_frames_per_s" on a GPU)
  -h, --help                               this help
)";

constexpr OptionSpec kOptions[] = {
    {"--delegate", true}, {"--precision", true}, {"--threads", true}, {"--iters", true},
    {"--warmup", true},   {"--batch", true},     {"--models", true},  {"--json", false},
    {"--help", false},    {"-h", false},         {"--device", true},
};

struct BenchSettings {
  std::vector<Delegate> delegates;
  std::vector<Precision> precisions;
  int device = 0;  // --device, --delegate NAME:N
  int threads = 1;
  int iters = 30;
  int warmup = 5;
  std::vector<int> batches = {1};
  bool batch_columns = false;  // --batch given: rows show batch and frames_per_s
  std::string model_dir;
  bool json = false;
  std::string image_path;  // empty: synthetic
};

struct Row {
  std::string what;
  std::string backend;
  std::string precision = "fp32";
  int threads = 1;
  int batch = 1;
  double median_ms = 0;
  double min_ms = 0;
  // GPU backends: the kernels alone, inputs already on the device (how GPU peers time themselves).
  std::optional<double> device_ms;
};

// Runs `step` warmup + iters times; the median and minimum of the timed runs.
Result<Row> Time(const BenchSettings& settings, const std::function<Status()>& step) {
  for (int i = 0; i < settings.warmup; ++i) HT_RETURN_IF_ERROR(step());
  std::vector<double> ms;
  for (int i = 0; i < settings.iters; ++i) {
    const auto start = std::chrono::steady_clock::now();
    HT_RETURN_IF_ERROR(step());
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  const size_t n = ms.size();
  Row row;
  row.median_ms = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
  row.min_ms = ms.front();
  return row;
}

Result<Row> BenchModel(const BenchSettings& settings, Delegate delegate, Precision precision,
                       const std::string& model_name, int batch) {
  const std::string path = ResolveModelDir(settings.model_dir) + "/" + model_name + ".tflite";
  ModelRunner::Options options;
  options.delegate = delegate;
  options.num_threads = settings.threads;
  options.precision = precision;
  options.device = settings.device;
  options.batch = batch;
  HT_RETURN_IF_ERROR(ApplyEnvironmentHooks(&options.inject_faults, &options.backend_settings));
  HT_ASSIGN_OR_RETURN(std::unique_ptr<ModelRunner> runner, ModelRunner::Create(path, options));
  std::mt19937 random(1);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  for (int i = 0; i < runner->num_inputs(); ++i) {
    for (float& value : runner->input(i)) value = unit(random);
  }
  HT_ASSIGN_OR_RETURN(Row row, Time(settings, [&] { return runner->Run(); }));
  row.precision = PrecisionName(runner->precision());  // what auto chose
  row.batch = batch;
  HT_ASSIGN_OR_RETURN(row.device_ms, runner->TimeDeviceKernels(settings.iters));
  return row;
}

Result<Row> BenchDetect(const BenchSettings& settings, Delegate delegate, Precision precision,
                        const Image& image) {
  HandLandmarkerOptions options;
  options.num_hands = 2;
  options.model.model_dir = settings.model_dir;
  options.model.delegate = delegate;
  options.model.num_threads = settings.threads;
  options.model.precision = precision;
  options.model.device = settings.device;
  HT_RETURN_IF_ERROR(ApplyEnvironmentHooks(&options.model.inject_faults, &options.model.backend_settings));
  HT_ASSIGN_OR_RETURN(std::unique_ptr<HandLandmarker> landmarker, HandLandmarker::Create(options));
  HT_ASSIGN_OR_RETURN(Row row,
                      Time(settings, [&]() -> Status { return landmarker->Detect(image.view()).status(); }));
  row.precision = PrecisionName(landmarker->options().model.precision);  // what auto chose
  return row;
}

// A deterministic 640x480 picture with some structure (gradients and bands), no hands.
Image SyntheticImage() {
  Image image(640, 480, PixelFormat::kRGB);
  for (int y = 0; y < 480; ++y) {
    for (int x = 0; x < 640; ++x) {
      uint8_t* p = image.data() + (static_cast<size_t>(y) * 640 + x) * 3;
      p[0] = static_cast<uint8_t>(x * 255 / 639);
      p[1] = static_cast<uint8_t>(y * 255 / 479);
      p[2] = static_cast<uint8_t>(((x / 40 + y / 40) % 2) * 160 + 40);
    }
  }
  return image;
}

// "fp32,fp16" -> {"fp32", "fp16"}.
std::vector<std::string> Split(const std::string& list) {
  std::vector<std::string> items;
  size_t start = 0;
  while (true) {
    const size_t comma = list.find(',', start);
    items.push_back(list.substr(start, comma - start));
    if (comma == std::string::npos) return items;
    start = comma + 1;
  }
}

Result<BenchSettings> ParseSettings(const ParsedArgs& args) {
  BenchSettings settings;
  auto int_option = [](std::string_view name, int min, int max) {
    return [=](const std::string& text) { return ParseIntOption(name, text, min, max); };
  };
  HT_RETURN_IF_ERROR(ReadOption(args, "--threads", int_option("--threads", 1, 64), &settings.threads));
  HT_RETURN_IF_ERROR(ReadOption(args, "--iters", int_option("--iters", 1, 100000), &settings.iters));
  HT_RETURN_IF_ERROR(ReadOption(args, "--warmup", int_option("--warmup", 0, 10000), &settings.warmup));
  settings.model_dir = args.Value("--models").value_or("");
  settings.json = args.Has("--json");
  if (args.positional().size() > 1) return InvalidArgumentError("bench takes at most one IMAGE");
  if (!args.positional().empty()) settings.image_path = args.positional()[0];
  for (const std::string& name : Split(args.Value("--precision").value_or("auto"))) {
    HT_ASSIGN_OR_RETURN(Precision precision, ParsePrecisionOption(name));
    settings.precisions.push_back(precision);
  }
  if (auto list = args.Value("--batch")) {
    settings.batch_columns = true;
    settings.batches.clear();
    for (const std::string& item : Split(*list)) {
      HT_ASSIGN_OR_RETURN(int batch, ParseIntOption("--batch", item, 1, 4096));
      settings.batches.push_back(batch);
    }
  }
  ModelOptions model;
  HT_RETURN_IF_ERROR(ReadDelegateAndDevice(args, &model));
  if (args.Has("--delegate")) settings.delegates.push_back(model.delegate);
  settings.device = model.device;
  return settings;
}

double FramesPerSecond(const Row& row) { return row.median_ms > 0 ? row.batch * 1000.0 / row.median_ms : 0; }
double DeviceFramesPerSecond(const Row& row) {
  return row.device_ms.value_or(0) > 0 ? row.batch * 1000.0 / *row.device_ms : 0;
}

void PrintTable(const std::vector<Row>& rows, bool batch_columns) {
  std::printf("%-22s %-10s %-9s %7s %10s %10s", "what", "backend", "precision", "threads", "median_ms",
              "min_ms");
  if (batch_columns) std::printf(" %6s %12s %19s", "batch", "frames_per_s", "device_frames_per_s");
  std::printf("\n");
  for (const Row& row : rows) {
    std::printf("%-22s %-10s %-9s %7d %10.3f %10.3f", row.what.c_str(), row.backend.c_str(),
                row.precision.c_str(), row.threads, row.median_ms, row.min_ms);
    if (batch_columns) {
      std::printf(" %6d %12.1f", row.batch, FramesPerSecond(row));
      if (row.device_ms) {
        std::printf(" %19.1f", DeviceFramesPerSecond(row));
      } else {
        std::printf(" %19s", "-");
      }
    }
    std::printf("\n");
  }
}

// One row per line: easy to read and to diff, still one JSON array.
void PrintJson(const std::vector<Row>& rows, bool batch_columns) {
  std::cout << "[";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    Json json = {{"what", row.what},
                 {"backend", row.backend},
                 {"precision", row.precision},
                 {"threads", row.threads},
                 {"median_ms", std::round(row.median_ms * 1000) / 1000},
                 {"min_ms", std::round(row.min_ms * 1000) / 1000}};
    if (batch_columns) {
      json["batch"] = row.batch;
      json["frames_per_s"] = std::round(FramesPerSecond(row) * 10) / 10;
      if (row.device_ms) json["device_frames_per_s"] = std::round(DeviceFramesPerSecond(row) * 10) / 10;
    }
    std::cout << (i ? ",\n " : "\n ") << json.dump();
  }
  std::cout << "\n]\n";
}

}  // namespace

int RunBench(std::span<const std::string> arguments) {
  auto args = ParseArgs(arguments, kOptions, "bench");
  if (!args.ok()) return Fail(args.status().message(), kExitUsage);
  if (args->Has("--help") || args->Has("-h")) {
    std::cout << kHelp;
    return kExitOk;
  }
  auto settings = ParseSettings(*args);
  if (!settings.ok()) return Fail(settings.status().message(), kExitUsage);

  // Every available backend by default; one named with --delegate must be available.
  if (settings->delegates.empty()) {
    for (const BackendInfo& backend : ListBackends()) {
      if (!backend.available) {
        std::cerr << "handtrack: skipping backend " << backend.name << ": " << backend.detail << "\n";
        continue;
      }
      if (auto delegate = ParseDelegate(backend.name); delegate.ok())
        settings->delegates.push_back(*delegate);
    }
  }
  if (settings->delegates.empty())
    return Fail("failed to find an available backend (see 'handtrack devices')", 1);

  Image image;
  if (settings->image_path.empty()) {
    std::cerr
        << "handtrack: no IMAGE given: timing detect on a built-in synthetic 640x480 picture with no hands "
           "(palm detection only)\n";
    image = SyntheticImage();
  } else {
    auto read = ReadImageFile(settings->image_path);
    if (!read.ok()) return Fail(read.status().message(), kExitFailed);
    image = std::move(*read);
  }

  std::vector<Row> rows;
  bool any_failed = false;
  auto add = [&](Result<Row> row, const std::string& what, Delegate delegate) {
    if (!row.ok()) {
      any_failed = true;
      Fail(row.status().message(), kExitFailed);
      return;
    }
    row->what = what;
    row->backend = DelegateName(delegate);
    row->threads = settings->threads;
    if (!settings->json && settings->batch_columns) {
      std::fprintf(stderr, "handtrack: %s on %s %s batch %d: %.3f ms (%.1f frames/s)\n", what.c_str(),
                   row->backend.c_str(), row->precision.c_str(), row->batch, row->median_ms,
                   FramesPerSecond(*row));
    } else if (!settings->json) {
      std::fprintf(stderr, "handtrack: %s on %s %s: %.3f ms\n", what.c_str(), row->backend.c_str(),
                   row->precision.c_str(), row->median_ms);
    }
    rows.push_back(*row);
  };
  for (Delegate delegate : settings->delegates) {
    for (Precision precision : settings->precisions) {
      for (ModelVariant variant : {ModelVariant::kFull, ModelVariant::kLite}) {
        for (int batch : settings->batches) {
          add(BenchModel(*settings, delegate, precision, PalmModelName(variant), batch),
              PalmModelName(variant), delegate);
        }
      }
      for (ModelVariant variant : {ModelVariant::kFull, ModelVariant::kLite}) {
        for (int batch : settings->batches) {
          add(BenchModel(*settings, delegate, precision, LandmarkModelName(variant), batch),
              LandmarkModelName(variant), delegate);
        }
      }
      add(BenchDetect(*settings, delegate, precision, image), "detect", delegate);
    }
  }
  if (settings->json) {
    PrintJson(rows, settings->batch_columns);
  } else {
    PrintTable(rows, settings->batch_columns);
  }
  return any_failed ? kExitFailed : kExitOk;
}

}  // namespace handtrack::cli
