// Standalone timing of the four hand models on one delegate (default cuda),
// for machines where the CLI's image and video libraries are missing (the lent
// GPU machine): ModelRunner::Run, i.e. host copies in, the segment's CUDA
// graph replay, host copies out. Links only libhandtrack; prints one row per
// model: compile time, first run, and the median / 10th / 90th percentile /
// minimum of many runs.
//
//   cuda_model_timing [--delegate NAME] [--iters N] [--warmup N]   (models: $HANDTRACK_MODELS)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "handtrack/models.h"

namespace {

using Clock = std::chrono::steady_clock;

double MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

int TimeModel(const std::string& name, handtrack::Delegate delegate, int warmup, int iters) {
  const std::string path = handtrack::ResolveModelDir("") + "/" + name + ".tflite";
  const Clock::time_point create_start = Clock::now();
  auto runner = handtrack::ModelRunner::Create(path, delegate, 1);
  const double create_ms = MillisecondsSince(create_start);
  if (!runner.ok()) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), runner.status().message().c_str());
    return 1;
  }
  std::mt19937 random(1);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  for (int i = 0; i < (*runner)->num_inputs(); ++i) {
    for (float& value : (*runner)->input(i)) value = unit(random);
  }
  std::vector<double> ms;
  for (int i = 0; i < warmup + iters; ++i) {
    const Clock::time_point start = Clock::now();
    const handtrack::Status status = (*runner)->Run();
    if (!status.ok()) {
      std::fprintf(stderr, "%s: %s\n", name.c_str(), status.message().c_str());
      return 1;
    }
    ms.push_back(MillisecondsSince(start));
  }
  const double first_ms = ms.front();
  ms.erase(ms.begin(), ms.begin() + warmup);
  std::sort(ms.begin(), ms.end());
  auto at = [&](double fraction) { return ms[static_cast<size_t>(fraction * (ms.size() - 1))]; };
  std::printf("%-20s %-9s %10.2f %9.3f %9.3f %9.3f %9.3f %9.3f\n", name.c_str(),
              handtrack::DelegateName(delegate), create_ms, first_ms, at(0.5), at(0.1), at(0.9), ms.front());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  handtrack::Delegate delegate = handtrack::Delegate::kCuda;
  int iters = 2000, warmup = 100;
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
    } else {
      std::fprintf(stderr, "usage: %s [--delegate NAME] [--iters N] [--warmup N]\n", argv[0]);
      return 2;
    }
  }
  std::printf("%-20s %-9s %10s %9s %9s %9s %9s %9s\n", "model", "delegate", "create_ms", "first_ms",
              "median_ms", "p10_ms", "p90_ms", "min_ms");
  int failures = 0;
  for (const char* name :
       {"palm_detection_full", "palm_detection_lite", "hand_landmark_full", "hand_landmark_lite"}) {
    failures += TimeModel(name, delegate, warmup, iters);
  }
  return failures == 0 ? 0 : 1;
}
