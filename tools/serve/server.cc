#include "server.h"

#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "frame_json.h"
#include "handtrack/image_io.h"
#include "http_util.h"
#include "live.h"
#include "openapi.h"
#include "request.h"
#include "static_files.h"
#include "store.h"

namespace handtrack::serve {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Json = cli::Json;

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string Rfc3339(int64_t epoch_ms) {
  const std::time_t seconds = epoch_ms / 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[96];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(epoch_ms % 1000));
  return text;
}

Json SessionJson(const Session& s) {
  Json out = {{"id", s.id},
              {"state", s.state},
              {"created_at", Rfc3339(s.created_ms)},
              {"name", s.name},
              {"options", s.options},
              {"overlay", s.overlay},
              {"video_bytes", s.video_bytes},
              {"progress", {{"frames_done", s.frames_done}, {"frames_total", s.frames_total}}},
              {"attempts", s.attempts}};
  Json timings = Json::object();
  if (s.started_ms) {
    timings["started_at"] = Rfc3339(s.started_ms);
    timings["queued_ms"] = s.started_ms - s.created_ms;
  }
  if (s.finished_ms) timings["finished_at"] = Rfc3339(s.finished_ms);
  if (s.processing_ms) timings["processing_ms"] = s.processing_ms;
  out["timings"] = std::move(timings);
  if (!s.error.empty()) out["error"] = s.error;
  return out;
}

// Latency histograms and counters for /metrics.
class Metrics {
 public:
  static constexpr double kBuckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  void Observe(const std::string& route, int status, double seconds) {
    std::lock_guard lock(mutex_);
    Histogram& h = latency_[route];
    for (size_t i = 0; i < std::size(kBuckets); ++i) h.buckets[i] += seconds <= kBuckets[i];
    ++h.count;
    h.sum += seconds;
    ++responses_[std::to_string(status)];
  }
  std::string Text() {
    std::lock_guard lock(mutex_);
    std::string out =
        "# HELP handtrack_http_request_duration_seconds Time from a request's header to its last response "
        "byte.\n"
        "# TYPE handtrack_http_request_duration_seconds histogram\n";
    char line[256];
    for (const auto& [route, h] : latency_) {
      for (size_t i = 0; i < std::size(kBuckets); ++i) {
        std::snprintf(line, sizeof(line),
                      "handtrack_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %lld\n",
                      route.c_str(), kBuckets[i], static_cast<long long>(h.buckets[i]));
        out += line;
      }
      std::snprintf(line, sizeof(line),
                    "handtrack_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lld\n"
                    "handtrack_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                    "handtrack_http_request_duration_seconds_count{route=\"%s\"} %lld\n",
                    route.c_str(), static_cast<long long>(h.count), route.c_str(), h.sum, route.c_str(),
                    static_cast<long long>(h.count));
      out += line;
    }
    out +=
        "# HELP handtrack_http_responses_total Responses by status code.\n"
        "# TYPE handtrack_http_responses_total counter\n";
    for (const auto& [code, n] : responses_) {
      out += "handtrack_http_responses_total{code=\"" + code + "\"} " + std::to_string(n) + "\n";
    }
    return out;
  }

 private:
  struct Histogram {
    int64_t buckets[std::size(kBuckets)] = {};
    int64_t count = 0;
    double sum = 0;
  };
  std::mutex mutex_;
  std::map<std::string, Histogram> latency_;
  std::map<std::string, int64_t> responses_;
};

}  // namespace

struct Server::Impl {
  ServerOptions options;
  std::shared_ptr<EngineSet> engines;
  Runner* runner;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::atomic<bool> stopping{false}, ready{false};
  std::atomic<int> connections{0}, uploads{0}, sockets{0};
  StorePool stores;
  Metrics metrics;
  Watchdog watchdog;
  std::string upload_dir;
  // frames/s over the last minute, from the runner's counter
  std::mutex rate_mutex;
  std::vector<std::pair<int64_t, int64_t>> frame_samples;  // (ms, frames)

  Impl(ServerOptions o, std::shared_ptr<EngineSet> e, Runner* r)
      : options(std::move(o)), engines(std::move(e)), runner(r), stores(options.db) {}

