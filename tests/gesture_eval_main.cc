// Runs HandLandmarker (IMAGE mode) and ComputeGestures on every photo of a folder
// and writes `handtrack detect`'s JSON with a "gestures" object per hand, for
// tools/gesture_eval.py:
//
//   gesture_eval_main [--num-hands N] [--model full|lite] [--output FILE] IMAGE_DIR
//
// Exit status: 0 done, 1 a photo or the models failed, 2 bad usage, 77 the models
// are missing (a skip for ctest; a failure under CI=true).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "handtrack/gestures.h"
#include "handtrack/hand_landmarker.h"
#include "handtrack/image_io.h"

namespace {

using Json = nlohmann::ordered_json;

struct Args {
  int num_hands = 2;
  handtrack::ModelVariant variant = handtrack::ModelVariant::kFull;
  std::string output = "-";
  std::string image_dir;
};

bool ParseArgs(int argc, char** argv, Args* args) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--num-hands" && has_value) {
      args->num_hands = std::atoi(argv[++i]);
    } else if (arg == "--model" && has_value) {
      const std::string model = argv[++i];
      if (model != "full" && model != "lite") return false;
      args->variant = model == "lite" ? handtrack::ModelVariant::kLite : handtrack::ModelVariant::kFull;
    } else if (arg == "--output" && has_value) {
      args->output = argv[++i];
    } else if (args->image_dir.empty() && !arg.starts_with("--")) {
      args->image_dir = arg;
    } else {
      return false;
    }
  }
  return !args->image_dir.empty();
}

std::vector<std::filesystem::path> Photos(const std::string& dir) {
  std::vector<std::filesystem::path> photos;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string ext = entry.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (ext == ".jpg" || ext == ".jpeg" || ext == ".png") photos.push_back(entry.path());
  }
  std::sort(photos.begin(), photos.end());
  return photos;
}

template <typename Landmarks>
Json Points(const Landmarks& landmarks) {
  Json points = Json::array();
  for (const auto& p : landmarks) points.push_back({p.x, p.y, p.z});
  return points;
}

Json HandJson(const handtrack::HandResult& hand, int width, int height) {
  const handtrack::HandGestures g = handtrack::ComputeGestures(hand, width, height);
  Json extended = Json::array();
  for (bool e : g.extended) extended.push_back(e);
  return {{"handedness",
           {{"label", hand.handedness.label},
            {"score", hand.handedness.score},
            {"model_output", hand.handedness.model_output}}},
          {"landmarks", Points(hand.landmarks)},
          {"world_landmarks", Points(hand.world_landmarks)},
          {"gestures",
           {{"gesture", handtrack::GestureName(g.gesture)},
            {"gesture_score", g.gesture_score},
            {"finger_count", g.finger_count},
            {"extended", extended},
            {"pinch", g.pinch},
            {"pinch_distance", g.pinch_distance},
            {"palm_facing_camera", g.palm_facing_camera}}}};
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, &args)) {
    std::cerr << "usage: gesture_eval_main [--num-hands N] [--model full|lite] [--output FILE] IMAGE_DIR\n";
    return 2;
  }
  handtrack::HandLandmarkerOptions options;
  options.num_hands = args.num_hands;
  options.model.variant = args.variant;
  auto landmarker = handtrack::HandLandmarker::Create(options);
  if (!landmarker.ok()) {
    std::cerr << landmarker.status().message() << "\n";
    const char* ci = std::getenv("CI");
    const bool in_ci = ci != nullptr && std::string(ci) == "true";
    return landmarker.status().code() == handtrack::StatusCode::kNotFound && !in_ci ? 77 : 1;
  }

  int status = 0;
  Json frames = Json::array();
  for (const std::filesystem::path& photo : Photos(args.image_dir)) {
    Json frame = {{"file", photo.filename().string()}};
    auto image = handtrack::ReadImageFile(photo.string());
    auto result = image.ok() ? (*landmarker)->Detect(image->view())
                             : handtrack::Result<handtrack::HandLandmarkerResult>(image.status());
    if (!result.ok()) {
      std::cerr << photo.string() << ": " << result.status().message() << "\n";
      frame["error"] = result.status().message();
      status = 1;
    } else {
      const int width = image->width(), height = image->height();
      frame["width"] = width;
      frame["height"] = height;
      frame["hands"] = Json::array();
      for (const handtrack::HandResult& hand : result->hands) {
        frame["hands"].push_back(HandJson(hand, width, height));
      }
    }
    frames.push_back(std::move(frame));
  }

  const std::string text = Json{{"frames", frames}}.dump(1) + "\n";
  if (args.output == "-") {
    std::cout << text;
  } else {
    std::ofstream out(args.output);
    out << text;
    if (!out) {
      std::cerr << "failed to write " << args.output << "\n";
      return 1;
    }
  }
  return status;
}
