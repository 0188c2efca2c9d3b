// Google Benchmark: each model's inference and a whole IMAGE-mode Detect, per
// available backend, with 1 and 2 threads.
//   handtrack_bench [--benchmark_filter=...]   (HANDTRACK_BENCH_IMAGE=photo.jpg to pick the photo)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <random>

#include "handtrack/hand_landmarker.h"
#include "handtrack/image_io.h"

namespace {

using handtrack::Delegate;

void BM_Model(benchmark::State& state, std::string model, Delegate delegate) {
  const int threads = static_cast<int>(state.range(0));
  auto runner = handtrack::ModelRunner::Create(handtrack::ResolveModelDir("") + "/" + model + ".tflite",
                                               delegate, threads);
  if (!runner.ok()) {
    state.SkipWithError(runner.status().message().c_str());
    return;
  }
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (float& v : (*runner)->input(0)) v = uniform(rng);
  for (auto _ : state) {
    if (!(*runner)->Run().ok()) state.SkipWithError("run failed");
  }
}

void BM_Detect(benchmark::State& state, Delegate delegate) {
  const char* env = std::getenv("HANDTRACK_BENCH_IMAGE");
  const std::string path =
      env ? env : std::string(HANDTRACK_SHARED_DIR) + "/data/hands/images/count_one_index_up_webcam_01.jpg";
  auto image = handtrack::ReadImageFile(path);
  if (!image.ok()) {
    state.SkipWithError(image.status().message().c_str());
    return;
  }
  handtrack::HandLandmarkerOptions options;
  options.num_hands = 2;
  options.model.delegate = delegate;
  options.model.num_threads = static_cast<int>(state.range(0));
  auto landmarker = handtrack::HandLandmarker::Create(options);
  if (!landmarker.ok()) {
    state.SkipWithError(landmarker.status().message().c_str());
    return;
  }
  int64_t hands = 0;
  for (auto _ : state) {
    auto result = (*landmarker)->Detect(image->view());
    if (!result.ok()) state.SkipWithError("detect failed");
    hands = result.ok() ? static_cast<int64_t>(result->hands.size()) : 0;
  }
  state.counters["hands"] = static_cast<double>(hands);
  state.SetLabel(std::to_string(image->width()) + "x" + std::to_string(image->height()));
}

void RegisterAll() {
  for (const handtrack::BackendInfo& info : handtrack::ListBackends()) {
    if (!info.available) continue;
    const Delegate delegate = handtrack::ParseDelegate(info.name).value();
    for (const char* model :
         {"palm_detection_full", "hand_landmark_full", "palm_detection_lite", "hand_landmark_lite"}) {
      benchmark::RegisterBenchmark(("model/" + std::string(model) + "/" + info.name).c_str(), BM_Model, model,
                                   delegate)
          ->Arg(1)
          ->Arg(2)
          ->ArgName("threads")
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
    benchmark::RegisterBenchmark(("detect/" + info.name).c_str(), BM_Detect, delegate)
        ->Arg(1)
        ->Arg(2)
        ->ArgName("threads")
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
