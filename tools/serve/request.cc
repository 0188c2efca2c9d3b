#include "request.h"

#include <cstring>
#include <fstream>
#include <random>

#include "cli_args.h"
#include "landmarker_options.h"

namespace handtrack::serve {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> Decode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      c = ' ';
    } else if (c == '%') {
      if (i + 2 >= text.size()) {
        return InvalidArgumentError("bad percent escape in the query string");
      }
      const int hi = HexValue(text[i + 1]), lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return InvalidArgumentError("bad percent escape in the query string");
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0') return InvalidArgumentError("NUL byte in the query string");
    out += c;
  }
  return out;
}

}  // namespace

Result<std::string> StaticFilePath(std::string_view request_path) {
  constexpr size_t kMaxPathBytes = 1024;
  if (request_path.empty() || request_path.front() != '/')
    return InvalidArgumentError("a static path must start with '/'");
  if (request_path.size() > kMaxPathBytes) return InvalidArgumentError("the path is over 1 KiB");
  std::string out;
  std::string segment;
  // Each segment is checked after decoding, so "%2e%2e" is refused as ".." is.
  auto end_segment = [&](bool last) -> Status {
    if (segment.empty()) {
      if (last) return Status::Ok();  // a trailing '/': the folder's index.html
      return InvalidArgumentError("the path has an empty segment");
    }
    if (segment.front() == '.') return InvalidArgumentError("the path names a '.' segment or a hidden file");
    out += (out.empty() ? "" : "/") + segment;
    segment.clear();
    return Status::Ok();
  };
  for (size_t i = 1; i < request_path.size(); ++i) {
    char c = request_path[i];
    if (c == '/') {
      HT_RETURN_IF_ERROR(end_segment(false));
      continue;
    }
    if (c == '%') {
      if (i + 2 >= request_path.size()) return InvalidArgumentError("bad percent escape in the path");
      const int hi = HexValue(request_path[i + 1]), lo = HexValue(request_path[i + 2]);
      if (hi < 0 || lo < 0) return InvalidArgumentError("bad percent escape in the path");
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
      if (c == '/') return InvalidArgumentError("the path has an encoded '/'");
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\')
      return InvalidArgumentError("the path has a control character or a backslash");
    segment += c;
  }
  const bool folder = request_path.back() == '/';
  HT_RETURN_IF_ERROR(end_segment(true));
  if (out.empty() || folder) out += (out.empty() ? "" : "/") + std::string("index.html");
  return out;
}

std::string EncodeQueryValue(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

namespace {

Result<bool> ParseBool(const std::string& key, const std::string& value) {
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  return InvalidArgumentError(key + " must be true or false, got '" + value + "'");
}

// "--num-hands must be ..." -> "num_hands must be ..."
std::string QueryNames(std::string message) {
  static const std::pair<const char*, const char*> kNames[] = {
      {"--num-hands", "num_hands"},
      {"--min-detection-confidence", "min_detection_confidence"},
      {"--min-presence-confidence", "min_presence_confidence"},
      {"--min-tracking-confidence", "min_tracking_confidence"},
      {"--model", "model"}};
  for (const auto& [flag, key] : kNames) {
    for (size_t at; (at = message.find(flag)) != std::string::npos;)
      message.replace(at, std::strlen(flag), key);
  }
  return message;
}

int64_t ReadLe(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return static_cast<int64_t>(v);
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  if (query.size() > 4096) return InvalidArgumentError("the query string is longer than 4096 bytes");
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    HT_ASSIGN_OR_RETURN(std::string key, Decode(pair.substr(0, eq)));
    std::string value;
    if (eq != std::string_view::npos) {
      HT_ASSIGN_OR_RETURN(value, Decode(pair.substr(eq + 1)));
    }
    if (key.empty()) return InvalidArgumentError("empty option name in the query string");
    if (out.size() == 32) return InvalidArgumentError("more than 32 options in the query string");
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

Result<SessionOptions> ParseSessionOptions(std::string_view query) {
  HT_ASSIGN_OR_RETURN(auto pairs, ParseQuery(query));
  SessionOptions options;
  std::vector<std::string> args;
  static const std::pair<const char*, const char*> kFlags[] = {
      {"model", "--model"},
      {"num_hands", "--num-hands"},
      {"min_detection_confidence", "--min-detection-confidence"},
      {"min_presence_confidence", "--min-presence-confidence"},
      {"min_tracking_confidence", "--min-tracking-confidence"}};
  std::string smoothing = "off";
  bool mirrored = false;
  int palm_detection_interval = 1;
  for (const auto& [key, value] : pairs) {
    bool known = false;
    for (const auto& [name, flag] : kFlags) {
      if (key == name) {
        args.push_back(std::string(flag) + "=" + value);
        known = true;
      }
    }
    if (known) continue;
    if (key == "mirrored") {
      HT_ASSIGN_OR_RETURN(mirrored, ParseBool(key, value));
    } else if (key == "overlay") {
      HT_ASSIGN_OR_RETURN(options.overlay, ParseBool(key, value));
    } else if (key == "smoothing") {
      if (value != "on" && value != "off") {
        return InvalidArgumentError("smoothing must be on or off, got '" + value + "'");
      }
      smoothing = value;
    } else if (key == "palm_detection_interval") {
      HT_ASSIGN_OR_RETURN(palm_detection_interval,
                          cli::ParseIntOption("palm_detection_interval", value, 1, 1000));
    } else if (key == "name") {
      if (value.empty() || value.size() > 128) {
        return InvalidArgumentError("name must be 1 to 128 characters long");
      }
      for (unsigned char c : value) {
        if (c < 0x20 || c == 0x7f || c == '/' || c == '\\') {
          return InvalidArgumentError("name must not hold '/', '\\' or control characters");
        }
      }
      options.name = value;
    } else {
      return InvalidArgumentError("unknown option '" + key +
                                  "' (options: model, num_hands, min_detection_confidence, "
                                  "min_presence_confidence, min_tracking_confidence, mirrored, smoothing, "
                                  "palm_detection_interval, overlay, name)");
    }
  }
  auto parsed = cli::ParseLandmarkerCommandArgs(args, {}, "serve");
  if (!parsed.ok()) return InvalidArgumentError(QueryNames(parsed.status().message()));
  Status status = cli::ParseLandmarkerOptions(*parsed, &options.landmarker);
  if (!status.ok()) return InvalidArgumentError(QueryNames(status.message()));
  options.landmarker.running_mode = RunningMode::kVideo;
  options.landmarker.mirrored = mirrored;
  options.landmarker.smoothing = smoothing == "on" ? SmoothingMode::kOn : SmoothingMode::kOff;
  options.landmarker.palm_detection_interval = palm_detection_interval;
  const HandLandmarkerOptions& l = options.landmarker;
  char thresholds[160];
  std::snprintf(thresholds, sizeof(thresholds),
                "&min_detection_confidence=%.9g&min_presence_confidence=%.9g&min_tracking_confidence=%.9g",
                l.min_hand_detection_confidence, l.min_hand_presence_confidence, l.min_tracking_confidence);
  options.canonical =
      std::string("model=") + (l.model.variant == ModelVariant::kLite ? "lite" : "full") +
      "&num_hands=" + std::to_string(l.num_hands) + thresholds +
      "&mirrored=" + (mirrored ? "true" : "false") + "&smoothing=" + smoothing +
      // Only when set, so the canonical form of older sessions is unchanged.
      (palm_detection_interval > 1 ? "&palm_detection_interval=" + std::to_string(palm_detection_interval)
                                   : std::string()) +
      "&overlay=" + (options.overlay ? "true" : "false") + "&name=" + EncodeQueryValue(options.name);
  return options;
}

Result<std::optional<ByteRange>> ParseRange(std::string_view header, int64_t size) {
  if (header.empty()) return std::optional<ByteRange>();
  constexpr std::string_view kPrefix = "bytes=";
  if (!header.starts_with(kPrefix)) return InvalidArgumentError("Range must be bytes=FIRST-LAST");
  const std::string_view spec = header.substr(kPrefix.size());
  if (spec.find(',') != std::string_view::npos)
    return InvalidArgumentError("Range: only one range is served");
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return InvalidArgumentError("Range must be bytes=FIRST-LAST");
  auto number = [](std::string_view text) -> std::optional<int64_t> {
    if (text.empty() || text.size() > 18) return std::nullopt;
    int64_t v = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    return v;
  };
  const std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
  ByteRange range;
  if (a.empty()) {  // the last N bytes
    const auto n = number(b);
    if (!n) return InvalidArgumentError("Range must be bytes=FIRST-LAST");
    if (*n == 0 || size == 0) return InvalidArgumentError("Range unsatisfiable");
    range.first = std::max<int64_t>(0, size - *n);
    range.last = size - 1;
    return std::optional<ByteRange>(range);
  }
  const auto first = number(a);
  if (!first) return InvalidArgumentError("Range must be bytes=FIRST-LAST");
  std::optional<int64_t> last = b.empty() ? std::optional<int64_t>(size - 1) : number(b);
  if (!last) return InvalidArgumentError("Range must be bytes=FIRST-LAST");
  if (*first >= size) return InvalidArgumentError("Range unsatisfiable");
  if (*last < *first) return InvalidArgumentError("Range must be bytes=FIRST-LAST with FIRST <= LAST");
  range.first = *first;
  range.last = std::min(*last, size - 1);
  return std::optional<ByteRange>(range);
}

bool BearerTokenMatches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view kBearer = "Bearer ";
  if (!authorization.starts_with(kBearer) || token.empty()) return false;
  const std::string_view given = authorization.substr(kBearer.size());
  // Every byte of the expected token is compared whatever the given one holds.
  unsigned diff = given.size() == token.size() ? 0 : 1;
  for (size_t i = 0; i < token.size(); ++i) {
    const unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= g ^ static_cast<unsigned char>(token[i]);
  }
  return diff == 0;
}

std::string NewSessionId() {
  std::random_device random;  // /dev/urandom on Linux
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 4; ++i) {
    uint32_t v = random();
    for (int j = 0; j < 8; ++j, v >>= 4) id += kHex[v & 15];
  }
  return id;
}

bool IsValidSessionId(std::string_view id) {
  if (id.size() != 32) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<LiveFrame> ParseLiveFrame(std::span<const uint8_t> message, int64_t max_pixels) {
  if (message.size() < kLiveHeaderBytes) {
    return InvalidArgumentError("failed to read frame: the message is shorter than the 20-byte header");
  }
  LiveFrame frame;
  const std::string_view magic(reinterpret_cast<const char*>(message.data()), 4);
  if (magic != "RGBA" && magic != "IMG ") {
    return InvalidArgumentError("failed to read frame: the header must start with \"RGBA\" or \"IMG \"");
  }
  frame.raw_rgba = magic == "RGBA";
  const int64_t width = ReadLe(message.data() + 4, 4), height = ReadLe(message.data() + 8, 4);
  frame.timestamp_ms = ReadLe(message.data() + 12, 8);
  if (frame.timestamp_ms < 0) return InvalidArgumentError("failed to read frame: negative timestamp");
  frame.payload = message.subspan(kLiveHeaderBytes);
  if (frame.raw_rgba) {
    if (width <= 0 || height <= 0 || width > 16384 || height > 16384 || width * height > max_pixels) {
      return InvalidArgumentError("failed to read frame: RGBA size " + std::to_string(width) + "x" +
                                  std::to_string(height) + " is out of bounds");
    }
    if (static_cast<int64_t>(frame.payload.size()) != width * height * 4) {
      return InvalidArgumentError(
          "failed to read frame: " + std::to_string(width) + "x" + std::to_string(height) + " RGBA needs " +
          std::to_string(width * height * 4) + " bytes, got " + std::to_string(frame.payload.size()));
    }
    frame.width = static_cast<int>(width);
    frame.height = static_cast<int>(height);
  } else if (frame.payload.empty()) {
    return InvalidArgumentError("failed to read frame: no image after the header");
  }
  return frame;
}

}  // namespace handtrack::serve
