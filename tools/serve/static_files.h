// The web app's files (web/app, built by scripts/build_web.sh), served by `handtrack serve`
// at / without a token: GET and HEAD only, resolved inside the web root (request.h's
// StaticFilePath refuses "..", hidden files and encoded separators; symbolic links that
// leave the root are refused here), content types by extension, ETag revalidation, and the
// cross-origin isolation headers (COOP/COEP) that the threaded WebAssembly module needs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "handtrack/status.h"
#include "http_util.h"

namespace handtrack::serve {

// The folder served at / when --web-root is not given: the installed app
// (<the executable's folder>/../share/handtrack/web), else the source tree's build
// (web/build/app, where scripts/build_web.sh puts it). Empty when neither holds an index.html.
std::string DefaultWebRoot();

struct StaticFile {
  std::string path;  // absolute, inside the web root
  std::string content_type;
  int64_t size = 0;
  std::string etag;  // a strong validator from the size and the modification time
};

// The file for request path `request_path` under `root`: "/sessions" is sessions.html
// when there is no file "sessions". NotFound for anything else (with the reason).
Result<StaticFile> FindStaticFile(const std::string& root, std::string_view request_path);

// The headers every static response carries (isolation, caching, content-type sniffing,
// referrer and content security policies).
Headers StaticHeaders(const StaticFile& file);

}  // namespace handtrack::serve
