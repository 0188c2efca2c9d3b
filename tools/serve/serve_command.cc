// handtrack serve: the HTTP API over SQLite (default) or PostgreSQL, with in-process
// workers. handtrack worker: workers alone, on any machine that reaches the database.
#include <signal.h>
#include <unistd.h>

#include <bit>
#include <boost/asio/ip/address.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "cli_args.h"
#include "commands.h"
#include "engine_pool_options.h"
#include "runner.h"
#include "server.h"
#include "static_files.h"
#include "store.h"
#include "track_session.h"

namespace handtrack::cli {
namespace {

constexpr char kServeHelp[] = R"(usage: handtrack serve [options]

Serves the handtrack API (docs/SERVICE.md): recorded sessions uploaded, queued in a
database and tracked as `handtrack track` does; photos as `handtrack detect` does; live
frames over a WebSocket; /healthz, /readyz, /metrics, /openapi.json; and the web app
(live practice, sessions and their charts: docs/WEBAPP.md) at /.

options:
  --listen HOST:PORT        address to listen on (default 127.0.0.1:8080; port 0: any)
  --data DIR                everything the server writes (default ./handtrack-data)
  --db ADDRESS              postgresql://... (libpq URI) or an SQLite file
                            (default DIR/handtrack.db)
  --token TOKEN             bearer token required on every route but /healthz,
                            /readyz and the web app's files (default $HANDTRACK_TOKEN);
                            needed to listen on a non-loopback address
  --web-root DIR            the web app served at / (docs/WEBAPP.md; default: the installed
                            share/handtrack/web, else the source tree's web/build/app)
  --workers N               sessions processed at once in this process, 0..64 (default 1;
                            0: only `handtrack worker` processes work)
  --threads N               inference threads in all, split between the workers (default 1)
  --delegate D, --device N, --models DIR   as for track
  --batch-wait-us U         with batching (several workers on a GPU), most microseconds a
                            frame waits for a fuller batch, as track's (default 250 when
                            batching on a GPU, else 2000)
  --max-concurrent-runs K   most runs of each model at once (detect and live requests
                            included), as track's (default 2 when batching on a GPU, else
                            0: no cap)
  --batch-step S            the batch sizes runs take, as track's (default 4 when batching
                            on a GPU, else 0: powers of two)
  --warm-up on|off          make every interpreter those options can use at start, as
                            track's (default on when batching on a GPU, else off)
  --gpus all|N,N,...        one engine per GPU, sessions spread over them and moved off a
                            GPU that fails (to another, else the CPU), as track --gpus
  --hwaccel auto|cuda|none  where the workers decode videos, as for track (default auto
                            with --delegate cuda, else none); cuda fails every session on
                            a machine without NVDEC, auto falls back to the CPU and logs why
  --max-upload-mb N         largest video upload (default 256)
  --max-image-mb N          largest /v1/detect photo and live frame (default 16)
  --max-video-seconds N     longest video (default 1800)
  --max-pixels N            largest frame (default 3840x2160)
  --request-timeout S       idle seconds allowed within a request (default 30)
  --max-uploads N           uploads at once (default 32)
  --max-connections N       connections at once (default 256)
  --max-sockets N           /v1/live sockets at once (default 16)
  --lease-seconds S         job lease, renewed every second while processing (default 30)
  --max-attempts N          attempts of a job whose worker died or stalled before it fails
                            (default 3; a worker restarted with the same folder or --name
                            gives its jobs back uncounted, up to 20 times per job)
  -h, --help                this help
)";

constexpr char kWorkerHelp[] = R"(usage: handtrack worker --db ADDRESS [options]

