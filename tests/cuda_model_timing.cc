// Standalone timing of the four hand models on one delegate (default cuda),
// for machines where the CLI's image and video libraries are missing (the lent
// GPU machine): ModelRunner::Run, i.e. host copies in, the segment's CUDA
// graph replay, host copies out. Links only libhandtrack; prints one row per
// model: compile time, first run, and the median / 10th / 90th percentile /
// minimum of many runs.
//
//   cuda_model_timing [--delegate NAME] [--iters N] [--warmup N]   (models: $HANDTRACK_MODELS)
//                     [--batch N,...] [--precision fp32|fp16,...] [--model NAME,...]
//                     [--cuda-setting KEY=VALUE ...] [--concurrent K]
//
// With --batch (or --precision), each model is timed at every batch and
// precision (ModelRunner::Options), and the rows gain batch, precision,
// frames_per_s (batch * 1000 / median_ms), and the median device time of the
// kernels alone (ModelRunner::last_run_device_ms: host copies excluded, as the
// PyTorch peer, whose inputs stay on the device) with its frames/s.
// --cuda-setting (repeatable) goes into ModelRunner::Options::backend_settings,
// e.g. cuda.fusion=0 (every node its own kernel) or cuda.tensor_cores=0.
// --concurrent K (K > 1) times K runners of the batch at once instead, each replaying its
// kernels-only graph on its own stream from its own thread: one row per model, batch and
// precision with the wall time of all K's replays (`concurrent_ms` per replay round) and
// frames/s over all of them, i.e. whether K independent runs fill the GPU better than one
// K times as large.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "handtrack/models.h"

namespace {

using Clock = std::chrono::steady_clock;

// --cuda-setting KEY=VALUE, for every runner.
std::map<std::string, std::string> backend_settings;

double MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

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

// A runner of the model `name` ($HANDTRACK_MODELS) at `batch` and `precision`, with --cuda-setting;
// null after printing why it could not be made.
std::unique_ptr<handtrack::ModelRunner> CreateRunner(const std::string& name, handtrack::Delegate delegate,
                                                     int batch, handtrack::Precision precision) {
  handtrack::ModelRunner::Options options;
  options.delegate = delegate;
  options.batch = batch;
  options.precision = precision;
  options.backend_settings = backend_settings;
  auto runner =
      handtrack::ModelRunner::Create(handtrack::ResolveModelDir("") + "/" + name + ".tflite", options);
  if (!runner.ok()) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), runner.status().message().c_str());
    return nullptr;
  }
  return std::move(*runner);
}

int TimeModel(const std::string& name, handtrack::Delegate delegate, int warmup, int iters, int batch = 1,
              handtrack::Precision precision = handtrack::Precision::kFp32, bool batch_columns = false) {
  const Clock::time_point create_start = Clock::now();
  const std::unique_ptr<handtrack::ModelRunner> runner = CreateRunner(name, delegate, batch, precision);
  const double create_ms = MillisecondsSince(create_start);
  if (runner == nullptr) return 1;
  std::mt19937 random(1);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  for (int i = 0; i < runner->num_inputs(); ++i) {
    for (float& value : runner->input(i)) value = unit(random);
  }
  std::vector<double> ms, device_ms;
  for (int i = 0; i < warmup + iters; ++i) {
    const Clock::time_point start = Clock::now();
    const handtrack::Status status = runner->Run();
    if (!status.ok()) {
      std::fprintf(stderr, "%s: %s\n", name.c_str(), status.message().c_str());
      return 1;
    }
    ms.push_back(MillisecondsSince(start));
  }
  // Kernels alone, 5 rounds of iters/5 replays (at least 1 each).
  for (int round = 0; round < 5; ++round) {
    auto device = runner->TimeDeviceKernels(std::max(1, iters / 5));
    if (!device.ok()) {
      std::fprintf(stderr, "%s: %s\n", name.c_str(), device.status().message().c_str());
      return 1;
    }
    if (device->has_value()) device_ms.push_back(**device);
  }
  const double first_ms = ms.front();
  ms.erase(ms.begin(), ms.begin() + warmup);
  std::sort(ms.begin(), ms.end());
  auto at = [&](double fraction) { return ms[static_cast<size_t>(fraction * (ms.size() - 1))]; };
  std::printf("%-20s %-9s %10.2f %9.3f %9.3f %9.3f %9.3f %9.3f", name.c_str(),
              handtrack::DelegateName(delegate).c_str(), create_ms, first_ms, at(0.5), at(0.1), at(0.9),
              ms.front());
  if (batch_columns) {
    std::printf(" %6d %-9s %12.1f", batch, handtrack::PrecisionName(precision), batch * 1000.0 / at(0.5));
    // Kernels alone (inputs already on the device), as the PyTorch peer times itself.
    if (!device_ms.empty()) {
      std::sort(device_ms.begin(), device_ms.end());
      const double device_median = device_ms[device_ms.size() / 2];
      std::printf(" %12.3f %15.1f", device_median, batch * 1000.0 / device_median);
    } else {
      std::printf(" %12s %15s", "-", "-");
    }
  }
  std::printf("\n");
  return 0;
}

