// libFuzzer target: every parser of request data that the service owns (tools/serve/
// request.h): query strings and session options, Range headers, bearer tokens, session ids,
// the live socket's frame header and the web app's static paths. None may crash, leak or read
// out of bounds; what they accept must be consistent (options round-trip through their
// canonical form, ranges lie inside the resource, frames' payloads match their header, a
// static path never leaves the web root or names a hidden file).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const std::span<const uint8_t> rest(data + 1, size - 1);
  const std::string_view text(reinterpret_cast<const char*>(rest.data()), rest.size());
  using namespace handtrack::serve;
  switch (selector % 6) {
    case 0: {
      auto options = ParseSessionOptions(text);
      if (options.ok()) {
        auto again = ParseSessionOptions(options->canonical);
        if (!again.ok() || again->canonical != options->canonical) __builtin_trap();
      }
      (void)ParseQuery(text);
      break;
    }
    case 1: {
      const int64_t resource = static_cast<int64_t>(selector) * 1000003;  // 0 .. 255 MB
      auto range = ParseRange(text, resource);
      if (range.ok() && *range) {
        const ByteRange& r = **range;
        if (r.first < 0 || r.first > r.last || r.last >= resource) __builtin_trap();
      }
      break;
    }
    case 2: {
      auto frame = ParseLiveFrame(rest, 1 << 20);
      if (frame.ok()) {
        if (frame->payload.data() != rest.data() + kLiveHeaderBytes) __builtin_trap();
        if (frame->raw_rgba && frame->payload.size() != static_cast<size_t>(frame->width) *
                                                            static_cast<size_t>(frame->height) * 4) {
          __builtin_trap();
        }
      }
      break;
    }
    case 3: {
      const size_t cut = text.find('\n');
      const std::string_view header = text.substr(0, cut);
      const std::string_view token =
          cut == std::string_view::npos ? std::string_view() : text.substr(cut + 1);
      const bool match = BearerTokenMatches(header, token);
      if (match != (!token.empty() && header == "Bearer " + std::string(token))) __builtin_trap();
      break;
    }
    case 4:
      if (IsValidSessionId(text) && text.size() != 32) __builtin_trap();
      break;
    default: {
      auto path = StaticFilePath(text);
      if (path.ok()) {
        const std::string& p = *path;
        if (p.empty() || p.front() == '/' || p.find("//") != std::string::npos ||
            p.find('\\') != std::string::npos || p.find('\0') != std::string::npos) {
          __builtin_trap();
        }
        if (p.back() == '/') __builtin_trap();
        for (size_t start = 0;;) {  // no segment starts with '.' (no "..", no hidden file)
          if (p[start] == '.') __builtin_trap();
          const size_t slash = p.find('/', start);
          if (slash == std::string::npos) break;
          start = slash + 1;
        }
      }
      break;
    }
  }
  return 0;
}
