// The JSON that `handtrack detect` writes: the schema of ../shared/golden/README.md
// ({"frames": [{"index", "file", "width", "height", "num_hands", "hands": [...]}]}),
// streamed frame by frame so that every finished frame is on disk at once.
#pragma once

#include <fstream>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "handtrack/gestures.h"
#include "handtrack/hand_landmarker.h"
#include "handtrack/status.h"

namespace handtrack::cli {

using Json = nlohmann::ordered_json;

// A float rounded to 7 significant digits (what float32 results carry), so the JSON
// reads "0.4213787" rather than "0.42137870192527771".
double Round7(float value);

// Gesture, finger count and pinch of one hand (handtrack's addition to the schema).
Json GesturesJson(const HandGestures& gestures);

// One frame that was processed.
Json FrameJson(int index, const std::string& file, int width, int height, double time_ms,
               const HandLandmarkerResult& result);
// One frame whose image could not be read or processed: no hands, an "error".
Json FailedFrameJson(int index, const std::string& file, const std::string& error);

// Writes {"handtrack": header, "frames": [frame, ...]} one frame per line and
// flushes after each, to a file or stdout ("-").
class FrameStreamWriter {
 public:
  // Opens `path` (or stdout for "-") and writes the opening and the header.
  Status Open(const std::string& path, const Json& header);
  Status Write(const Json& frame);
  // Closes the array and the object; the output is then complete JSON.
  Status Finish();

 private:
  Status Check();
  std::string path_;
  std::ofstream file_;
  std::ostream* out_ = nullptr;
  bool first_frame_ = true;
};

}  // namespace handtrack::cli
