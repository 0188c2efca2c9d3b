// `handtrack detect` for machines without the image libraries (the lent GPU
// machine): HandLandmarker in IMAGE mode on photos pre-decoded by
// raw_image_pack (binary PPM), writing the golden schema of
// ../shared/golden/README.md for ../shared/tools/compare.py. Links only
// libhandtrack. With --time FILE.ppm it also times whole Detect calls on that
// photo (median of --iters after --warmup) and splits their mean time between the models' runs
// (GPU, copies, launch, wait) and the rest of the call (a "detect_split" line).
//
//   cuda_image_detect --images DIR --output JSON [--delegate cuda] [--model full|lite]
//                     [--precision fp32|fp16] [--num-hands 2] [--time FILE.ppm --iters N --warmup N]
//                     [--cuda-setting KEY=VALUE]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "handtrack/hand_engine.h"
#include "handtrack/hand_landmarker.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Ppm {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;
};

bool ReadPpm(const std::string& path, Ppm& ppm) {
  std::ifstream file(path, std::ios::binary);
  std::string magic;
  int max_value = 0;
  file >> magic >> ppm.width >> ppm.height >> max_value;
  file.get();
  if (!file || magic != "P6" || max_value != 255 || ppm.width <= 0 || ppm.height <= 0) return false;
  ppm.pixels.resize(static_cast<size_t>(ppm.width) * ppm.height * 3);
  file.read(reinterpret_cast<char*>(ppm.pixels.data()), static_cast<std::streamsize>(ppm.pixels.size()));
  return static_cast<bool>(file);
}

std::string Num(float value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.7g", value);
  return text;
}

template <typename Point>
std::string Points(const std::array<Point, handtrack::kNumHandLandmarks>& points) {
  std::string out = "[";
  for (size_t i = 0; i < points.size(); ++i) {
    out += (i ? ",[" : "[") + Num(points[i].x) + "," + Num(points[i].y) + "," + Num(points[i].z) + "]";
  }
  return out + "]";
}

std::string FrameJson(int index, const std::string& file, const Ppm& ppm, double ms,
                      const handtrack::HandLandmarkerResult& result) {
  std::string out = "{\"index\":" + std::to_string(index) + ",\"file\":\"" + file +
                    "\",\"width\":" + std::to_string(ppm.width) +
                    ",\"height\":" + std::to_string(ppm.height) +
                    ",\"time_ms\":" + Num(static_cast<float>(ms)) +
                    ",\"num_hands\":" + std::to_string(result.hands.size()) + ",\"hands\":[";
  for (size_t h = 0; h < result.hands.size(); ++h) {
    const handtrack::HandResult& hand = result.hands[h];
    out += (h ? ",{" : "{");
    out += "\"handedness\":{\"label\":\"" + hand.handedness.label +
           "\",\"score\":" + Num(hand.handedness.score) +
           ",\"index\":" + std::to_string(hand.handedness.index) +
           ",\"model_output\":" + Num(hand.handedness.model_output) + "},\"presence\":" + Num(hand.presence) +
           ",\"landmarks\":" + Points(hand.landmarks) +
           ",\"world_landmarks\":" + Points(hand.world_landmarks) + "}";
  }
  return out + "]}";
}

// Where a timed Detect call's time goes, as means per call over the timed calls: each model's
// runs (their wall time, of it on the GPU, and the host's copies, launch calls and wait for the
// stream), and the rest of the call (pre-processing plans, palm decoding, crops, landmark
// projection; the calls' mean less both models' run time).
void PrintSplit(const handtrack::HandEngineStats& before, const handtrack::HandEngineStats& after,
                const std::vector<double>& ms) {
  const double iters = static_cast<double>(ms.size());
  double total_ms = 0;
  for (double value : ms) total_ms += value;
  const auto per_call = [&](double after_seconds, double before_seconds) {
    return (after_seconds - before_seconds) * 1000.0 / iters;
  };
  double models_ms = 0;
  std::string line = "detect_split mean per call:";
  const auto add = [&](const char* name, const handtrack::EngineModelStats& b,
                       const handtrack::EngineModelStats& a) {
    const double run_ms = per_call(a.run_seconds, b.run_seconds);
    models_ms += run_ms;
    char text[256];
    std::snprintf(text, sizeof(text),
                  " %s %.2f runs %.3f ms (gpu %.3f; host copies %.3f, launch %.3f, wait %.3f);", name,
                  static_cast<double>(a.runs - b.runs) / iters, run_ms,
                  per_call(a.device_seconds, b.device_seconds), per_call(a.copy_seconds, b.copy_seconds),
                  per_call(a.launch_seconds, b.launch_seconds), per_call(a.wait_seconds, b.wait_seconds));
    line += text;
  };
  add("palm", before.palm, after.palm);
  add("landmarks", before.landmarks, after.landmarks);
  char rest[96];
  std::snprintf(rest, sizeof(rest), " call %.3f ms, outside the runs %.3f ms", total_ms / iters,
                total_ms / iters - models_ms);
  std::printf("%s%s\n", line.c_str(), rest);
}

}  // namespace

