// handtrack track: hands through recorded videos (or folders of frames) in VIDEO
// mode: stable ids, gestures, finger counts and pinch events per frame, as JSON
// Lines, CSV or a golden-schema JSON document; optional overlay video and session
// summary. Several inputs run concurrently (--jobs) on one shared HandEngine, sharing
// the --threads budget; on cuda their frames are batched together (--batch).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "cli_args.h"
#include "commands.h"
#include "engine_pool_options.h"
#include "handtrack/gestures.h"
#include "handtrack/hand_engine.h"
#include "handtrack/video_io.h"
#include "io/overlay.h"
#include "landmarker_options.h"
#include "process_clock.h"
#include "track_output.h"
#include "track_session.h"

namespace handtrack::cli {
namespace {

constexpr char kHelp[] = R"(usage: handtrack track [options] VIDEO_OR_FRAME_DIR...

Tracks hands through recorded videos (MP4, WebM, MOV, MKV, ... as FFmpeg decodes them,
rotation metadata applied) or folders of PNG/JPEG frames, in MediaPipe's VIDEO mode:
each hand keeps an id while it is tracked; per frame and hand it reports handedness,
21 landmarks, 21 world landmarks, gesture, finger count and pinch (with start/end events).

options (as for detect):
  --model full|lite, --num-hands N (default 2), --min-detection-confidence F,
  --min-presence-confidence F, --min-tracking-confidence F, --mirrored,
  --delegate auto|cuda|xnnpack|reference (cuda:N: on GPU N), --device N (the GPU, default 0),
  --precision auto|fp32|fp16 (default auto: fp16 on cuda, fp32 on the CPU), --threads N
  (default 1), --models DIR
options of track:
  --format jsonl|csv|golden   output format (default jsonl: one JSON object per frame)
  --output PATH               file, or - for stdout (default); with several inputs and a
                              format other than jsonl, a folder (one NAME.EXT per input)
  --overlay PATH              write the video with skeletons, ids, gestures and pinch
                              strokes drawn (OUT.mp4; a folder with several inputs)
  --summary FILE.json         session summary per input: duration, frames with hands,
                              gesture histogram per hand, pinch count, stroke length, fps,
                              where its time went (waiting for frames, the landmarker,
                              opening and closing the video, the rest), the
                              engine's runs and its start time, and when each step
                              came, in seconds since the process started (the jobs'
                              first videos open while the engine starts and wait for
                              it: engine_wait_seconds)
  --smoothing on|off          One-Euro landmark smoothing (default off: results match
                              MediaPipe's)
  --palm-detection-interval N while some but fewer than --num-hands hands are tracked,
                              look for more only every Nth frame (and at once after a
                              hand is lost or its presence drops); 1 to 1000, default 1:
                              every frame, MediaPipe's rule (results match MediaPipe's).
                              Tracked hands' landmarks are the same with any N
  --fps F                     frame rate of frame folders (default 30)
  --hwaccel auto|cuda|none    where videos are decoded: cuda on the GPU (NVDEC, FFmpeg's
                              hwaccel cuda) or fail, auto on the GPU when it can (else
                              on the CPU, saying why), none on the CPU (the ffmpeg
                              tool's frames). Default: auto with --delegate cuda, else
                              none. The decoder of each input goes to stderr (unless
                              none) and to the summary ("decoder")
  --jobs N                    inputs processed at once (default 1), all on one shared
                              engine (models loaded once); the --threads budget is split
                              between them
  --gpus all|N,N,...          one engine per GPU listed (all: every usable GPU of 'handtrack
                              devices'), the inputs spread over them, each new one on the
                              engine with the fewest; an input whose GPU fails (out of
                              memory, lost) goes on on another GPU, or on the CPU when none
                              is left, from the frame that failed (one line on stderr each
                              time; counted in --summary). --batch is per engine
  --batch B                   most frames per model run, gathered across the jobs (and
                              the hands of a frame): a power of two, 1 to 64. Default:
                              with --jobs N > 1 on cuda (or auto choosing cuda), N x
                              --num-hands rounded up to a power of two (at most 64);
                              else 1 (no batching: on the CPU a batch runs no faster).
                              Results are the same with any batch on the CPU; on a GPU
                              a frame's last bits depend on the batch it runs in, so
                              batched GPU runs may differ slightly from run to run (so
                              for the batching options below)
  --batch-wait-us U           most microseconds a frame waits for a fuller batch, 0 to
                              10000000 (default 250 when batching on cuda, else 2000): a
                              batch runs once full, once every job is waiting in the
                              engine, or once its oldest frame has waited U. Results are
                              the same with any U
  --max-concurrent-runs K     most runs of each model at once, 0 to 64 (default 2 when
                              batching on cuda, else 0: no cap). At the cap a ready
                              batch waits for a run to end, then takes every frame
                              queued meanwhile. Results are the same with any K
  --batch-step S              the batch sizes runs take: 0, powers of two; S (a power of
                              two, 1 to 64), powers of two up to S and multiples of S
                              above (S 4: 1, 2, 4, 8, 12, 16, ...), fewer empty slots for
                              an interpreter more per size (default 4 when batching on
                              cuda, else 0). Results are the same with any S
  --warm-up on|off            make every interpreter those options can use when the
                              models load (each batch size, K of each), not at its first
                              run, where on a GPU its graph captures hold back the other
                              runs and the videos opening (default on when batching on
                              cuda, else off). Results are the same either way
  --frames-per-call N         frames of an input given to the landmarker at once, 1 to
                              64: with batching (--batch > 1), palm detection runs for
                              them as one batch while it is due, so that palm runs fill
                              up from fewer jobs. Default: with batching on cuda (or auto
                              choosing cuda), 8 (at most --batch); else 1. Results are
                              the same with any N
  --progress / --no-progress  progress bar on stderr (default: when stderr is a terminal)
  -h, --help                  this help

Every frame is written and flushed as soon as it is processed: when a video fails
half-way, the frames before the failure are kept and the error is reported. Each input's
next frames are decoded on a thread of their own while its current frames are tracked:
up to 6 decoded frames of it in memory (4 queued), 37 MB at 1920x1080; with
--frames-per-call N above 4, up to 2N + 2.
exit status: 0 all inputs processed, 1 some input failed, 2 bad usage.
)";

constexpr OptionSpec kTrackOptions[] = {
    {"--format", true},        {"--output", true},    {"--overlay", true},
    {"--summary", true},       {"--smoothing", true}, {"--fps", true},
    {"--jobs", true},          {"--batch", true},     {"--frames-per-call", true},
    {"--batch-wait-us", true}, {"--progress", false}, {"--no-progress", false},
    {"--help", false},         {"-h", false},         {"--palm-detection-interval", true},
    {"--hwaccel", true},       {"--gpus", true},      {"--max-concurrent-runs", true},
    {"--batch-step", true},    {"--warm-up", true},
};

struct TrackSettings {
  HandLandmarkerOptions landmarker;
  TrackFormat format = TrackFormat::kJsonLines;
  std::string output = "-";
  std::string overlay;
  std::string summary;
  double fps = 30;
  HardwareDecode hwaccel = HardwareDecode::kNone;
  CudaDecodingContext decoding_context = CudaDecodingContext::kShared;
  bool pinned_download = true;
  bool frames_on_gpu = true;  // HANDTRACK_NVDEC_FRAMES; applies when the models run on a GPU
  int jobs = 1;
  int batch = 0;                           // 0: chosen from the delegate and --jobs
  int frames_per_call = 0;                 // 0: chosen from the delegate and the batch
  std::optional<int> batch_wait_us;        // unset: DefaultBatchPolicy
  std::optional<int> max_concurrent_runs;  // likewise
  std::optional<int> batch_step;           // likewise
  std::optional<bool> warm_up;             // likewise
  std::vector<int> gpus;                   // --gpus: one engine each; empty: one engine
  bool progress = false;
  std::vector<std::string> inputs;
};

const char* Extension(TrackFormat format) {
  switch (format) {
    case TrackFormat::kJsonLines:
      return ".jsonl";
    case TrackFormat::kCsv:
      return ".csv";
    case TrackFormat::kGolden:
      return ".json";
  }
  return ".out";
}

Result<TrackSettings> ParseSettings(const ParsedArgs& args) {
  TrackSettings settings;
  HT_RETURN_IF_ERROR(ParseLandmarkerOptions(args, &settings.landmarker));
  settings.landmarker.running_mode = RunningMode::kVideo;
  if (auto format = args.Value("--format")) {
    if (*format == "jsonl")
      settings.format = TrackFormat::kJsonLines;
    else if (*format == "csv")
      settings.format = TrackFormat::kCsv;
    else if (*format == "golden")
      settings.format = TrackFormat::kGolden;
    else
      return InvalidArgumentError("--format must be jsonl, csv or golden, got '" + *format + "'");
  }
  if (auto smoothing = args.Value("--smoothing")) {
    HT_ASSIGN_OR_RETURN(const bool on, ParseOnOffOption("--smoothing", *smoothing));
    settings.landmarker.smoothing = on ? SmoothingMode::kOn : SmoothingMode::kOff;
  }
  HT_RETURN_IF_ERROR(ReadOption(
      args, "--palm-detection-interval",
      [](const std::string& t) { return ParseIntOption("--palm-detection-interval", t, 1, 1000); },
      &settings.landmarker.palm_detection_interval));
  if (auto fps = args.Value("--fps")) {
    char* end = nullptr;
    settings.fps = std::strtod(fps->c_str(), &end);
    if (fps->empty() || *end != '\0' || !(settings.fps > 0 && settings.fps <= 1000)) {
      return InvalidArgumentError("--fps must be a number in (0, 1000], got '" + *fps + "'");
    }
  }
  HT_ASSIGN_OR_RETURN(settings.gpus, ReadGpus(args, settings.landmarker.model));
  // With --gpus the models run on cuda: frames are decoded there by default, as with --delegate cuda.
  HT_ASSIGN_OR_RETURN(
      settings.hwaccel,
      HwaccelFromArgs(args, settings.gpus.empty() ? settings.landmarker.model.delegate : Delegate::kCuda));
  HT_ASSIGN_OR_RETURN(settings.decoding_context, DecodingContextFromEnvironment());
  HT_ASSIGN_OR_RETURN(settings.pinned_download, PinnedDownloadFromEnvironment());
  HT_ASSIGN_OR_RETURN(settings.frames_on_gpu, FramesOnGpuFromEnvironment());
  HT_RETURN_IF_ERROR(ReadOption(
      args, "--jobs", [](const std::string& t) { return ParseIntOption("--jobs", t, 1, 64); },
      &settings.jobs));
  if (args.Has("--batch")) {
    const std::string text = args.Value("--batch").value_or("");
    Result<int> batch = ParseIntOption("--batch", text, 1, 64);
    if (!batch.ok() || !std::has_single_bit(static_cast<unsigned>(*batch))) {
      return InvalidArgumentError("--batch must be a power of two from 1 to 64, got '" + text + "'");
    }
    settings.batch = *batch;
  }
  HT_RETURN_IF_ERROR(ReadOption(
      args, "--frames-per-call",
      [](const std::string& t) { return ParseIntOption("--frames-per-call", t, 1, 64); },
      &settings.frames_per_call));
  int batch_wait_us = 0, max_concurrent_runs = 0, batch_step = 0;
  bool warm_up = false;
  HT_RETURN_IF_ERROR(
      ReadBatchPolicyOptions(args, &batch_wait_us, &max_concurrent_runs, &batch_step, &warm_up));
  if (args.Has("--warm-up")) settings.warm_up = warm_up;
  if (args.Has("--batch-wait-us")) settings.batch_wait_us = batch_wait_us;
  if (args.Has("--max-concurrent-runs")) settings.max_concurrent_runs = max_concurrent_runs;
  if (args.Has("--batch-step")) settings.batch_step = batch_step;
  settings.output = args.Value("--output").value_or("-");
  settings.overlay = args.Value("--overlay").value_or("");
  settings.summary = args.Value("--summary").value_or("");
  if (settings.output.empty()) return InvalidArgumentError("--output needs a file name (or - for stdout)");
  if (args.Has("--overlay") && settings.overlay.empty())
    return InvalidArgumentError("--overlay needs a path");
  if (args.Has("--summary") && settings.summary.empty())
    return InvalidArgumentError("--summary needs a path");
  settings.progress = args.Has("--progress") || (!args.Has("--no-progress") && isatty(STDERR_FILENO));
  settings.inputs = args.positional();
  if (settings.inputs.empty()) {
    return InvalidArgumentError("no videos given (usage: handtrack track [options] VIDEO_OR_FRAME_DIR...)");
  }
  return settings;
}

// PATH itself for one input; PATH/STEM.EXT for several (PATH is then a folder).
std::string PathFor(const std::string& path, const std::string& input, size_t input_count, const char* ext) {
  if (input_count == 1 || path == "-") return path;
  std::string stem = std::filesystem::path(input).filename().string();
  if (stem.empty()) stem = std::filesystem::path(input).parent_path().filename().string();
  stem = std::filesystem::path(stem).stem().string();
  return (std::filesystem::path(path) / (stem + ext)).string();
}

class ProgressBar {
 public:
  ProgressBar(bool enabled, std::string name, int64_t total)
      : enabled_(enabled), name_(std::move(name)), total_(total) {}
  void Update(int64_t done, double seconds) {
    if (!enabled_ || (done % 10 != 0 && done != total_)) return;
    const double fps = seconds > 0 ? done / seconds : 0;
    char line[256];
    if (total_ > 0) {
      const int width = 24;
      const int filled = static_cast<int>(std::min<int64_t>(width, done * width / total_));
      const double eta = fps > 0 ? std::max<double>(0, (total_ - done) / fps) : 0;
      std::snprintf(line, sizeof(line), "\r%s [%s%s] %lld/%lld frames %.1f fps ETA %.1f s", name_.c_str(),
                    std::string(filled, '#').c_str(), std::string(width - filled, ' ').c_str(),
                    static_cast<long long>(done), static_cast<long long>(total_), fps, eta);
    } else {
      std::snprintf(line, sizeof(line), "\r%s %lld frames %.1f fps", name_.c_str(),
                    static_cast<long long>(done), fps);
    }
    std::fputs(line, stderr);
  }
  void Finish() {
    if (enabled_) std::fputs("\n", stderr);
  }

 private:
  bool enabled_;
  std::string name_;
  int64_t total_;
};

// What TrackVideo is asked for one input, but for the progress bar (TrackOne's).
TrackVideoRequest MakeTrackRequest(const std::string& input, const TrackSettings& settings,
                                   std::mutex* stdout_mutex) {
  const size_t n = settings.inputs.size();
  TrackVideoRequest request;
  request.input = input;
  request.landmarker = settings.landmarker;
  request.fps = settings.fps;
  request.frames_per_call = settings.frames_per_call;
  request.reader.hardware_decode = settings.hwaccel;
  request.reader.cuda_decoding_context = settings.decoding_context;
  request.reader.pinned_download = settings.pinned_download;
  request.reader.frames_on_gpu = settings.frames_on_gpu;
  // Where frames are decoded matters only when the GPU was asked for: then say it, once.
  if (settings.hwaccel != HardwareDecode::kNone) {
    request.on_open = [input, stdout_mutex](const VideoInfo& info) {
      std::lock_guard lock(*stdout_mutex);
      std::cerr << "handtrack: " << input << ": decoder " << info.decoder;
      if (!info.hardware_fallback_reason.empty())
        std::cerr << ", not cuda: " << info.hardware_fallback_reason;
      if (info.frames_on_gpu) std::cerr << ", frames kept on the GPU";
      std::cerr << "\n";
    };
  }
  request.outputs = {{settings.format, PathFor(settings.output, input, n, Extension(settings.format))}};
  request.stdout_mutex = stdout_mutex;
  if (!settings.overlay.empty()) request.overlay = PathFor(settings.overlay, input, n, ".mp4");
  return request;
}

// Tracks one input to the end (or to its first error), writing as it goes; the error goes
// to stderr as one line. `opened`: the video opened ahead (TrackVideo says how it is used).
VideoSummary TrackOne(TrackVideoRequest request, const std::shared_ptr<EnginePool>& engines, bool progress,
                      std::optional<OpenedVideo> opened) {
  const std::string& input = request.input;
  std::unique_ptr<ProgressBar> bar;
  const auto start = std::chrono::steady_clock::now();
  request.on_progress = [&](int64_t done, int64_t total) {
    if (!bar)
      bar = std::make_unique<ProgressBar>(progress, std::filesystem::path(input).filename().string(), total);
    if (done > 0)
      bar->Update(done, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return Status::Ok();
  };
  VideoSummary summary = TrackVideo(request, engines, std::move(opened));
  if (bar) bar->Finish();
  if (!summary.error.empty()) {
    std::lock_guard lock(*request.stdout_mutex);
    std::cerr << "handtrack: " << summary.error << "\n";
  }
  return summary;
}

// Batching pays on a device backend only: there, by default, every job's hands fit one batch.
int DefaultBatch(const TrackSettings& settings, int jobs, bool on_device) {
  if (jobs <= 1 || !on_device) return 1;
  return static_cast<int>(
      std::bit_ceil(static_cast<unsigned>(std::min(64, jobs * settings.landmarker.num_hands))));
}

}  // namespace

int RunTrack(std::span<const std::string> arguments) {
  const double began_at = SecondsSinceProcessStart();  // after the dynamic loader and static set-up
  auto args = ParseLandmarkerCommandArgs(arguments, kTrackOptions, "track");
  if (!args.ok()) return Fail(args.status().message(), kExitUsage);
  if (args->Has("--help") || args->Has("-h")) {
    std::cout << kHelp;
    return kExitOk;
  }
  auto settings = ParseSettings(*args);
  if (!settings.ok()) return Fail(settings.status().message(), kExitUsage);
  const size_t n = settings->inputs.size();
  if (n > 1 && settings->output == "-" && settings->format != TrackFormat::kJsonLines) {
    return Fail("--format csv or golden with several inputs needs --output FOLDER", kExitUsage);
  }
  for (const std::string* folder : {&settings->output, &settings->overlay}) {
    if (n > 1 && !folder->empty() && *folder != "-") {
      std::error_code ec;
      std::filesystem::create_directories(*folder, ec);
      if (ec) return Fail("failed to create folder " + *folder + ": " + ec.message(), kExitFailed);
    }
  }

  // Jobs share the thread budget: never more inference threads than --threads in all.
  const int jobs = std::min<int>(settings->jobs, static_cast<int>(n));
  HandEngineOptions engine_options;
  engine_options.model = settings->landmarker.model;
  engine_options.model.num_threads = std::max(1, settings->landmarker.model.num_threads / jobs);
  // Each engine batches the jobs it serves: with --gpus, its share of them.
  const int engines_count = std::max<int>(1, static_cast<int>(settings->gpus.size()));
  const bool on_device = ModelsRunOnDevice(settings->landmarker.model.delegate, !settings->gpus.empty());
  // Pictures stay on the GPU for models that read them there; for the CPU they come as RGB.
  settings->frames_on_gpu = settings->frames_on_gpu && on_device;
  engine_options.max_batch =
      settings->batch > 0 ? settings->batch
                          : DefaultBatch(*settings, (jobs + engines_count - 1) / engines_count, on_device);
  const BatchPolicy policy = DefaultBatchPolicy(engine_options.max_batch, on_device);
  engine_options.batch_wait_us = settings->batch_wait_us.value_or(policy.batch_wait_us);
  engine_options.max_concurrent_runs = settings->max_concurrent_runs.value_or(policy.max_concurrent_runs);
  engine_options.batch_step = settings->batch_step.value_or(policy.batch_step);
  engine_options.warm_up = settings->warm_up.value_or(policy.warm_up);
  if (settings->frames_per_call == 0) {
    settings->frames_per_call = DefaultFramesPerCall(engine_options.max_batch, on_device);
  }
  std::vector<VideoSummary> summaries(n);
  std::mutex stdout_mutex;
  // A take-over is said at once, one line, as the other per-input messages.
  const auto say = [&stdout_mutex](const std::string& line) {
    std::lock_guard lock(stdout_mutex);
    std::cerr << "handtrack: " << line << "\n";
  };
  Result<EnginePoolOptions> pool_options = MakeEnginePoolOptions(engine_options, settings->gpus, say);
  if (!pool_options.ok()) return Fail(pool_options.status().message(), kExitUsage);
  // The engine starts on a thread of its own while the jobs open their first inputs, on its
  // GPU: NVDEC makes each video's decoder there, one at a time (about 55 ms each on an H100), so
  // 16 videos opened after the engine's start (0.3 s) began their tracking up to 0.9 s after it
  // (docs/CUDA.md). With several engines (--gpus) a video's GPU is known only once the pool
  // places it, so the videos open after the engine.
  const std::optional<int> open_ahead_device = pool_options->engines.size() == 1
                                                   ? std::optional<int>(pool_options->engines[0].model.device)
                                                   : std::nullopt;
  double engine_start_at = 0;
  double engine_ready_at = 0;  // both read once the engine is made (engine_made.get())
  const std::shared_future<Result<std::shared_ptr<EnginePool>>> engine_made =
      std::async(std::launch::async, [&] {
        engine_start_at = SecondsSinceProcessStart();
        auto made = EnginePool::Create(*pool_options);
        engine_ready_at = SecondsSinceProcessStart();
        return made;
      }).share();
  std::atomic<size_t> next{0};
  auto worker = [&] {
    bool first = true;
    for (size_t i = next++; i < n; i = next++) {
      TrackVideoRequest request = MakeTrackRequest(settings->inputs[i], *settings, &stdout_mutex);
      std::optional<OpenedVideo> opened;
      if (first && open_ahead_device.has_value()) opened.emplace(OpenTrackVideo(request, *open_ahead_device));
      first = false;
      const Result<std::shared_ptr<EnginePool>>& engine = engine_made.get();
      if (!engine.ok()) return;  // every input's summary says why, below
      summaries[i] =
          TrackOne(std::move(request), *engine, settings->progress && jobs == 1, std::move(opened));
    }
  };
  {
    std::vector<std::thread> pool;
    for (int j = 1; j < jobs; ++j) pool.emplace_back(worker);
    worker();
    for (std::thread& t : pool) t.join();
  }
  const Result<std::shared_ptr<EnginePool>>& engine = engine_made.get();
  if (!engine.ok()) {
    // No models, no inputs: one message, and every input's summary says why.
    for (size_t i = 0; i < n; ++i) {
      summaries[i].input = settings->inputs[i];
      summaries[i].error = engine.status().message();
    }
    Fail(engine.status().message(), kExitFailed);
  }
  const double jobs_done_at = SecondsSinceProcessStart();

  bool any_failed = false;
  Json all = Json::array();
  for (const VideoSummary& s : summaries) {
    any_failed |= !s.error.empty();
    all.push_back(s.ToJson());
  }
  if (!settings->summary.empty()) {
    Json summary = n == 1 ? all[0] : Json{{"videos", all}};
    if (engine.ok()) {
      // How the shared engine batched the jobs' frames (model runs, frames, fullest batch); with
      // --gpus, all engines together, and each engine's share and the take-overs under "engines".
      const EnginePoolStats pool = (*engine)->stats();
      const HandEngineStats stats = pool.Total();
      const auto model_json = [](const EngineModelStats& m) {
        return Json{{"runs", m.runs},
                    {"frames", m.frames},
                    {"slots", m.slots},
                    {"max_frames_per_run", m.max_frames_per_run},
                    {"instances", m.instances},
                    {"run_seconds", m.run_seconds},
                    {"queue_seconds", m.queue_seconds},
                    {"device_seconds", m.device_seconds},
                    {"max_concurrent_runs", m.max_concurrent_runs},
                    {"copy_seconds", m.copy_seconds},
                    {"launch_seconds", m.launch_seconds},
                    {"wait_seconds", m.wait_seconds},
                    {"calls", m.calls},
                    {"call_seconds", m.call_seconds}};
      };
      summary["engine"] = {{"palm", model_json(stats.palm)},
                           {"landmarks", model_json(stats.landmarks)},
                           {"start_seconds", Milliseconds(engine_ready_at - engine_start_at)}};
      if (pool.engines.size() > 1) summary["engines"] = EnginePoolJson(pool);
    }
    // Where the run's steps lie, in seconds since the process started (before main: the
    // dynamic loader); the time after "summary" (the engine freed, CUDA's and the process's
    // end) can only be measured from outside.
    summary["process_seconds"] = {{"track", Milliseconds(began_at)},
                                  {"engine_start", Milliseconds(engine_start_at)},
                                  {"engine_ready", Milliseconds(engine_ready_at)},
                                  {"jobs_done", Milliseconds(jobs_done_at)},
                                  {"summary", Milliseconds(SecondsSinceProcessStart())}};
    std::ofstream out(settings->summary, std::ios::trunc);
    out << summary.dump(1) << "\n";
    if (!out) return Fail("failed to write summary " + settings->summary, kExitFailed);
  }
  return any_failed ? kExitFailed : kExitOk;
}

}  // namespace handtrack::cli
