#include "track_output.h"

#include <cstdio>
#include <iostream>

namespace handtrack::cli {
namespace {

Json HandJson(const TrackedHand& tracked, bool with_landmarks) {
  const HandResult& hand = *tracked.hand;
  Json out = {{"id", hand.id},
              {"handedness",
               {{"label", hand.handedness.label},
                {"score", Round7(hand.handedness.score)},
                {"index", hand.handedness.index},
                {"model_output", Round7(hand.handedness.model_output)}}}};
  if (with_landmarks) {
    Json landmarks = Json::array(), world = Json::array();
    for (const auto& p : hand.landmarks) landmarks.push_back({Round7(p.x), Round7(p.y), Round7(p.z)});
    for (const auto& p : hand.world_landmarks) world.push_back({Round7(p.x), Round7(p.y), Round7(p.z)});
    out["landmarks"] = std::move(landmarks);
    out["world_landmarks"] = std::move(world);
  }
  out["gesture"] = GestureName(tracked.gestures.gesture);
  out["gesture_score"] = Round7(tracked.gestures.gesture_score);
  out["finger_count"] = tracked.gestures.finger_count;
  out["pinch"] = tracked.pinching;
  if (tracked.pinch_event != PinchEventType::kNone) out["pinch_event"] = PinchEventName(tracked.pinch_event);
  return out;
}

// Writes text to a file or to stdout, flushing after each piece.
class Output {
 public:
  Status Open(const std::string& path, std::mutex* stdout_mutex) {
    path_ = path;
    if (path == "-") {
      stdout_mutex_ = stdout_mutex;
      return Status::Ok();
    }
    file_.open(path, std::ios::binary | std::ios::trunc);
    if (!file_) return NotFoundError("failed to open output " + path + " for writing");
    return Status::Ok();
  }
  Status Put(const std::string& text) {
    if (path_ == "-") {
      std::lock_guard lock(*stdout_mutex_);
      std::cout << text << std::flush;
      return std::cout ? Status::Ok() : InternalError("failed to write to stdout");
    }
    file_ << text << std::flush;
    return file_ ? Status::Ok() : InternalError("failed to write output " + path_ + ": disk full or closed?");
  }

 private:
  std::string path_;
  std::ofstream file_;
  std::mutex* stdout_mutex_ = nullptr;
};

class JsonLinesSink : public TrackSink {
 public:
  JsonLinesSink(std::string video) : video_(std::move(video)) {}
  Status Open(const std::string& path, std::mutex* m) { return out_.Open(path, m); }
  Status Write(const TrackedFrame& frame) override {
    Json hands = Json::array();
    for (const TrackedHand& hand : frame.hands) hands.push_back(HandJson(hand, true));
    Json line = {{"video", video_},      {"index", frame.index},   {"timestamp_ms", frame.timestamp_ms},
                 {"width", frame.width}, {"height", frame.height}, {"hands", std::move(hands)}};
    return out_.Put(line.dump() + "\n");
  }
  Status Finish() override { return Status::Ok(); }