int main(int argc, char** argv) {
  std::string images, output, time_file, delegate_name = "cuda", model = "full", precision = "fp32";
  int num_hands = 2, iters = 1000, warmup = 50;
  std::map<std::string, std::string> settings;  // --cuda-setting KEY=VALUE, e.g. cuda.preprocess=0
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--images")
      images = value;
    else if (flag == "--output")
      output = value;
    else if (flag == "--delegate")
      delegate_name = value;
    else if (flag == "--model")
      model = value;
    else if (flag == "--precision")
      precision = value;
    else if (flag == "--num-hands")
      num_hands = std::atoi(value.c_str());
    else if (flag == "--time")
      time_file = value;
    else if (flag == "--iters")
      iters = std::max(1, std::atoi(value.c_str()));
    else if (flag == "--warmup")
      warmup = std::max(0, std::atoi(value.c_str()));
    else if (flag == "--cuda-setting" && value.find('=') != std::string::npos)
      settings[value.substr(0, value.find('='))] = value.substr(value.find('=') + 1);
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  handtrack::HandLandmarkerOptions options;
  auto delegate = handtrack::ParseDelegate(delegate_name);
  if (!delegate.ok()) {
    std::fprintf(stderr, "%s\n", delegate.status().message().c_str());
    return 2;
  }
  options.model.delegate = *delegate;
  options.model.variant = model == "lite" ? handtrack::ModelVariant::kLite : handtrack::ModelVariant::kFull;
  auto parsed_precision = handtrack::ParsePrecision(precision);
  if (!parsed_precision.ok()) {
    std::fprintf(stderr, "%s\n", parsed_precision.status().message().c_str());
    return 2;
  }
  options.model.precision = *parsed_precision;
  options.num_hands = num_hands;
  options.model.backend_settings = settings;
  const Clock::time_point create_start = Clock::now();
  // An engine of our own (the one the landmarker would make for itself, max_batch 1) so that its
  // model stats can split the timed calls' time (below).
  handtrack::HandEngineOptions engine_options;
  engine_options.model = options.model;
  auto engine = handtrack::HandEngine::Create(engine_options);
  if (!engine.ok()) {
    std::fprintf(stderr, "%s\n", engine.status().message().c_str());
    return 1;
  }
  options.engine = *engine;
  auto landmarker = handtrack::HandLandmarker::Create(options);
  if (!landmarker.ok()) {
    std::fprintf(stderr, "%s\n", landmarker.status().message().c_str());
    return 1;
  }
  std::printf("create_ms %.1f\n%s\n",
              std::chrono::duration<double, std::milli>(Clock::now() - create_start).count(),
              (*landmarker)->DescribePlan().c_str());
  int failures = 0;
  if (!images.empty() && !output.empty()) {
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(images)) {
      if (entry.path().extension() == ".ppm") files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    std::ofstream out(output);
    out << "{\"handtrack\":{\"tool\":\"cuda_image_detect\",\"delegate\":\"" << delegate_name
        << "\",\"precision\":\"" << precision << "\",\"model\":\"" << model
        << "\",\"num_hands\":" << num_hands << "},\"frames\":[\n";
    for (size_t index = 0; index < files.size(); ++index) {
      Ppm ppm;
      std::string name = std::filesystem::path(files[index]).filename().string();
      name.resize(name.size() - 4);  // drop ".ppm"
      if (!ReadPpm(files[index], ppm)) {
        std::fprintf(stderr, "%s: unreadable PPM\n", files[index].c_str());
        ++failures;
        continue;
      }
      const Clock::time_point start = Clock::now();
      auto result = (*landmarker)
                        ->Detect(handtrack::ImageView::Packed(ppm.pixels.data(), ppm.width, ppm.height,
                                                              handtrack::PixelFormat::kRGB));
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      if (!result.ok()) {
        std::fprintf(stderr, "%s: %s\n", name.c_str(), result.status().message().c_str());
        ++failures;
        continue;
      }
      out << (index ? ",\n" : "") << FrameJson(static_cast<int>(index), name, ppm, ms, *result);
    }
    out << "\n]}\n";
    std::printf("wrote %zu frames to %s\n", files.size(), output.c_str());
  }
  if (!time_file.empty()) {
    Ppm ppm;
    if (!ReadPpm(time_file, ppm)) {
      std::fprintf(stderr, "%s: unreadable PPM\n", time_file.c_str());
      return 1;
    }
    const auto view =
        handtrack::ImageView::Packed(ppm.pixels.data(), ppm.width, ppm.height, handtrack::PixelFormat::kRGB);
    std::vector<double> ms;
    size_t hands = 0;
    handtrack::HandEngineStats before;
    for (int i = 0; i < warmup + iters; ++i) {
      if (i == warmup) before = (*engine)->stats();
      const Clock::time_point start = Clock::now();
      auto result = (*landmarker)->Detect(view);
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      if (!result.ok()) {
        std::fprintf(stderr, "%s\n", result.status().message().c_str());
        return 1;
      }
      hands = result->hands.size();
    }
    ms.erase(ms.begin(), ms.begin() + warmup);
    std::sort(ms.begin(), ms.end());
    auto at = [&](double fraction) { return ms[static_cast<size_t>(fraction * (ms.size() - 1))]; };
    std::printf(
        "detect %s %dx%d hands=%zu delegate=%s precision=%s iters=%d: median %.3f ms, p10 %.3f, p90 %.3f, "
        "min %.3f\n",
        std::filesystem::path(time_file).filename().c_str(), ppm.width, ppm.height, hands,
        delegate_name.c_str(), precision.c_str(), iters, at(0.5), at(0.1), at(0.9), ms.front());
    PrintSplit(before, (*engine)->stats(), ms);
  }
  return failures == 0 ? 0 : 1;
}
