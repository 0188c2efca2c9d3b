// Parsers of request data: query strings, session options, Range headers, bearer tokens,
// session ids and the live socket's frame messages. Each takes untrusted bytes and
// returns a value or an InvalidArgument naming what is wrong (fuzz/serve_request_fuzz.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "handtrack/hand_landmarker.h"
#include "handtrack/status.h"

namespace handtrack::serve {

// "a=1&b=x%20y" -> {{"a","1"},{"b","x y"}}; '+' is a space. InvalidArgument for bad
// percent escapes, NUL bytes, empty keys, more than 32 pairs or a query over 4 KiB.
Result<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view query);

// Percent-encodes all but unreserved characters (RFC 3986).
std::string EncodeQueryValue(std::string_view text);

// The session options of POST /v1/sessions (track's options) and of /v1/live.
struct SessionOptions {
  HandLandmarkerOptions landmarker;  // VIDEO mode; model.variant set; num_hands 2 by default
  bool overlay = false;              // overlay=true: render the overlay video
  std::string name = "video";        // name=...: the video's name in the results
  std::string canonical;             // the options as a query string that parses to the same
};

// Keys: model (full|lite), num_hands (1..8), min_detection_confidence,
// min_presence_confidence, min_tracking_confidence (0..1), mirrored (true|false),
// smoothing (on|off), overlay (true|false), name (1..128 characters, no '/', '\\' or
// control characters). Unknown keys and bad values are errors naming the key.
Result<SessionOptions> ParseSessionOptions(std::string_view query);

// A single byte range of a resource of `size` bytes: "bytes=A-B", "bytes=A-",
// "bytes=-N". nullopt: no Range header (the whole body). OutOfRange-like errors as
// InvalidArgument with "unsatisfiable" in the message (answered 416).
struct ByteRange {
  int64_t first = 0;
  int64_t last = 0;  // inclusive
};
Result<std::optional<ByteRange>> ParseRange(std::string_view header, int64_t size);

// "Bearer TOKEN" against `token`, in time independent of where they differ.
bool BearerTokenMatches(std::string_view authorization, std::string_view token);

// The web app's file for a request path ("/", "/sessions", "/engine/models/x.tflite"), as a
// path relative to the web root: percent escapes decoded, "index.html" for "/" and for
// paths ending in '/'. InvalidArgument for anything that could leave the root or reach a
// hidden file: "." and ".." segments, segments starting with '.', empty segments, an
// encoded '/', a backslash, NUL or other control characters, paths over 1 KiB.
Result<std::string> StaticFilePath(std::string_view request_path);

// Session ids: 32 lower-case hex digits from the system's random source.
std::string NewSessionId();
bool IsValidSessionId(std::string_view id);

// A frame sent over /v1/live: a 20-byte header, then the pixels.
//   bytes 0-3   "RGBA" (raw pixels follow: width x height x 4 bytes, rows top down)
//               or "IMG " (a JPEG or PNG file follows; width and height are 0)
//   bytes 4-7   width, uint32 little-endian
//   bytes 8-11  height, uint32 little-endian
//   bytes 12-19 timestamp in ms, int64 little-endian, increasing from frame to frame
struct LiveFrame {
  bool raw_rgba = false;
  int width = 0, height = 0;
  int64_t timestamp_ms = 0;
  std::span<const uint8_t> payload;  // points into the message
};
inline constexpr size_t kLiveHeaderBytes = 20;
Result<LiveFrame> ParseLiveFrame(std::span<const uint8_t> message, int64_t max_pixels);

}  // namespace handtrack::serve
