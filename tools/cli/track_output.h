// Where `handtrack track` writes its per-frame results: JSON Lines (default),
// CSV, or one JSON document in the golden schema. Every sink writes and flushes
// each frame as it comes, so a failure later in a video loses nothing.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "frame_json.h"
#include "handtrack/gestures.h"
#include "handtrack/hand_landmarker.h"

namespace handtrack::cli {

enum class TrackFormat { kJsonLines, kCsv, kGolden };

// One tracked hand of a frame, with what the tracker adds to the landmarker's result.
struct TrackedHand {
  const HandResult* hand = nullptr;
  HandGestures gestures;
  bool pinching = false;                               // with hysteresis
  PinchEventType pinch_event = PinchEventType::kNone;  // start / end in this frame
};

struct TrackedFrame {
  int64_t index = 0;
  int64_t timestamp_ms = 0;
  int width = 0;
  int height = 0;
  std::vector<TrackedHand> hands;
};

class TrackSink {
 public:
  virtual ~TrackSink() = default;
  virtual Status Write(const TrackedFrame& frame) = 0;
  // Completes the document (golden); further writes are errors.
  virtual Status Finish() = 0;
};

// Opens a sink writing `video`'s frames to `path` ("-" for stdout). Sinks that
// share stdout share `stdout_mutex` so that lines never interleave.
Result<std::unique_ptr<TrackSink>> OpenTrackSink(TrackFormat format, const std::string& path,
                                                 const std::string& video, const Json& header,
                                                 std::mutex* stdout_mutex);

const char* PinchEventName(PinchEventType type);

}  // namespace handtrack::cli