  void Serve(tcp::socket socket);
  // Handles one request whose header has been read; false: close the connection.
  bool Handle(Connection& c, http::request_parser<http::buffer_body>& parser, std::string* route,
              int* status);
  bool CreateSession(Connection& c, http::request_parser<http::buffer_body>& parser, const std::string& query,
                     int* status);
  bool Detect(Connection& c, http::request_parser<http::buffer_body>& parser, const std::string& query,
              int* status);
  // The web app's files (static_files.h); false: close the connection.
  bool ServeStatic(Connection& c, const http::request<http::buffer_body>& req, const std::string& path,
                   int* status);
  bool SessionRoute(Connection& c, const http::request<http::buffer_body>& req, const std::string& rest,
                    const std::string& query, int* status);
  // With the request's one database connection (a second per request could deadlock the pool).
  bool ServeBlob(Connection& c, SessionStore& store, const http::request<http::buffer_body>& req,
                 const std::string& id, const std::string& kind, const std::string& content_type, bool ranges,
                 int* status);
  std::string MetricsText();
};

Server::Server(ServerOptions options, std::shared_ptr<EngineSet> engines, Runner* runner)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(engines), runner)) {}
Server::~Server() { Stop(); }

int Server::port() const { return impl_->acceptor.is_open() ? impl_->acceptor.local_endpoint().port() : 0; }
void Server::SetReady(bool ready) { impl_->ready = ready; }

Status Server::Start() {
  Impl& s = *impl_;
  std::error_code fec;
  std::filesystem::create_directories(s.options.data_dir, fec);
  if (fec) return InternalError("failed to create folder " + s.options.data_dir + ": " + fec.message());
  s.upload_dir = (std::filesystem::path(s.options.data_dir) / "uploads").string();
  // Uploads cut off by a crash: never a session (that commits after the last byte).
  std::filesystem::remove_all(s.upload_dir, fec);
  std::filesystem::create_directories(s.upload_dir, fec);
  if (fec) return InternalError("failed to create folder " + s.upload_dir + ": " + fec.message());
  HT_RETURN_IF_ERROR(s.stores.Check());
  boost::system::error_code ec;
  const auto address = net::ip::make_address(s.options.host, ec);
  if (ec) return InvalidArgumentError("failed to listen on " + s.options.host + ": not an IP address");
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(s.options.port));
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return UnavailableError("failed to listen on " + s.options.host + ":" + std::to_string(s.options.port) +
                            ": " + ec.message());
  }
  s.watchdog.Start();
  return Status::Ok();
}