 private:
  std::string video_;
  Output out_;
};

class CsvSink : public TrackSink {
 public:
  CsvSink(std::string video) : video_(std::move(video)) {}
  Status Open(const std::string& path, std::mutex* m) {
    HT_RETURN_IF_ERROR(out_.Open(path, m));
    std::string header =
        "video,index,timestamp_ms,hand_id,handedness,handedness_score,gesture,gesture_score,finger_count,"
        "pinch,"
        "pinch_event";
    for (const char* kind : {"", "world_"}) {
      for (int i = 0; i < kNumHandLandmarks; ++i) {
        for (const char* axis : {"x", "y", "z"}) header += "," + std::string(kind) + axis + std::to_string(i);
      }
    }
    return out_.Put(header + "\n");
  }
  // One row per hand; a frame without hands gets one row with empty hand fields,
  // so that every frame is accounted for.
  Status Write(const TrackedFrame& frame) override {
    std::string rows;
    char buf[64];
    const std::string prefix =
        Quote(video_) + "," + std::to_string(frame.index) + "," + std::to_string(frame.timestamp_ms) + ",";
    if (frame.hands.empty()) rows = prefix + std::string(8 + 6 * kNumHandLandmarks, ',') + "\n";
    for (const TrackedHand& tracked : frame.hands) {
      const HandResult& hand = *tracked.hand;
      std::snprintf(buf, sizeof(buf), "%.7g", hand.handedness.score);
      std::string row = prefix + std::to_string(hand.id) + "," + hand.handedness.label + "," + buf + "," +
                        GestureName(tracked.gestures.gesture) + ",";
      std::snprintf(buf, sizeof(buf), "%.7g", tracked.gestures.gesture_score);
      row += std::string(buf) + "," + std::to_string(tracked.gestures.finger_count) + "," +
             (tracked.pinching ? "1" : "0") + "," +
             (tracked.pinch_event == PinchEventType::kNone ? "" : PinchEventName(tracked.pinch_event));
      for (const auto& p : hand.landmarks) {
        std::snprintf(buf, sizeof(buf), ",%.7g,%.7g,%.7g", p.x, p.y, p.z);
        row += buf;
      }
      for (const auto& p : hand.world_landmarks) {
        std::snprintf(buf, sizeof(buf), ",%.7g,%.7g,%.7g", p.x, p.y, p.z);
        row += buf;
      }
      rows += row + "\n";
    }
    return out_.Put(rows);
  }
  Status Finish() override { return Status::Ok(); }

 private:
  static std::string Quote(const std::string& text) {
    std::string quoted = "\"";
    for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
  }
  std::string video_;
  Output out_;
};

// The golden schema of ../shared/golden/README.md, one frame per line.
class GoldenSink : public TrackSink {
 public:
  GoldenSink(std::string video) : video_(std::move(video)) {}
  Status Open(const std::string& path, const Json& header) { return writer_.Open(path, header); }
  Status Write(const TrackedFrame& frame) override {
    Json hands = Json::array();
    for (const TrackedHand& hand : frame.hands) {
      Json h = HandJson(hand, true);
      h["presence"] = Round7(hand.hand->presence);
      hands.push_back(std::move(h));
    }
    return writer_.Write({{"index", frame.index},
                          {"file", video_},
                          {"width", frame.width},
                          {"height", frame.height},
                          {"timestamp_ms", frame.timestamp_ms},
                          {"num_hands", frame.hands.size()},
                          {"hands", std::move(hands)}});
  }
  Status Finish() override { return writer_.Finish(); }

 private:
  std::string video_;
  FrameStreamWriter writer_;
};

}  // namespace

const char* PinchEventName(PinchEventType type) {
  switch (type) {
    case PinchEventType::kStart:
      return "start";
    case PinchEventType::kEnd:
      return "end";
    case PinchEventType::kNone:
      return "none";
  }
  return "none";
}

Result<std::unique_ptr<TrackSink>> OpenTrackSink(TrackFormat format, const std::string& path,
                                                 const std::string& video, const Json& header,
                                                 std::mutex* stdout_mutex) {
  switch (format) {
    case TrackFormat::kJsonLines: {
      auto sink = std::make_unique<JsonLinesSink>(video);
      HT_RETURN_IF_ERROR(sink->Open(path, stdout_mutex));
      return std::unique_ptr<TrackSink>(std::move(sink));
    }
    case TrackFormat::kCsv: {
      auto sink = std::make_unique<CsvSink>(video);
      HT_RETURN_IF_ERROR(sink->Open(path, stdout_mutex));
      return std::unique_ptr<TrackSink>(std::move(sink));
    }
    case TrackFormat::kGolden: {
      auto sink = std::make_unique<GoldenSink>(video);
      HT_RETURN_IF_ERROR(sink->Open(path, header));
      return std::unique_ptr<TrackSink>(std::move(sink));
    }
  }
  return InternalError("unknown track format");
}

}  // namespace handtrack::cli