// K runners of `batch` frames replaying their kernels at once (see --concurrent).
int TimeConcurrent(const std::string& name, handtrack::Delegate delegate, int iters, int batch,
                   handtrack::Precision precision, int concurrent) {
  std::vector<std::unique_ptr<handtrack::ModelRunner>> runners;
  for (int k = 0; k < concurrent; ++k) {
    std::unique_ptr<handtrack::ModelRunner> runner = CreateRunner(name, delegate, batch, precision);
    if (runner == nullptr) return 1;
    if (!runner->Run().ok() || !runner->TimeDeviceKernels(3).ok()) {  // captures the graph
      std::fprintf(stderr, "%s: failed to warm up runner %d\n", name.c_str(), k);
      return 1;
    }
    runners.push_back(std::move(runner));
  }
  std::vector<double> round_ms;
  for (int round = 0; round < 5; ++round) {
    std::vector<std::thread> threads;
    std::vector<char> ok(concurrent, 0);
    const Clock::time_point start = Clock::now();
    for (int k = 0; k < concurrent; ++k) {
      threads.emplace_back([&, k] {
        const auto replayed = runners[k]->TimeDeviceKernels(std::max(1, iters / 5));
        ok[k] = replayed.ok() && replayed->has_value();  // nullopt: nothing ran on a GPU
      });
    }
    for (std::thread& thread : threads) thread.join();
    round_ms.push_back(MillisecondsSince(start) / std::max(1, iters / 5));
    if (std::find(ok.begin(), ok.end(), 0) != ok.end()) {
      std::fprintf(stderr, "%s: a concurrent replay failed or ran nothing on a GPU\n", name.c_str());
      return 1;
    }
  }
  std::sort(round_ms.begin(), round_ms.end());
  const double median = round_ms[round_ms.size() / 2];
  std::printf("%-20s %-9s concurrent %d x batch %d %-5s concurrent_ms %.3f frames_per_s %.1f\n", name.c_str(),
              handtrack::DelegateName(delegate).c_str(), concurrent, batch,
              handtrack::PrecisionName(precision), median, concurrent * batch * 1000.0 / median);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  handtrack::Delegate delegate = handtrack::Delegate::kCuda;
  int iters = 2000, warmup = 100;
  bool batch_columns = false;
  int concurrent = 1;
  std::vector<int> batches = {1};
  std::vector<handtrack::Precision> precisions = {handtrack::Precision::kFp32};
  std::vector<std::string> models = {"palm_detection_full", "palm_detection_lite", "hand_landmark_full",
                                     "hand_landmark_lite"};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--iters") == 0) {
      iters = std::max(1, std::atoi(argv[i + 1]));
    } else if (std::strcmp(argv[i], "--warmup") == 0) {
      warmup = std::max(0, std::atoi(argv[i + 1]));
    } else if (std::strcmp(argv[i], "--delegate") == 0) {
      auto parsed = handtrack::ParseDelegate(argv[i + 1]);
      if (!parsed.ok()) {
        std::fprintf(stderr, "%s\n", parsed.status().message().c_str());
        return 2;
      }
      delegate = *parsed;
    } else if (std::strcmp(argv[i], "--batch") == 0) {
      batch_columns = true;
      batches.clear();
      for (const std::string& item : Split(argv[i + 1]))
        batches.push_back(std::max(1, std::atoi(item.c_str())));
    } else if (std::strcmp(argv[i], "--precision") == 0) {
      batch_columns = true;
      precisions.clear();
      for (const std::string& item : Split(argv[i + 1])) {
        auto parsed = handtrack::ParsePrecision(item);
        if (!parsed.ok()) {
          std::fprintf(stderr, "%s\n", parsed.status().message().c_str());
          return 2;
        }
        precisions.push_back(*parsed);
      }
    } else if (std::strcmp(argv[i], "--concurrent") == 0) {
      concurrent = std::max(1, std::atoi(argv[i + 1]));
    } else if (std::strcmp(argv[i], "--model") == 0) {
      models = Split(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--cuda-setting") == 0) {
      const std::string setting = argv[i + 1];
      const size_t equals = setting.find('=');
      if (equals == std::string::npos || equals == 0) {
        std::fprintf(stderr, "--cuda-setting %s: expected KEY=VALUE, e.g. cuda.fusion=0\n", setting.c_str());
        return 2;
      }
      backend_settings[setting.substr(0, equals)] = setting.substr(equals + 1);
    } else {
      std::fprintf(stderr,
                   "usage: %s [--delegate NAME] [--iters N] [--warmup N] [--batch N,...] "
                   "[--precision P,...] [--model NAME,...] [--cuda-setting KEY=VALUE ...] [--concurrent K]\n",
                   argv[0]);
      return 2;
    }
  }
  if (concurrent == 1) {  // --concurrent rows name their own columns
    std::printf("%-20s %-9s %10s %9s %9s %9s %9s %9s", "model", "delegate", "create_ms", "first_ms",
                "median_ms", "p10_ms", "p90_ms", "min_ms");
    if (batch_columns) {
      std::printf(" %6s %-9s %12s %12s %15s", "batch", "precision", "frames_per_s", "device_ms",
                  "device_frames_s");
    }
    std::printf("\n");
  }
  int failures = 0;
  for (const std::string& name : models) {
    for (handtrack::Precision precision : precisions) {
      for (int batch : batches) {
        failures += concurrent > 1
                        ? TimeConcurrent(name, delegate, iters, batch, precision, concurrent)
                        : TimeModel(name, delegate, warmup, iters, batch, precision, batch_columns);
      }
    }
  }
  return failures == 0 ? 0 : 1;
}
