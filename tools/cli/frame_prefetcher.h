// Decode-ahead for one video: a thread of its own decodes the next frames into a small
// bounded queue while the caller tracks the previous ones, so decoding overlaps inference.
//
//   FramePrefetcher frames(reader.get());   // starts decoding
//   VideoFrame frame;
//   for (;;) {
//     HT_ASSIGN_OR_RETURN(bool got, frames.Next(&frame));
//     if (!got) break;
//     ... frame ...
//   }
//
// Next gives exactly what reader->ReadFrame would, in the same order: every frame, then the
// clean end or the reader's error (so the frames decoded before a failure all come first).
// Memory: at most `depth` frames wait in the queue, plus the one being decoded and the one the
// caller holds: (depth + 2) x width x height x 3 bytes per video (1920x1080 at depth 4: 37 MB).
// Frames circulate between the caller and the decoder, so their pixel memory is reused.
//
// While the prefetcher runs, the reader belongs to its thread: the caller may only read the
// reader's info(), which VideoReader fixes at open. Stop() (or the destructor) ends the
// thread promptly: it finishes at most the frame it is decoding.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "handtrack/status.h"
#include "handtrack/video_io.h"

namespace handtrack::cli {

class FramePrefetcher {
 public:
  static constexpr int kDefaultDepth = 4;

  // `reader` must outlive the prefetcher (or its Stop()). depth >= 1.
  explicit FramePrefetcher(VideoReader* reader, int depth = kDefaultDepth);
  ~FramePrefetcher();  // Stop()
  FramePrefetcher(const FramePrefetcher&) = delete;
  FramePrefetcher& operator=(const FramePrefetcher&) = delete;

  // As VideoReader::ReadFrame: true with the next frame in *frame (whose previous pixel
  // memory goes back to the decoder), false at the clean end, or the reader's error; the
  // end and the error repeat. After Stop(): the end or error if the reader gave it, else
  // FailedPrecondition.
  Result<bool> Next(VideoFrame* frame);

  // Stops decoding and joins the thread; frames still queued are dropped. Idempotent.
  void Stop();

 private:
  void Decode();

  VideoReader* const reader_;
  const size_t depth_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<VideoFrame> ready_;   // decoded, in order
  std::vector<VideoFrame> spare_;  // frames given back by Next, reused by the decoder
  std::optional<Status> end_;      // OK: clean end; set once the reader said so
  bool stop_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace handtrack::cli
