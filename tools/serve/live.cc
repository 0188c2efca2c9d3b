#include "live.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <map>
#include <set>

#include "handtrack/gestures.h"
#include "handtrack/image_io.h"

namespace handtrack::serve {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Json = cli::Json;

namespace {

class LiveSession : public std::enable_shared_from_this<LiveSession> {
 public:
  LiveSession(net::io_context& ioc, tcp::socket socket, const LiveOptions& options)
      : ioc_(ioc), ws_(std::move(socket)), options_(options) {}

  Status Start(const beast::http::request<beast::http::buffer_body>& upgrade) {
    HandLandmarkerOptions lo = options_.session.landmarker;
    lo.running_mode = RunningMode::kLiveStream;
    lo.engine = options_.engine;
    std::weak_ptr<LiveSession> weak = weak_from_this();
    net::io_context* ioc = &ioc_;
    lo.result_callback = [weak, ioc](Result<HandLandmarkerResult> result, const ImageView& frame,
                                     int64_t ts) {
      if (auto self = weak.lock()) {
        Json message =
            self->ResultJson(result, frame.width, frame.height, ts);  // pinch state: callback thread only
        net::post(*ioc, [self, message = std::move(message), ts]() mutable {
          self->Answer(std::move(message), ts);
        });
      }
    };
    HT_ASSIGN_OR_RETURN(landmarker_, HandLandmarker::Create(lo));
    ws_.read_message_max(static_cast<size_t>(options_.max_message_bytes));
    websocket::stream_base::timeout timeout =
        websocket::stream_base::timeout::suggested(beast::role_type::server);
    ws_.set_option(timeout);
    ws_.async_accept(upgrade, [self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->Read();
    });
    return Status::Ok();
  }

  // After the loop: finish the landmarker's frames, then close the socket so that what
  // is left in the loop ends at once.
  void Close() {
    if (landmarker_) (void)landmarker_->Close();
    beast::error_code ec;
    ws_.next_layer().shutdown(tcp::socket::shutdown_both, ec);
    ws_.next_layer().close(ec);
  }

