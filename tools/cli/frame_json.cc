#include "frame_json.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

namespace handtrack::cli {

double Round7(float value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.7g", static_cast<double>(value));
  return std::strtod(text, nullptr);
}

namespace {

template <typename Landmarks>
Json PointsJson(const Landmarks& points) {
  Json out = Json::array();
  for (const auto& p : points) out.push_back({Round7(p.x), Round7(p.y), Round7(p.z)});
  return out;
}

}  // namespace

Json GesturesJson(const HandGestures& g) {
  Json extended = Json::array();
  for (bool e : g.extended) extended.push_back(e);
  return {{"gesture", GestureName(g.gesture)},
          {"gesture_score", Round7(g.gesture_score)},
          {"finger_count", g.finger_count},
          {"extended", std::move(extended)},
          {"pinch", g.pinch},
          {"pinch_distance", Round7(g.pinch_distance)},
          {"palm_facing_camera", g.palm_facing_camera}};
}

Json FrameJson(int index, const std::string& file, int width, int height, double time_ms,
               const HandLandmarkerResult& result) {
  Json hands = Json::array();
  for (const HandResult& hand : result.hands) {
    hands.push_back({
        {"handedness",
         {{"label", hand.handedness.label},
          {"score", Round7(hand.handedness.score)},
          {"index", hand.handedness.index},
          {"model_output", Round7(hand.handedness.model_output)}}},
        {"presence", Round7(hand.presence)},
        {"landmarks", PointsJson(hand.landmarks)},
        {"world_landmarks", PointsJson(hand.world_landmarks)},
        {"gestures", GesturesJson(ComputeGestures(hand, width, height))},
    });
  }
  return {{"index", index},
          {"file", file},
          {"width", width},
          {"height", height},
          {"time_ms", std::round(time_ms * 100) / 100},
          {"num_hands", result.hands.size()},
          {"hands", std::move(hands)}};
}

Json FailedFrameJson(int index, const std::string& file, const std::string& error) {
  return {{"index", index}, {"file", file}, {"error", error}};
}

Status FrameStreamWriter::Open(const std::string& path, const Json& header) {
  path_ = path;
  if (path == "-") {
    out_ = &std::cout;
  } else {
    file_.open(path, std::ios::out | std::ios::trunc);
    if (!file_) return InvalidArgumentError("failed to open output " + path + ": " + std::strerror(errno));
    out_ = &file_;
  }
  *out_ << "{\"handtrack\": " << header.dump() << ",\n\"frames\": [";
  return Check();
}

Status FrameStreamWriter::Write(const Json& frame) {
  *out_ << (first_frame_ ? "\n" : ",\n") << frame.dump();
  first_frame_ = false;
  return Check();
}

Status FrameStreamWriter::Finish() {
  *out_ << "\n]}\n";
  HT_RETURN_IF_ERROR(Check());
  if (file_.is_open()) {
    file_.close();
    if (!file_) return InvalidArgumentError("failed to write output " + path_ + ": closing failed");
  }
  return Status::Ok();
}

Status FrameStreamWriter::Check() {
  out_->flush();
  if (!*out_) return InvalidArgumentError("failed to write output " + (path_ == "-" ? "to stdout" : path_));
  return Status::Ok();
}

}  // namespace handtrack::cli
