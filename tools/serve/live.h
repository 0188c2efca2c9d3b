// GET /v1/live: a WebSocket on which a client streams frames (request.h's LiveFrame: raw
// RGBA or a JPEG/PNG behind a 20-byte header) and gets each frame's hands back as JSON,
// with LIVE_STREAM semantics: while a frame is being processed, a newer frame replaces
// the waiting one, and the client is told which timestamps were dropped.
#pragma once

#include <cstdint>
#include <memory>

#include <boost/beast/http.hpp>

#include "handtrack/hand_engine.h"
#include "http_util.h"
#include "request.h"

namespace handtrack::serve {

struct LiveOptions {
  SessionOptions session;  // track's options (smoothing on unless smoothing=off)
  std::shared_ptr<HandEngine> engine;
  int64_t max_message_bytes = 8 << 20;
  int64_t max_pixels = 3840LL * 2160;
  int64_t max_image_bytes = 16 << 20;
};

// Accepts the upgrade and serves the socket until it closes.
void RunLiveSocket(Connection& c, const boost::beast::http::request<boost::beast::http::buffer_body>& upgrade,
                   const LiveOptions& options);

}  // namespace handtrack::serve
