#include "http_util.h"

#include <sys/socket.h>

#include <boost/asio/write.hpp>
#include <chrono>

namespace handtrack::serve {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void Watchdog::Start() {
  thread_ = std::thread([this] {
    while (!stop_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      const int64_t now = NowMs();
      std::lock_guard lock(mutex_);
      for (Connection* c : connections_) {
        const int64_t deadline = c->deadline_ms_;
        if (deadline != 0 && now > deadline && !c->timed_out_) {
          c->timed_out_ = true;
          ::shutdown(c->socket.native_handle(), SHUT_RDWR);  // wakes the blocked read or write
        }
      }
    }
  });
}

void Watchdog::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void Watchdog::ShutdownAll() {
  std::lock_guard lock(mutex_);
  for (Connection* c : connections_) ::shutdown(c->socket.native_handle(), SHUT_RDWR);
}

void Watchdog::Add(Connection* c) {
  std::lock_guard lock(mutex_);
  connections_.insert(c);
}

void Watchdog::Remove(Connection* c) {
  std::lock_guard lock(mutex_);
  connections_.erase(c);
}

Connection::Connection(net::ip::tcp::socket s, Watchdog* watchdog, int timeout_s)
    : socket(std::move(s)), watchdog_(watchdog), timeout_s_(timeout_s) {
  boost::system::error_code ec;
  socket.set_option(net::ip::tcp::no_delay(true), ec);
  watchdog_->Add(this);
}

Connection::~Connection() {
  watchdog_->Remove(this);
  boost::system::error_code ec;
  socket.shutdown(net::ip::tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

void Connection::Arm() { deadline_ms_ = NowMs() + int64_t{timeout_s_} * 1000; }

bool WriteText(Connection& c, int status, const std::string& content_type, const std::string& body,
               bool keep_alive, const Headers& headers) {
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  res.set(http::field::server, "handtrack");
  if (!content_type.empty()) res.set(http::field::content_type, content_type);
  for (const auto& [name, value] : headers) res.set(name, value);
  res.keep_alive(keep_alive);
  res.body() = body;
  res.prepare_payload();
  boost::system::error_code ec;
  c.Arm();
  http::write(c.socket, res, ec);
  c.Disarm();
  return keep_alive && !ec;
}

bool WriteJson(Connection& c, int status, const cli::Json& body, bool keep_alive, const Headers& headers) {
  return WriteText(c, status, "application/json", body.dump() + "\n", keep_alive, headers);
}

bool WriteError(Connection& c, int status, const std::string& code, const std::string& message,
                bool keep_alive, const Headers& headers) {
  return WriteJson(c, status, {{"error", {{"code", code}, {"message", message}}}}, keep_alive, headers);
}

bool WriteHeader(Connection& c, int status, const Headers& headers, int64_t length, bool keep_alive) {
  http::response<http::empty_body> res{static_cast<http::status>(status), 11};
  res.set(http::field::server, "handtrack");
  for (const auto& [name, value] : headers) res.set(name, value);
  res.keep_alive(keep_alive);
  res.content_length(static_cast<uint64_t>(length));
  http::response_serializer<http::empty_body> serializer{res};
  boost::system::error_code ec;
  c.Arm();
  http::write_header(c.socket, serializer, ec);
  c.Disarm();
  return !ec;
}

bool WriteRaw(Connection& c, std::string_view bytes) {
  boost::system::error_code ec;
  c.Arm();
  net::write(c.socket, net::buffer(bytes.data(), bytes.size()), ec);
  c.Disarm();
  return !ec;
}

BodyStatus ReadBody(Connection& c, http::request_parser<http::buffer_body>& parser, int64_t limit,
                    const std::function<bool(std::string_view)>& sink) {
  if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
    http::response<http::empty_body> go_on{http::status::continue_, 11};
    boost::system::error_code ec;
    c.Arm();
    http::write(c.socket, go_on, ec);
    c.Disarm();
    if (ec) return BodyStatus::kCutOff;
  }
  static thread_local std::vector<char> piece(64 * 1024);
  int64_t total = 0;
  while (!parser.is_done()) {
    auto& body = parser.get().body();
    body.data = piece.data();
    body.size = piece.size();
    boost::system::error_code ec;
    c.Arm();
    http::read(c.socket, c.buffer, parser, ec);
    c.Disarm();
    if (ec == http::error::need_buffer) ec = {};
    if (ec) return BodyStatus::kCutOff;
    const size_t got = piece.size() - body.size;
    total += static_cast<int64_t>(got);
    if (total > limit) return BodyStatus::kTooLarge;
    if (got > 0 && !sink(std::string_view(piece.data(), got))) return BodyStatus::kSinkFailed;
  }
  return BodyStatus::kOk;
}

bool RefuseBody(Connection& c, http::request_parser<http::buffer_body>& parser, int status,
                const std::string& code, const std::string& message) {
  const bool has_body = parser.chunked() || (parser.content_length() && *parser.content_length() > 0);
  const bool waiting = beast::iequals(parser.get()[http::field::expect], "100-continue");
  const bool keep = WriteError(c, status, code, message, !has_body && parser.get().keep_alive());
  if (has_body && !waiting) {
    // The client sends the body before it reads the answer: take a little of it so the
    // answer is not lost to a reset, then close.
    boost::system::error_code ec;
    c.socket.shutdown(net::ip::tcp::socket::shutdown_send, ec);
    std::vector<char> sink(16 * 1024);
    int64_t drained = static_cast<int64_t>(c.buffer.size());
    while (drained < kDrainBytes) {
      c.Arm();
      const size_t n = c.socket.read_some(net::buffer(sink), ec);
      c.Disarm();
      if (ec) break;
      drained += static_cast<int64_t>(n);
    }
    return false;
  }
  return keep;
}

StorePool::Lease::~Lease() {
  if (store_ && pool_) pool_->Return(std::move(store_));
}

void StorePool::Return(std::unique_ptr<SessionStore> store) {
  std::lock_guard lock(mutex_);
  idle_.push_back(std::move(store));
  freed_.notify_one();
}

Result<StorePool::Lease> StorePool::Acquire() {
  {
    std::unique_lock lock(mutex_);
    freed_.wait(lock, [&] { return !idle_.empty() || open_ < max_open_; });
    if (!idle_.empty()) {
      std::unique_ptr<SessionStore> store = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(store));
    }
    ++open_;
  }
  auto store = SessionStore::Open(address_);
  if (!store.ok()) {
    std::lock_guard lock(mutex_);
    --open_;
    freed_.notify_one();
    return store.status();
  }
  return Lease(this, std::move(store).value());
}

Status StorePool::Check() {
  HT_ASSIGN_OR_RETURN(Lease store, Acquire());
  return store->CountStates().status();
}

}  // namespace handtrack::serve