 private:
  void Read() {
    in_.clear();
    ws_.async_read(in_, [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec) {
      if (ec == websocket::error::message_too_big) {
        // Beast closes the socket with 1009 ("message too big") itself.
      }
      return;
    }
    const auto data = in_.cdata();
    const std::span<const uint8_t> bytes(static_cast<const uint8_t*>(data.data()), data.size());
    Status status = Status::Ok();
    if (ws_.got_text()) {
      status = InvalidArgumentError(
          "failed to read frame: send frames as binary messages (20-byte header, then pixels)");
    } else {
      status = Submit(bytes);
    }
    if (!status.ok()) {
      ++errors_;
      Json error = {{"error", {{"code", "invalid_argument"}, {"message", status.message()}}}};
      Send(error.dump());
    }
    if (errors_ > 100) {  // a client sending only garbage
      ws_.async_close(websocket::close_reason(websocket::close_code::policy_error, "too many bad messages"),
                      [self = shared_from_this()](beast::error_code) {});
      return;
    }
    Read();
  }

  Status Submit(std::span<const uint8_t> bytes) {
    HT_ASSIGN_OR_RETURN(LiveFrame frame, ParseLiveFrame(bytes, options_.max_pixels));
    if (!pending_.empty() && frame.timestamp_ms <= *pending_.rbegin()) {
      return InvalidArgumentError("failed to read frame: timestamp " + std::to_string(frame.timestamp_ms) +
                                  " is not after the previous frame's");
    }
    Status queued;
    if (frame.raw_rgba) {
      queued = landmarker_->DetectAsync(
          ImageView::Packed(frame.payload.data(), frame.width, frame.height, PixelFormat::kRGBA),
          frame.timestamp_ms);
    } else {
      DecodeLimits limits;
      limits.max_pixels = options_.max_pixels;
      limits.max_file_bytes = options_.max_image_bytes;
      HT_ASSIGN_OR_RETURN(Image image,
                          DecodeImage(frame.payload, "frame " + std::to_string(frame.timestamp_ms), limits));
      queued = landmarker_->DetectAsync(image.view(), frame.timestamp_ms);
    }
    HT_RETURN_IF_ERROR(queued);
    pending_.insert(frame.timestamp_ms);
    return Status::Ok();
  }

  // On the landmarker's thread: the frame's JSON, with gestures and pinch per hand id.
  Json ResultJson(const Result<HandLandmarkerResult>& result, int width, int height, int64_t ts) {
    Json out = {{"timestamp_ms", ts}, {"width", width}, {"height", height}};
    if (!result.ok()) {
      out["error"] = {{"code", "internal"}, {"message", result.status().message()}};
      return out;
    }
    Json hands = Json::array();
    std::map<int, PinchTracker> alive;
    for (const HandResult& hand : result->hands) {
      const HandGestures gestures = ComputeGestures(hand, width, height);
      auto found = pinch_.find(hand.id);
      PinchTracker tracker = found != pinch_.end() ? found->second : PinchTracker(GestureOptions{});
      const PinchEventType event = tracker.Update(gestures, ts).type;
      Json landmarks = Json::array();
      for (const auto& p : hand.landmarks)
        landmarks.push_back({cli::Round7(p.x), cli::Round7(p.y), cli::Round7(p.z)});
      Json h = {
          {"id", hand.id},
          {"handedness", {{"label", hand.handedness.label}, {"score", cli::Round7(hand.handedness.score)}}},
          {"landmarks", std::move(landmarks)},
          {"gesture", GestureName(gestures.gesture)},
          {"gesture_score", cli::Round7(gestures.gesture_score)},
          {"finger_count", gestures.finger_count},
          {"pinch", tracker.pinching()}};
      if (event == PinchEventType::kStart) h["pinch_event"] = "start";
      if (event == PinchEventType::kEnd) h["pinch_event"] = "end";
      hands.push_back(std::move(h));
      alive.emplace(hand.id, std::move(tracker));
    }
    pinch_ = std::move(alive);
    out["hands"] = std::move(hands);
    return out;
  }

  // On the socket's thread: frames queued before this one and never answered were dropped.
  void Answer(Json message, int64_t ts) {
    Json dropped = Json::array();
    for (auto it = pending_.begin(); it != pending_.end() && *it <= ts;) {
      if (*it < ts) dropped.push_back(*it);
      it = pending_.erase(it);
    }
    message["dropped"] = std::move(dropped);
    Send(message.dump());
  }

  void Send(std::string text) {
    outbox_.push_back(std::move(text));
    if (outbox_.size() == 1) Write();
  }

  void Write() {
    ws_.text(true);
    ws_.async_write(net::buffer(outbox_.front()), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return;
      self->outbox_.pop_front();
      if (!self->outbox_.empty()) self->Write();
    });
  }

  net::io_context& ioc_;
  websocket::stream<tcp::socket> ws_;
  LiveOptions options_;
  std::unique_ptr<HandLandmarker> landmarker_;
  beast::flat_buffer in_;
  std::set<int64_t> pending_;
  std::deque<std::string> outbox_;
  std::map<int, PinchTracker> pinch_;
  int errors_ = 0;
};

}  // namespace

void RunLiveSocket(Connection& c, const beast::http::request<beast::http::buffer_body>& upgrade,
                   const LiveOptions& options) {
  // The socket moves to an event loop of its own: reads and writes then interleave on one
  // thread, as Beast's WebSocket stream requires.
  c.Disarm();
  net::io_context ioc;
  beast::error_code ec;
  const auto protocol = c.socket.local_endpoint(ec).protocol();
  if (ec) return;
  const int fd = c.socket.release(ec);
  if (ec) return;
  tcp::socket socket(ioc);
  socket.assign(protocol, fd, ec);
  if (ec) return;
  auto session = std::make_shared<LiveSession>(ioc, std::move(socket), options);
  if (!session->Start(upgrade).ok()) return;
  ioc.run();
  session->Close();  // joins the landmarker's thread
  ioc.restart();
  ioc.run();  // late answers fail at once on the closed socket
}

}  // namespace handtrack::serve