void Server::Run() {
  Impl& s = *impl_;
  while (!s.stopping) {
    boost::system::error_code ec;
    tcp::socket socket(s.ioc);
    s.acceptor.accept(socket, ec);
    if (ec) {
      if (s.stopping) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // EMFILE and friends
      continue;
    }
    if (s.connections >= s.options.max_connections) {
      Connection c(std::move(socket), &s.watchdog, s.options.request_timeout_s);
      WriteError(c, 503, "unavailable",
                 "too many connections (" + std::to_string(s.options.max_connections) + ")", false);
      continue;
    }
    ++s.connections;
    std::thread([&s, socket = std::move(socket)]() mutable {
      s.Serve(std::move(socket));
      --s.connections;
    }).detach();
  }
  // Stop() shut every connection down: wait (a little) for their threads to end.
  for (int i = 0; i < 500 && s.connections > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  boost::system::error_code ec;
  s.acceptor.close(ec);
  s.watchdog.Stop();
}

void Server::Stop() {
  Impl& s = *impl_;
  if (s.stopping.exchange(true)) return;
  // A blocking accept() in another thread wakes up on shutdown(), not on close().
  ::shutdown(s.acceptor.native_handle(), SHUT_RDWR);
  s.watchdog.ShutdownAll();
}

void Server::Impl::Serve(tcp::socket socket) {
  Connection c(std::move(socket), &watchdog, options.request_timeout_s);
  while (!stopping) {
    http::request_parser<http::buffer_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // the routes enforce theirs
    c.Arm();
    boost::system::error_code ec;
    http::read_header(c.socket, c.buffer, parser, ec);
    if (ec) {
      if (ec != http::error::end_of_stream && ec != net::error::eof && ec != net::error::connection_reset &&
          !c.timed_out() && ec != net::error::operation_aborted && ec != net::error::bad_descriptor) {
        WriteError(c, 400, "bad_request", "failed to read the request: " + ec.message(), false);
      }
      return;
    }
    const int64_t start = NowMs();
    std::string route = "other";
    int status = 0;
    const bool keep = Handle(c, parser, &route, &status);
    if (status) metrics.Observe(route, status, (NowMs() - start) / 1000.0);
    if (!keep || !parser.get().keep_alive()) return;
  }
}

bool Server::Impl::Handle(Connection& c, http::request_parser<http::buffer_body>& parser, std::string* route,
                          int* status) {
  const http::request<http::buffer_body>& req = parser.get();
  const std::string target(req.target());
  const size_t q = target.find('?');
  const std::string path = target.substr(0, q);
  const std::string raw_query = q == std::string::npos ? "" : target.substr(q + 1);
  const bool has_body = parser.chunked() || (parser.content_length() && *parser.content_length() > 0);
  auto error = [&](int code, const char* kind, const std::string& message) {
    *status = code;
    return WriteError(c, code, kind, message, !has_body && req.keep_alive());
  };
  const auto method = req.method();

  if (path == "/healthz" && method == http::verb::get) {
    *route = "healthz";
    *status = 200;
    // The web app asks before its first API call, so that it can ask for the token
    // without provoking a 401.
    return WriteJson(c, 200, {{"status", "ok"}, {"token_required", !options.token.empty()}}, !has_body);
  }
  if (path == "/readyz" && method == http::verb::get) {
    *route = "readyz";
    Status db = stores.Check();
    if (!ready || !db.ok()) {
      return error(503, "unavailable", !ready ? "the models are not loaded yet" : db.message());
    }
    *status = 200;
    return WriteJson(c, 200, {{"status", "ready"}}, !has_body);
  }
  // The web app: everything outside the API, without a token (the pages ask for it).
  const bool api_path = path.starts_with("/v1/") || path == "/metrics" || path == "/openapi.json";
  if (!api_path && !options.web_root.empty() && (method == http::verb::get || method == http::verb::head)) {
    *route = "static";
    if (has_body) return error(400, "bad_request", "this route takes no request body");
    return ServeStatic(c, req, path, status);
  }
  // Browsers cannot set headers on a WebSocket, a <video> or a download link: /v1/live and
  // every GET also take ?access_token=TOKEN (never a POST or DELETE, which the pages send
  // with the header).
  std::string query = raw_query;
  std::string authorization(req[http::field::authorization]);
  if (method == http::verb::get && raw_query.find("access_token=") != std::string::npos) {
    auto pairs = ParseQuery(query);
    if (pairs.ok()) {
      std::string rest;
      for (const auto& [key, value] : *pairs) {
        if (key == "access_token") {
          authorization = "Bearer " + value;
        } else {
          rest += (rest.empty() ? "" : "&") + EncodeQueryValue(key) + "=" + EncodeQueryValue(value);
        }
      }
      query = rest;
    }
  }
  if (!options.token.empty() && !BearerTokenMatches(authorization, options.token)) {
    *route = "unauthorized";
    *status = 401;
    return WriteError(c, 401, "unauthorized", "a valid 'Authorization: Bearer TOKEN' header is required",
                      !has_body && req.keep_alive(), {{"WWW-Authenticate", "Bearer"}});
  }
  if (path == "/metrics" && method == http::verb::get) {
    *route = "metrics";
    *status = 200;
    return WriteText(c, 200, "text/plain; version=0.0.4", MetricsText(), !has_body);
  }
  if (path == "/openapi.json" && method == http::verb::get) {
    *route = "openapi";
    *status = 200;
    return WriteText(c, 200, "application/json", OpenApiDocument(), !has_body);
  }
  if (path == "/v1/sessions" && method == http::verb::post) {
    *route = "sessions_create";
    return CreateSession(c, parser, query, status);
  }
  if (path == "/v1/detect" && method == http::verb::post) {
    *route = "detect";
    return Detect(c, parser, query, status);
  }
  if (path == "/v1/live" && method == http::verb::get) {
    *route = "live";
    if (!beast::websocket::is_upgrade(req)) return error(400, "bad_request", "GET /v1/live is a WebSocket");
    if (sockets >= options.max_sockets) {
      return error(503, "unavailable", "too many live sockets (" + std::to_string(options.max_sockets) + ")");
    }
    auto live = ParseSessionOptions(query);
    if (!live.ok()) return error(400, "invalid_argument", live.status().message());
    auto engine = engines->Get(live->landmarker.model.variant);
    if (!engine.ok()) return error(503, "unavailable", engine.status().message());
    ++sockets;
    *status = 101;
    LiveOptions lo{*live, *engine, options.max_socket_message_bytes, options.max_pixels,
                   options.max_image_bytes};
    RunLiveSocket(c, parser.get(), lo);
    --sockets;
    return false;
  }
  if (has_body) return error(400, "bad_request", "this route takes no request body");
  if (path == "/v1/sessions" && method == http::verb::get) {
    *route = "sessions_list";
    auto pairs = ParseQuery(query);
    if (!pairs.ok()) return error(400, "invalid_argument", pairs.status().message());
    int limit = 20;
    std::string after;
    for (const auto& [key, value] : *pairs) {
      if (key == "limit") {
        char* end = nullptr;
        const long v = std::strtol(value.c_str(), &end, 10);
        if (value.empty() || *end || v < 1 || v > 100) {
          return error(400, "invalid_argument",
                       "limit must be an integer from 1 to 100, got '" + value + "'");
        }
        limit = static_cast<int>(v);
      } else if (key == "page_token") {
        const size_t cut = value.find('_');
        if (cut == std::string::npos || !IsValidSessionId(value.substr(cut + 1))) {
          return error(400, "invalid_argument", "page_token is not one this server gave");
        }
        after = value;
      } else {
        return error(400, "invalid_argument", "unknown option '" + key + "' (options: limit, page_token)");
      }
    }
    auto store = stores.Acquire();
    if (!store.ok()) return error(503, "unavailable", store.status().message());
    auto list = (*store)->List(limit + 1, after);
    if (!list.ok()) return error(503, "unavailable", list.status().message());
    Json sessions = Json::array();
    for (size_t i = 0; i < list->size() && i < static_cast<size_t>(limit); ++i) {
      sessions.push_back(SessionJson((*list)[i]));
    }
    Json out = {{"sessions", std::move(sessions)}};
    if (list->size() > static_cast<size_t>(limit)) out["next_page_token"] = PageToken((*list)[limit - 1]);
    *status = 200;
    return WriteJson(c, 200, out, true);
  }
  constexpr std::string_view kSessions = "/v1/sessions/";
  if (path.starts_with(kSessions)) {
    *route = "session";
    return SessionRoute(c, req, path.substr(kSessions.size()), query, status);
  }
  *route = "not_found";
  return error(404, "not_found", "no route " + std::string(req.method_string()) + " " + path);
}

bool Server::Impl::ServeStatic(Connection& c, const http::request<http::buffer_body>& req,
                               const std::string& path, int* status) {
  auto file = FindStaticFile(options.web_root, path);
  if (!file.ok()) {
    *status = 404;
    return WriteText(
        c, 404, "text/plain; charset=utf-8", file.status().message() + "\n", req.keep_alive(),
        {{"Cross-Origin-Resource-Policy", "same-origin"}, {"X-Content-Type-Options", "nosniff"}});
  }
  Headers headers = StaticHeaders(*file);
  if (req[http::field::if_none_match] == file->etag) {
    *status = 304;
    headers.erase(headers.begin());  // a 304 has no body, hence no Content-Type or -Length
    return WriteText(c, 304, "", "", req.keep_alive(), headers);
  }
  std::ifstream in(file->path, std::ios::binary);
  if (!in) return WriteError(c, *status = 500, "internal", "failed to read " + path, req.keep_alive());
  *status = 200;
  if (!WriteHeader(c, 200, headers, file->size, req.keep_alive())) return false;
  if (req.method() == http::verb::head) return req.keep_alive();
  std::string buffer(64 * 1024, '\0');
  int64_t left = file->size;
  while (left > 0) {
    in.read(buffer.data(), static_cast<std::streamsize>(std::min<int64_t>(left, buffer.size())));
    const std::streamsize n = in.gcount();
    if (n <= 0) return false;  // the file shrank under us: the header is out, so close
    if (!WriteRaw(c, std::string_view(buffer.data(), static_cast<size_t>(n)))) return false;
    left -= n;
  }
  return req.keep_alive();
}

bool Server::Impl::SessionRoute(Connection& c, const http::request<http::buffer_body>& req,
                                const std::string& rest, const std::string& query, int* status) {
  // {id}, {id}:cancel, {id}/frames, {id}/summary, {id}/overlay.mp4, {id}/video
  std::string id = rest, action;
  if (const size_t slash = rest.find('/'); slash != std::string::npos) {
    id = rest.substr(0, slash);
    action = rest.substr(slash + 1);
  } else if (const size_t colon = rest.find(':'); colon != std::string::npos) {
    id = rest.substr(0, colon);
    action = rest.substr(colon);
  }
  auto error = [&](int code, const char* kind, const std::string& message) {
    *status = code;
    return WriteError(c, code, kind, message, req.keep_alive());
  };
  if (!IsValidSessionId(id)) return error(404, "not_found", "no session '" + id.substr(0, 64) + "'");
  const auto method = req.method();
  auto store = stores.Acquire();
  if (!store.ok()) return error(503, "unavailable", store.status().message());
  if (action.empty() && method == http::verb::delete_) {
    auto deleted = (*store)->Delete(id);
    if (!deleted.ok()) return error(503, "unavailable", deleted.status().message());
    if (!*deleted) return error(404, "not_found", "no session " + id);
    *status = 204;
    return WriteText(c, 204, "", "", true);
  }
  auto session = (*store)->Get(id);
  if (!session.ok()) return error(503, "unavailable", session.status().message());
  if (!*session) return error(404, "not_found", "no session " + id);
  if (action.empty() && method == http::verb::get) {
    *status = 200;
    return WriteJson(c, 200, SessionJson(**session), true);
  }
  if (action == ":cancel" && method == http::verb::post) {
    auto cancelled = (*store)->Cancel(id);
    if (!cancelled.ok()) return error(503, "unavailable", cancelled.status().message());
    if (!*cancelled) {
      return error(409, "conflict", "session " + id + " has already ended (" + (*session)->state + ")");
    }
    auto now = (*store)->Get(id);
    *status = 200;
    return WriteJson(c, 200, now.ok() && *now ? SessionJson(**now) : SessionJson(**session), true);
  }
  if (method != http::verb::get) return error(405, "method_not_allowed", "method not allowed here");
  if (!query.empty() && action != "frames")
    return error(400, "invalid_argument", "this route takes no options");
  if (action == "frames") {
    auto pairs = ParseQuery(query);
    if (!pairs.ok()) return error(400, "invalid_argument", pairs.status().message());
    std::string format = "jsonl";
    for (const auto& [key, value] : *pairs) {
      if (key != "format")
        return error(400, "invalid_argument", "unknown option '" + key + "' (options: format)");
      format = value;
    }
    if (format == "jsonl")
      return ServeBlob(c, **store, req, id, kJsonlBlob, "application/x-ndjson", false, status);
    if (format == "csv") return ServeBlob(c, **store, req, id, kCsvBlob, "text/csv", false, status);
    if (format == "golden")
      return ServeBlob(c, **store, req, id, kGoldenBlob, "application/json", false, status);
    return error(400, "invalid_argument", "format must be jsonl, csv or golden, got '" + format + "'");
  }
  if (action == "summary")
    return ServeBlob(c, **store, req, id, kSummaryBlob, "application/json", false, status);
  if (action == "overlay.mp4") return ServeBlob(c, **store, req, id, kOverlayBlob, "video/mp4", true, status);
  if (action == "video") {
    const std::string& name = (*session)->name;
    const std::string type = name.ends_with(".mp4") || name.ends_with(".m4v") ? "video/mp4"
                             : name.ends_with(".webm")                        ? "video/webm"
                             : name.ends_with(".mov")                         ? "video/quicktime"
                                                                              : "application/octet-stream";
    return ServeBlob(c, **store, req, id, kVideoBlob, type, true, status);
  }
  return error(404, "not_found", "no route GET /v1/sessions/{id}/" + action.substr(0, 64));
}

bool Server::Impl::ServeBlob(Connection& c, SessionStore& store, const http::request<http::buffer_body>& req,
                             const std::string& id, const std::string& kind, const std::string& content_type,
                             bool ranges, int* status) {
  auto size = store.BlobSize(id, kind);
  if (!size.ok()) return WriteError(c, *status = 503, "unavailable", size.status().message(), true);
  if (!*size) {
    return WriteError(c, *status = 404, "not_found",
                      "session " + id + " has no " + kind + " (yet: see its state" +
                          (kind == kOverlayBlob ? "; the overlay is made only with overlay=true)" : ")"),
                      true);
  }
  ByteRange range{0, **size - 1};
  int code = 200;
  if (ranges) {
    auto parsed = ParseRange(std::string(req[http::field::range]), **size);
    if (!parsed.ok()) {
      const bool unsatisfiable = parsed.status().message().find("unsatisfiable") != std::string::npos;
      return WriteError(c, *status = unsatisfiable ? 416 : 400,
                        unsatisfiable ? "range_not_satisfiable" : "bad_request", parsed.status().message(),
                        true, {{"Content-Range", "bytes */" + std::to_string(**size)}});
    }
    if (*parsed) {
      range = **parsed;
      code = 206;
    }
  }
  std::vector<std::pair<std::string, std::string>> headers = {{"Content-Type", content_type}};
  if (ranges) headers.emplace_back("Accept-Ranges", "bytes");
  if (code == 206) {
    headers.emplace_back("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                              std::to_string(range.last) + "/" + std::to_string(**size));
  }
  const int64_t length = **size == 0 ? 0 : range.last - range.first + 1;
  *status = code;
  if (!WriteHeader(c, code, headers, length, req.keep_alive())) return false;
  if (req.method() == http::verb::head) return true;
  for (int64_t at = range.first; at <= range.last && length > 0;) {
    const int64_t index = at / kBlobChunkBytes;
    auto chunk = store.BlobChunk(id, kind, index);
    if (!chunk.ok()) return false;  // the header is out: all we can do is close
    const int64_t offset = at - index * kBlobChunkBytes;
    const int64_t n = std::min<int64_t>(static_cast<int64_t>(chunk->size()) - offset, range.last - at + 1);
    if (n <= 0) return false;
    if (!WriteRaw(c, std::string_view(chunk->data() + offset, n))) return false;
    at += n;
  }
  return true;
}

bool Server::Impl::CreateSession(Connection& c, http::request_parser<http::buffer_body>& parser,
                                 const std::string& query, int* status) {
  const auto& req = parser.get();
  auto refuse = [&](int code, const char* kind, const std::string& message) {
    *status = code;
    return RefuseBody(c, parser, code, kind, message);
  };
  auto options_ = ParseSessionOptions(query);
  if (!options_.ok()) return refuse(400, "invalid_argument", options_.status().message());
  const std::string key(req["Idempotency-Key"]);
  if (key.size() > 200) return refuse(400, "invalid_argument", "Idempotency-Key is longer than 200 bytes");
  std::optional<Session> first;
  if (!key.empty()) {
    auto store = stores.Acquire();
    if (!store.ok()) return refuse(503, "unavailable", store.status().message());
    auto found = (*store)->FindByIdempotencyKey(key);
    if (!found.ok()) return refuse(503, "unavailable", found.status().message());
    first = *found;
  }
  if (first) {  // a retried upload: the first session; the body is read and dropped
    bool keep = req.keep_alive();
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      keep = false;  // the client waits before sending the body: answer now and close
    } else {
      keep = keep && ReadBody(c, parser, options.max_upload_bytes, [](std::string_view) { return true; }) ==
                         BodyStatus::kOk;
    }
    *status = 200;
    return WriteJson(c, 200, SessionJson(*first), keep, {{"Location", "/v1/sessions/" + first->id}}) && keep;
  }
  if (parser.content_length() && *parser.content_length() > static_cast<uint64_t>(options.max_upload_bytes)) {
    return refuse(413, "too_large",
                  "failed to upload video: " + std::to_string(*parser.content_length()) +
                      " bytes is over the limit of " + std::to_string(options.max_upload_bytes) +
                      " bytes (--max-upload-mb)");
  }
  if (!parser.chunked() && (!parser.content_length() || *parser.content_length() == 0)) {
    return refuse(400, "invalid_argument",
                  "failed to upload video: the request body is empty (send the video)");
  }
  if (uploads.fetch_add(1) >= options.max_uploads) {
    --uploads;
    return refuse(503, "unavailable",
                  "too many uploads at once (" + std::to_string(options.max_uploads) + ")");
  }
  struct Release {
    std::atomic<int>& n;
    ~Release() { --n; }
  } release{uploads};

  const std::string part = (std::filesystem::path(upload_dir) / (NewSessionId() + ".part")).string();
  // The upload's file goes before any answer (so a client that got one sees no file).
  struct Remove {
    std::string path;
    void Now() {
      std::error_code ec;
      std::filesystem::remove(path, ec);
    }
    ~Remove() { Now(); }
  } remove{part};
  std::ofstream file(part, std::ios::binary | std::ios::trunc);
  if (!file)
    return refuse(500, "internal", "failed to store the upload: cannot create a file in " + upload_dir);
  int64_t received = 0;
  const BodyStatus body = ReadBody(c, parser, options.max_upload_bytes, [&](std::string_view bytes) {
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    received += static_cast<int64_t>(bytes.size());
    return static_cast<bool>(file);
  });
  file.close();
  if (body != BodyStatus::kOk) remove.Now();
  if (body == BodyStatus::kTooLarge) {
    *status = 413;
    WriteError(c, 413, "too_large",
               "failed to upload video: the body passed the limit of " +
                   std::to_string(options.max_upload_bytes) + " bytes (--max-upload-mb)",
               false);
    return false;
  }
  if (body == BodyStatus::kSinkFailed || !file) {
    *status = 500;
    WriteError(c, 500, "internal", "failed to store the upload: disk full?", false);
    return false;
  }
  if (body != BodyStatus::kOk) return false;  // cut off or timed out: nothing to answer, nothing kept
  if (received == 0) {
    remove.Now();
    *status = 400;
    return WriteError(c, 400, "invalid_argument",
                      "failed to upload video: the request body is empty (send the video)", req.keep_alive());
  }
  // The header must be a video this server will process: refused now rather than failed later.
  VideoReaderOptions reader_options;
  reader_options.max_pixels = options.max_pixels;
  auto reader = VideoReader::Open(part, reader_options);
  if (!reader.ok()) {
    remove.Now();
    std::string message = reader.status().message();
    for (size_t at; (at = message.find(part)) != std::string::npos;)
      message.replace(at, part.size(), options_->name);
    const bool large = reader.status().code() == StatusCode::kResourceExhausted;
    *status = large ? 413 : 415;
    return WriteError(c, *status, large ? "too_large" : "unsupported_media_type", message, req.keep_alive());
  }
  const VideoInfo info = (*reader)->info();
  reader->reset();
  if (info.duration_ms > options.max_video_ms) remove.Now();
  if (info.duration_ms > options.max_video_ms) {
    *status = 413;
    return WriteError(c, 413, "too_large",
                      "failed to upload video: " + std::to_string(info.duration_ms / 1000) +
                          " s is longer than the limit of " + std::to_string(options.max_video_ms / 1000) +
                          " s",
                      req.keep_alive());
  }
  NewSession fresh;
  fresh.id = NewSessionId();
  fresh.name = options_->name;
  fresh.options = options_->canonical;
  fresh.overlay = options_->overlay;
  fresh.idempotency_key = key;
  fresh.max_attempts = options.max_attempts;
  fresh.frames_total = info.frame_count;
  auto store = stores.Acquire();
  if (!store.ok())
    return WriteError(c, *status = 503, "unavailable", store.status().message(), req.keep_alive());
  bool existed = false;
  auto created = (*store)->Create(fresh, part, &existed);
  remove.Now();
  if (!created.ok())
    return WriteError(c, *status = 503, "unavailable", created.status().message(), req.keep_alive());
  if (runner && !existed) runner->Wake();
  *status = existed ? 200 : 202;
  return WriteJson(c, *status, SessionJson(*created), req.keep_alive(),
                   {{"Location", "/v1/sessions/" + created->id}});
}

bool Server::Impl::Detect(Connection& c, http::request_parser<http::buffer_body>& parser,
                          const std::string& query, int* status) {
  const auto& req = parser.get();
  auto refuse = [&](int code, const char* kind, const std::string& message) {
    *status = code;
    return RefuseBody(c, parser, code, kind, message);
  };
  auto detect_options = ParseSessionOptions(query);
  if (!detect_options.ok()) return refuse(400, "invalid_argument", detect_options.status().message());
  if (query.find("name=") == std::string::npos) detect_options->name = "image";
  if (parser.content_length() && *parser.content_length() > static_cast<uint64_t>(options.max_image_bytes)) {
    return refuse(413, "too_large",
                  "failed to read image: " + std::to_string(*parser.content_length()) +
                      " bytes is over the limit of " + std::to_string(options.max_image_bytes) + " bytes");
  }
  std::string bytes;
  const BodyStatus body = ReadBody(c, parser, options.max_image_bytes, [&](std::string_view chunk) {
    bytes.append(chunk);
    return true;
  });
  if (body == BodyStatus::kTooLarge) {
    *status = 413;
    WriteError(c, 413, "too_large",
               "failed to read image: the body passed the limit of " +
                   std::to_string(options.max_image_bytes) + " bytes",
               false);
    return false;
  }
  if (body != BodyStatus::kOk) return false;
  if (bytes.empty()) {
    *status = 400;
    return WriteError(c, 400, "invalid_argument",
                      "failed to read image: the request body is empty (send a JPEG or PNG)",
                      req.keep_alive());
  }
  DecodeLimits limits;
  limits.max_pixels = options.max_pixels;
  limits.max_file_bytes = options.max_image_bytes;
  auto image = DecodeImage(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
                           detect_options->name, limits);
  if (!image.ok()) {
    const bool large = image.status().code() == StatusCode::kResourceExhausted;
    *status = large ? 413 : 415;
    return WriteError(c, *status, large ? "too_large" : "unsupported_media_type", image.status().message(),
                      req.keep_alive());
  }
  auto engine = engines->Get(detect_options->landmarker.model.variant);
  if (!engine.ok())
    return WriteError(c, *status = 503, "unavailable", engine.status().message(), req.keep_alive());
  HandLandmarkerOptions landmarker_options = detect_options->landmarker;
  landmarker_options.running_mode = RunningMode::kImage;
  landmarker_options.smoothing = SmoothingMode::kDefault;
  landmarker_options.engine = *engine;
  auto landmarker = HandLandmarker::Create(landmarker_options);
  if (!landmarker.ok()) {
    return WriteError(c, *status = 500, "internal", landmarker.status().message(), req.keep_alive());
  }
  const auto start = std::chrono::steady_clock::now();
  auto result = (*landmarker)->Detect(image->view());
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!result.ok())
    return WriteError(c, *status = 500, "internal", result.status().message(), req.keep_alive());
  *status = 200;
  return WriteJson(c, 200,
                   cli::FrameJson(0, detect_options->name, image->width(), image->height(),
                                  std::round(ms * 100) / 100, *result),
                   req.keep_alive());
}

