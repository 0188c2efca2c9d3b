// The plumbing of the HTTP layer: connections with an idle timeout enforced by a watchdog,
// responses (JSON errors as {"error": {"code", "message"}}), request bodies read in pieces
// with a size cap, and a pool of database connections.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "frame_json.h"
#include "store.h"

namespace handtrack::serve {

class Connection;

// Shuts down connections whose deadline passed (blocking reads and writes then fail).
class Watchdog {
 public:
  ~Watchdog() { Stop(); }
  void Start();
  void Stop();
  void Add(Connection* c);
  void Remove(Connection* c);
  // Shuts every connection down now (the server is stopping).
  void ShutdownAll();

 private:
  std::mutex mutex_;
  std::set<Connection*> connections_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

class Connection {
 public:
  Connection(boost::asio::ip::tcp::socket socket, Watchdog* watchdog, int timeout_s);
  ~Connection();
  // The next I/O must make progress within the timeout; Disarm after it.
  void Arm();
  void Disarm() { deadline_ms_ = 0; }
  bool timed_out() const { return timed_out_; }

  boost::asio::ip::tcp::socket socket;
  boost::beast::flat_buffer buffer;

 private:
  friend class Watchdog;
  Watchdog* watchdog_;
  int timeout_s_;
  std::atomic<int64_t> deadline_ms_{0};
  std::atomic<bool> timed_out_{false};
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// Each returns whether the connection may serve another request (keep_alive and written).
bool WriteText(Connection& c, int status, const std::string& content_type, const std::string& body,
               bool keep_alive, const Headers& headers = {});
bool WriteJson(Connection& c, int status, const cli::Json& body, bool keep_alive,
               const Headers& headers = {});
bool WriteError(Connection& c, int status, const std::string& code, const std::string& message,
                bool keep_alive, const Headers& headers = {});
// A header with Content-Length `length`; the body follows with WriteRaw.
bool WriteHeader(Connection& c, int status, const Headers& headers, int64_t length, bool keep_alive);
bool WriteRaw(Connection& c, std::string_view bytes);

enum class BodyStatus { kOk, kTooLarge, kCutOff, kSinkFailed };
// Reads the request body in pieces of up to 64 KiB into `sink` (false: stop), at most
// `limit` bytes (kTooLarge as soon as it passes). Answers "Expect: 100-continue" first.
BodyStatus ReadBody(Connection& c,
                    boost::beast::http::request_parser<boost::beast::http::buffer_body>& parser,
                    int64_t limit, const std::function<bool(std::string_view)>& sink);
// Answers an error without reading the body; when the client is already sending one,
// reads and drops at most kDrainBytes of it so the answer reaches it, then closes.
inline constexpr int64_t kDrainBytes = 64 * 1024;
bool RefuseBody(Connection& c, boost::beast::http::request_parser<boost::beast::http::buffer_body>& parser,
                int status, const std::string& code, const std::string& message);

// Database connections for request threads, reused; at most `max_open` at once (more
// callers wait), so that a burst of requests stays within the database's connection limit.
class StorePool {
 public:
  explicit StorePool(std::string address, int max_open = 32)
      : address_(std::move(address)), max_open_(max_open) {}
  class Lease {
   public:
    Lease(StorePool* pool, std::unique_ptr<SessionStore> store) : pool_(pool), store_(std::move(store)) {}
    Lease(Lease&&) = default;
    ~Lease();
    SessionStore* operator->() { return store_.get(); }
    SessionStore& operator*() { return *store_; }

   private:
    StorePool* pool_;
    std::unique_ptr<SessionStore> store_;
  };
  Result<Lease> Acquire();
  // Opens a connection and asks the database something.
  Status Check();

 private:
  void Return(std::unique_ptr<SessionStore> store);
  std::string address_;
  int max_open_;
  int open_ = 0;  // connections handed out or idle
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<SessionStore>> idle_;
};

}  // namespace handtrack::serve
