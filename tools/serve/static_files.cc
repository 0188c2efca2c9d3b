#include "static_files.h"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "request.h"

namespace handtrack::serve {
namespace fs = std::filesystem;

namespace {

std::string ContentType(const fs::path& file) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 15> kTypes = {{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".wasm", "application/wasm"},
      {".tflite", "application/octet-stream"},
      {".task", "application/octet-stream"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".svg", "image/svg+xml"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".woff2", "font/woff2"},
  }};
  const std::string extension = file.extension().string();
  for (const auto& [ext, type] : kTypes) {
    if (extension == ext) return std::string(type);
  }
  return "application/octet-stream";
}

bool HasIndex(const fs::path& folder) {
  std::error_code ec;
  return fs::is_regular_file(folder / "index.html", ec);
}

}  // namespace

std::string DefaultWebRoot() {
  std::error_code ec;
  const fs::path executable = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = executable.parent_path().parent_path() / "share" / "handtrack" / "web";
    if (HasIndex(installed)) return installed.string();
  }
#ifdef HANDTRACK_SOURCE_WEB_ROOT
  if (HasIndex(HANDTRACK_SOURCE_WEB_ROOT)) return HANDTRACK_SOURCE_WEB_ROOT;
#endif
  return "";
}

Result<StaticFile> FindStaticFile(const std::string& root, std::string_view request_path) {
  auto relative = StaticFilePath(request_path);
  if (!relative.ok())
    return NotFoundError("failed to find " + std::string(request_path.substr(0, 200)) + ": " +
                         relative.status().message());
  std::error_code ec;
  const fs::path base = fs::canonical(root, ec);
  if (ec) return NotFoundError("failed to find the web root " + root + ": " + ec.message());
  fs::path candidate = base / *relative;
  // Pages are linked without their extension: /sessions is sessions.html.
  if (!fs::exists(candidate, ec) && !candidate.has_extension()) candidate += ".html";
  const fs::path file = fs::canonical(candidate, ec);
  if (ec || !fs::is_regular_file(file, ec)) {
    return NotFoundError("no file " + std::string(request_path.substr(0, 200)) + " in the web app");
  }
  // A symbolic link inside the root may point anywhere: only files under the root are served.
  const std::string inside = base.string() + "/";
  if (file.string().compare(0, inside.size(), inside) != 0) {
    return NotFoundError("no file " + std::string(request_path.substr(0, 200)) + " in the web app");
  }
  StaticFile out;
  out.path = file.string();
  out.content_type = ContentType(file);
  out.size = static_cast<int64_t>(fs::file_size(file, ec));
  if (ec) return NotFoundError("failed to read " + out.path + ": " + ec.message());
  const auto modified = fs::last_write_time(file, ec).time_since_epoch().count();
  char etag[64];
  std::snprintf(etag, sizeof(etag), "\"%llx-%llx\"", static_cast<unsigned long long>(out.size),
                static_cast<unsigned long long>(modified));
  out.etag = etag;
  return out;
}

Headers StaticHeaders(const StaticFile& file) {
  return {
      {"Content-Type", file.content_type},
      // Revalidated on every use (a 304 when unchanged), so a rebuilt app is never stale.
      {"Cache-Control", "no-cache"},
      {"ETag", file.etag},
      // Cross-origin isolation: SharedArrayBuffer, hence the threaded WebAssembly module.
      {"Cross-Origin-Opener-Policy", "same-origin"},
      {"Cross-Origin-Embedder-Policy", "require-corp"},
      {"Cross-Origin-Resource-Policy", "same-origin"},
      {"X-Content-Type-Options", "nosniff"},
      // Media URLs may carry ?access_token=: never send them on.
      {"Referrer-Policy", "no-referrer"},
      // Nothing is loaded from outside this server. WebAssembly needs 'wasm-unsafe-eval';
      // the charts set inline styles.
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; worker-src 'self' blob:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
  };
}

}  // namespace handtrack::serve
