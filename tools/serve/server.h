// `handtrack serve`'s HTTP layer (Boost.Beast): the /v1 API, health checks, metrics and
// the OpenAPI document. One thread per connection with blocking I/O; a watchdog closes
// connections idle past the request timeout. Request data goes through request.h's
// parsers; sessions through the store (store.h); videos through the runners (runner.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "handtrack/status.h"
#include "runner.h"

namespace handtrack::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (printed at start)
  std::string data_dir = "handtrack-data";
  std::string db;        // database address; empty: DATA/handtrack.db (SQLite)
  std::string token;     // bearer token; empty: none (loopback only)
  std::string web_root;  // the web app's folder served at / (static_files.h); empty: none
  int64_t max_upload_bytes = 256LL << 20;
  int64_t max_image_bytes = 16LL << 20;
  int64_t max_video_ms = 30LL * 60 * 1000;
  int64_t max_pixels = 3840LL * 2160;
  int request_timeout_s = 30;  // idle time allowed within a request
  int max_uploads = 32;        // uploads at once
  int max_connections = 256;
  int max_sockets = 16;  // /v1/live sockets at once
  int64_t max_socket_message_bytes = 8LL << 20;
  int max_attempts = 3;  // attempts of a job before it fails
};

class Server {
 public:
  Server(ServerOptions options, std::shared_ptr<EngineSet> engines, Runner* runner);
  ~Server();
  // Opens the database (creating the tables), the data folder and the listening socket.
  Status Start();
  int port() const;
  // Serves until Stop() (from another thread or a signal handler's thread).
  void Run();
  void Stop();
  // Models loaded and database reachable (/readyz).
  void SetReady(bool ready);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace handtrack::serve