std::string Server::Impl::MetricsText() {
  std::string out;
  auto gauge = [&](const char* name, const char* help, const char* type, const std::string& labels,
                   double value) {
    char line[512];
    std::snprintf(line, sizeof(line), "# HELP %s %s\n# TYPE %s %s\n%s%s %.6g\n", name, help, name, type, name,
                  labels.c_str(), value);
    out += line;
  };
  auto store = stores.Acquire();
  if (store.ok()) {
    auto counts = (*store)->CountStates();
    if (counts.ok()) {
      out +=
          "# HELP handtrack_sessions Sessions in the database by state.\n# TYPE handtrack_sessions gauge\n";
      const std::pair<const char*, int64_t> states[] = {{"queued", counts->queued},
                                                        {"running", counts->running},
                                                        {"succeeded", counts->succeeded},
                                                        {"failed", counts->failed},
                                                        {"cancelled", counts->cancelled}};
      for (const auto& [state, n] : states) {
        out += "handtrack_sessions{state=\"" + std::string(state) + "\"} " + std::to_string(n) + "\n";
      }
      gauge("handtrack_queue_depth", "Sessions waiting for a worker.", "gauge", "", counts->queued);
    }
  }
  const int64_t frames = runner ? runner->frames_processed() : 0;
  double fps = 0;
  {
    std::lock_guard lock(rate_mutex);
    const int64_t now = NowMs();
    frame_samples.emplace_back(now, frames);
    while (frame_samples.size() > 2 && frame_samples.front().first < now - 60000) {
      frame_samples.erase(frame_samples.begin());
    }
    const auto& [t0, f0] = frame_samples.front();
    if (now > t0) fps = (frames - f0) * 1000.0 / (now - t0);
  }
  gauge("handtrack_frames_processed_total", "Video frames processed by this process's workers.", "counter",
        "", static_cast<double>(frames));
  gauge("handtrack_frames_per_second",
        "Frames processed per second since the previous scrape (up to a minute).", "gauge", "", fps);
  gauge("handtrack_jobs_finished_total", "Jobs this process's workers ended.", "counter", "",
        runner ? static_cast<double>(runner->jobs_finished()) : 0.0);
  gauge("handtrack_uploads_in_progress", "Uploads being received.", "gauge", "", uploads.load());
  gauge("handtrack_live_sockets", "Open /v1/live sockets.", "gauge", "", sockets.load());
  out +=
      "# HELP handtrack_model_runs_total Model runs by model variant and model.\n"
      "# TYPE handtrack_model_runs_total counter\n";
  std::string frames_text =
      "# HELP handtrack_model_frames_total Frames in those runs (frames / runs: the mean batch size).\n"
      "# TYPE handtrack_model_frames_total counter\n";
  std::string batch_text =
      "# HELP handtrack_model_max_batch The fullest batch so far.\n# TYPE handtrack_model_max_batch gauge\n";
  std::string seconds_text =
      "# HELP handtrack_model_run_seconds_total Wall time of those runs, summed (seconds / runs: the mean "
      "run).\n"
      "# TYPE handtrack_model_run_seconds_total counter\n";
  std::string queue_text =
      "# HELP handtrack_model_queue_seconds_total Time frames waited for their run to begin, summed "
      "(seconds / frames: a frame's mean wait).\n"
      "# TYPE handtrack_model_queue_seconds_total counter\n";
  for (const auto& [variant, stats] : engines->Stats()) {
    for (const auto& [model, s] : {std::pair{"palm", stats.palm}, std::pair{"landmarks", stats.landmarks}}) {
      const std::string labels = "{variant=\"" + variant + "\",model=\"" + model + "\"} ";
      out += "handtrack_model_runs_total" + labels + std::to_string(s.runs) + "\n";
      frames_text += "handtrack_model_frames_total" + labels + std::to_string(s.frames) + "\n";
      batch_text += "handtrack_model_max_batch" + labels + std::to_string(s.max_frames_per_run) + "\n";
      seconds_text += "handtrack_model_run_seconds_total" + labels + std::to_string(s.run_seconds) + "\n";
      queue_text += "handtrack_model_queue_seconds_total" + labels + std::to_string(s.queue_seconds) + "\n";
    }
  }
  return out + frames_text + batch_text + seconds_text + queue_text + metrics.Text();
}

}  // namespace handtrack::serve