Processes the sessions queued by `handtrack serve` in the database at ADDRESS
(postgresql://..., or the server's SQLite file on the same machine). The videos and
results travel through the database: no shared folder is needed.

options:
  --db ADDRESS              the database (required)
  --data DIR                working folder for videos being processed, one process's
                            alone (default ./handtrack-worker)
  --workers N               sessions at once, 1..64 (default 1)
  --threads N               inference threads in all (default 1)
  --delegate D, --device N, --models DIR   as for track
  --batch-wait-us U, --max-concurrent-runs K, --batch-step S, --warm-up on|off   as for serve
  --gpus all|N,N,...        one engine per GPU listed (all: every usable one), sessions
                            spread over them; a session whose GPU fails goes on on another
                            GPU, or the CPU when none is left, logged with the count
  --hwaccel auto|cuda|none  where videos are decoded, as for serve
  --lease-seconds S         job lease, renewed every second while processing (default 30)
  --max-pixels N            largest frame (default 3840x2160)
  --name NAME               this worker's name in the database, unique among the workers
                            (default HOST:ID, the ID kept in --data: a restarted worker
                            takes back the jobs it held, their attempts not counted)
  -h, --help                this help
)";

constexpr OptionSpec kServeOptions[] = {
    {"--listen", true},
    {"--data", true},
    {"--db", true},
    {"--token", true},
    {"--web-root", true},
    {"--workers", true},
    {"--threads", true},
    {"--batch-wait-us", true},
    {"--max-concurrent-runs", true},
    {"--batch-step", true},
    {"--warm-up", true},
    {"--delegate", true},
    {"--device", true},
    {"--gpus", true},
    {"--models", true},
    {"--hwaccel", true},
    {"--max-upload-mb", true},
    {"--max-image-mb", true},
    {"--max-video-seconds", true},
    {"--max-pixels", true},
    {"--request-timeout", true},
    {"--max-uploads", true},
    {"--max-connections", true},
    {"--max-sockets", true},
    {"--lease-seconds", true},
    {"--max-attempts", true},
    {"--help", false},
    {"-h", false},
};

constexpr OptionSpec kWorkerOptions[] = {
    {"--db", true},         {"--data", true},    {"--workers", true},       {"--threads", true},
    {"--delegate", true},   {"--models", true},  {"--hwaccel", true},       {"--lease-seconds", true},
    {"--max-pixels", true}, {"--name", true},    {"--help", false},         {"-h", false},
    {"--device", true},     {"--gpus", true},    {"--batch-wait-us", true}, {"--max-concurrent-runs", true},
    {"--batch-step", true}, {"--warm-up", true},
};

std::mutex log_mutex;
void Log(const std::string& command, const std::string& line) {
  std::lock_guard lock(log_mutex);
  std::cerr << "handtrack " << command << ": " << line << std::endl;
}

// The engine settings both commands share; the threads budget is split between workers, and
// with --gpus (*gpus) the workers between the engines. *models_on_device: whether the models run
// on a GPU (ModelsRunOnDevice, which probes the backends: asked once).
Result<HandEngineOptions> EngineOptions(const ParsedArgs& args, int workers, std::vector<int>* gpus,
                                        bool* models_on_device) {
  HandEngineOptions options;
  HT_RETURN_IF_ERROR(ReadDelegateAndDevice(args, &options.model));
  HT_ASSIGN_OR_RETURN(*gpus, ReadGpus(args, options.model));
  int threads = 1;
  HT_RETURN_IF_ERROR(ReadOption(
      args, "--threads", [](const std::string& t) { return ParseIntOption("--threads", t, 1, 64); },
      &threads));
  options.model.num_threads = std::max(1, threads / std::max(1, workers));
  options.model.model_dir = args.Value("--models").value_or("");
  HT_RETURN_IF_ERROR(ApplyEnvironmentHooks(&options.model.inject_faults, &options.model.backend_settings));
  // As track --jobs: batching across the workers' videos pays on a device backend only.
  const bool on_device = ModelsRunOnDevice(options.model.delegate, !gpus->empty());
  *models_on_device = on_device;
  const int engines = std::max<int>(1, static_cast<int>(gpus->size()));
  const int per_engine = (workers + engines - 1) / engines;
  options.max_batch =
      on_device && per_engine > 1
          ? static_cast<int>(std::bit_ceil(static_cast<unsigned>(std::min(64, per_engine * 2))))
          : 1;
  // Interpreters (each with its activations) per model: one per worker plus one per core
  // for /v1/detect and live sockets; more callers wait for a free one instead of each
  // making its own (64 concurrent photos would otherwise mean 64 interpreters).
  const int cores = static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
  options.max_instances = std::max(1, workers) + cores;
  const BatchPolicy policy = DefaultBatchPolicy(options.max_batch, on_device);
  options.batch_wait_us = policy.batch_wait_us;
  options.max_concurrent_runs = policy.max_concurrent_runs;
  options.batch_step = policy.batch_step;
  options.warm_up = policy.warm_up;
  HT_RETURN_IF_ERROR(ReadBatchPolicyOptions(args, &options.batch_wait_us, &options.max_concurrent_runs,
                                            &options.batch_step, &options.warm_up));
  return options;
}

Status ReadInt64(const ParsedArgs& args, std::string_view name, int64_t min, int64_t max, int64_t scale,
                 int64_t* value) {
  const auto text = args.Value(name);
  if (!text) return Status::Ok();
  char* end = nullptr;
  const long long v = std::strtoll(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0' || v < min || v > max) {
    return InvalidArgumentError(std::string(name) + " must be an integer from " + std::to_string(min) +
                                " to " + std::to_string(max) + ", got '" + *text + "'");
  }
  *value = v * scale;
  return Status::Ok();
}

Status ReadInt(const ParsedArgs& args, std::string_view name, int min, int max, int* value) {
  int64_t v = *value;
  HT_RETURN_IF_ERROR(ReadInt64(args, name, min, max, 1, &v));
  *value = static_cast<int>(v);
  return Status::Ok();
}

// Blocks SIGINT and SIGTERM in every thread; one thread waits for them and calls `stop`.
std::thread SignalThread(std::function<void()> stop) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return std::thread([set, stop = std::move(stop)] {
    int sig = 0;
    sigwait(&set, &sig);
    stop();
  });
}

}  // namespace

int RunServe(std::span<const std::string> arguments) {
  auto args = ParseArgs(arguments, kServeOptions, "serve");
  if (!args.ok()) return Fail(args.status().message(), kExitUsage);
  if (args->Has("--help") || args->Has("-h")) {
    std::cout << kServeHelp;
    return kExitOk;
  }
  if (!args->positional().empty())
    return Fail("serve takes no arguments, got '" + args->positional()[0] + "'", kExitUsage);
  serve::ServerOptions options;
  const std::string listen = args->Value("--listen").value_or("127.0.0.1:8080");
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return Fail("--listen must be HOST:PORT, got '" + listen + "'", kExitUsage);
  options.host = listen.substr(0, colon);
  if (options.host.size() > 2 && options.host.front() == '[' && options.host.back() == ']') {
    options.host = options.host.substr(1, options.host.size() - 2);
  }
  auto port = ParseIntOption("--listen's port", listen.substr(colon + 1), 0, 65535);
  if (!port.ok()) return Fail(port.status().message(), kExitUsage);
  options.port = *port;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(options.host, ec);
  if (ec) return Fail("--listen must be IP:PORT, got '" + listen + "'", kExitUsage);
  options.data_dir = args->Value("--data").value_or("handtrack-data");
  if (options.data_dir.empty()) return Fail("--data needs a folder", kExitUsage);
  options.db =
      args->Value("--db").value_or((std::filesystem::path(options.data_dir) / "handtrack.db").string());
  const char* env_token = std::getenv("HANDTRACK_TOKEN");
  options.token = args->Value("--token").value_or(env_token ? env_token : "");
  if (!address.is_loopback() && options.token.empty()) {
    return Fail("refusing to listen on " + listen + " without a token: set --token or HANDTRACK_TOKEN",
                kExitUsage);
  }
  if (auto web_root = args->Value("--web-root")) {
    std::error_code fec;
    if (!std::filesystem::is_regular_file(std::filesystem::path(*web_root) / "index.html", fec)) {
      return Fail("--web-root must be a folder holding the web app's index.html, got '" + *web_root + "'",
                  kExitUsage);
    }
    options.web_root = *web_root;
  } else {
    options.web_root = serve::DefaultWebRoot();
  }
  int workers = 1;
  int64_t lease_ms = 30000;
  Status parsed = ReadInt(*args, "--workers", 0, 64, &workers);
  if (parsed.ok())
    parsed = ReadInt64(*args, "--max-upload-mb", 1, 1 << 20, 1 << 20, &options.max_upload_bytes);
  if (parsed.ok()) parsed = ReadInt64(*args, "--max-image-mb", 1, 1024, 1 << 20, &options.max_image_bytes);
  if (parsed.ok())
    parsed = ReadInt64(*args, "--max-video-seconds", 1, 86400 * 7, 1000, &options.max_video_ms);
  if (parsed.ok()) parsed = ReadInt64(*args, "--max-pixels", 1, 1'000'000'000, 1, &options.max_pixels);
  if (parsed.ok()) parsed = ReadInt(*args, "--request-timeout", 1, 3600, &options.request_timeout_s);
  if (parsed.ok()) parsed = ReadInt(*args, "--max-uploads", 1, 10000, &options.max_uploads);
  if (parsed.ok()) parsed = ReadInt(*args, "--max-connections", 1, 100000, &options.max_connections);
  if (parsed.ok()) parsed = ReadInt(*args, "--max-sockets", 0, 10000, &options.max_sockets);
  if (parsed.ok()) parsed = ReadInt64(*args, "--lease-seconds", 1, 3600, 1000, &lease_ms);
  if (parsed.ok()) parsed = ReadInt(*args, "--max-attempts", 1, 100, &options.max_attempts);
  std::vector<int> gpus;
  bool models_on_device = false;
  auto engine_options = EngineOptions(*args, workers, &gpus, &models_on_device);
  if (parsed.ok()) parsed = engine_options.status();
  Result<HardwareDecode> hwaccel = HardwareDecode::kNone;
  if (parsed.ok())
    hwaccel = HwaccelFromArgs(*args, gpus.empty() ? engine_options->model.delegate : Delegate::kCuda);
  if (parsed.ok()) parsed = hwaccel.status();
  Result<CudaDecodingContext> decoding_context = DecodingContextFromEnvironment();
  if (parsed.ok()) parsed = decoding_context.status();
  Result<bool> frames_on_gpu = FramesOnGpuFromEnvironment();
  if (parsed.ok()) parsed = frames_on_gpu.status();
  if (!parsed.ok()) return Fail(parsed.message(), kExitUsage);

  auto engines = std::make_shared<serve::EngineSet>(*engine_options, gpus,
                                                    [](const std::string& line) { Log("serve", line); });
  std::unique_ptr<serve::Runner> runner;
  if (workers > 0) {
    serve::RunnerOptions runner_options;
    runner_options.db = options.db;
    runner_options.work_dir = (std::filesystem::path(options.data_dir) / "work").string();
    runner_options.threads = workers;
    runner_options.lease_ms = lease_ms;
    runner_options.reader.max_pixels = options.max_pixels;
    runner_options.reader.hardware_decode = *hwaccel;
    runner_options.reader.cuda_decoding_context = *decoding_context;
    runner_options.reader.frames_on_gpu = *frames_on_gpu && models_on_device;
    runner_options.log = [](const std::string& line) { Log("serve", line); };
    runner = std::make_unique<serve::Runner>(runner_options, engines);
  }
  serve::Server server(options, engines, runner.get());
  std::thread signals = SignalThread([&server] { server.Stop(); });
  signals.detach();
  if (Status started = server.Start(); !started.ok()) return Fail(started.message(), kExitFailed);
  Log("serve", "listening on http://" + listen.substr(0, colon) + ":" + std::to_string(server.port()) +
                   " (data " + options.data_dir + ", database " +
                   (serve::IsPostgresAddress(options.db) ? "PostgreSQL" : "SQLite " + options.db) + ", " +
                   std::to_string(workers) + " worker(s)" +
                   (options.token.empty() ? "" : ", token required") + ")");
  Log("serve",
      options.web_root.empty()
          ? std::string("no web app to serve at / (build it with scripts/build_web.sh, or --web-root)")
          : "web app at http://" + listen.substr(0, colon) + ":" + std::to_string(server.port()) + "/ from " +
                options.web_root);
  // Models load while the server already answers /healthz (and /readyz with 503).
  std::thread loader([&] {
    auto engine = engines->Get(ModelVariant::kFull);
    if (!engine.ok()) {
      Log("serve", engine.status().message());
      server.Stop();
      return;
    }
    if (runner) {
      if (Status s = runner->Start(); !s.ok()) {
        Log("serve", s.message());
        server.Stop();
        return;
      }
    }
    server.SetReady(true);
    Log("serve", "ready");
  });
  server.Run();
  loader.join();
  if (runner) runner->Stop();
  Log("serve", "stopped");
  return kExitOk;
}

int RunWorker(std::span<const std::string> arguments) {
  auto args = ParseArgs(arguments, kWorkerOptions, "worker");
  if (!args.ok()) return Fail(args.status().message(), kExitUsage);
  if (args->Has("--help") || args->Has("-h")) {
    std::cout << kWorkerHelp;
    return kExitOk;
  }
  if (!args->positional().empty())
    return Fail("worker takes no arguments, got '" + args->positional()[0] + "'", kExitUsage);
  serve::RunnerOptions options;
  options.db = args->Value("--db").value_or("");
  if (options.db.empty())
    return Fail("worker needs --db ADDRESS (postgresql://... or an SQLite file)", kExitUsage);
  options.work_dir = args->Value("--data").value_or("handtrack-worker");
  options.name = args->Value("--name").value_or("");
  options.log = [](const std::string& line) { Log("worker", line); };
  int workers = 1;
  Status parsed = ReadInt(*args, "--workers", 1, 64, &workers);
  if (parsed.ok()) parsed = ReadInt64(*args, "--lease-seconds", 1, 3600, 1000, &options.lease_ms);
  if (parsed.ok()) parsed = ReadInt64(*args, "--max-pixels", 1, 1'000'000'000, 1, &options.reader.max_pixels);
  std::vector<int> gpus;
  bool models_on_device = false;
  auto engine_options = EngineOptions(*args, workers, &gpus, &models_on_device);
  if (parsed.ok()) parsed = engine_options.status();
  if (parsed.ok()) {
    Result<HardwareDecode> hwaccel =
        HwaccelFromArgs(*args, gpus.empty() ? engine_options->model.delegate : Delegate::kCuda);
    if (hwaccel.ok()) options.reader.hardware_decode = *hwaccel;
    parsed = hwaccel.status();
    Result<CudaDecodingContext> decoding_context = DecodingContextFromEnvironment();
    if (decoding_context.ok()) options.reader.cuda_decoding_context = *decoding_context;
    if (parsed.ok()) parsed = decoding_context.status();
    Result<bool> frames_on_gpu = FramesOnGpuFromEnvironment();
    // As track: NVDEC's pictures stay on the GPU when the models run there.
    if (frames_on_gpu.ok()) options.reader.frames_on_gpu = *frames_on_gpu && models_on_device;
    if (parsed.ok()) parsed = frames_on_gpu.status();
  }
  if (!parsed.ok()) return Fail(parsed.message(), kExitUsage);
  options.threads = workers;
  auto engines = std::make_shared<serve::EngineSet>(*engine_options, gpus,
                                                    [](const std::string& line) { Log("worker", line); });
  if (auto engine = engines->Get(ModelVariant::kFull); !engine.ok())
    return Fail(engine.status().message(), kExitFailed);
  serve::Runner runner(options, engines);
  std::mutex mutex;
  std::condition_variable stopped;
  bool stop = false;
  std::thread signals = SignalThread([&] {
    std::lock_guard lock(mutex);
    stop = true;
    stopped.notify_all();
  });
  signals.detach();
  if (Status s = runner.Start(); !s.ok()) return Fail(s.message(), kExitFailed);
  Log("worker",
      "processing sessions from " +
          (serve::IsPostgresAddress(options.db) ? std::string("PostgreSQL") : "SQLite " + options.db) +
          " with " + std::to_string(workers) + " worker(s)");
  std::unique_lock lock(mutex);
  stopped.wait(lock, [&] { return stop; });
  runner.Stop();
  Log("worker", "stopped");
  return kExitOk;
}

}  // namespace handtrack::cli
