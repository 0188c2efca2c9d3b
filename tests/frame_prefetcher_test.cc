// Tests of FramePrefetcher (tools/cli/frame_prefetcher.h), track's decode-ahead, on a fake
// reader: the frames and the end or error exactly as ReadFrame gives them, the queue bound,
// and no hang when the caller stops early, also with the decoder blocked or slow.
#include "frame_prefetcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

namespace handtrack::cli {
namespace {

using namespace std::chrono_literals;

// Gives `frames` frames of 8x4 pixels whose bytes are their index, then `end` (OK: the clean
// end); counts its ReadFrame calls and flags any made after the end or concurrently.
class FakeReader final : public VideoReader {
 public:
  FakeReader(int64_t frames, Status end, std::chrono::milliseconds per_frame = 0ms)
      : frames_(frames), end_(std::move(end)), per_frame_(per_frame) {
    info_.width = 8;
    info_.height = 4;
  }
  const VideoInfo& info() const override { return info_; }
  Result<bool> ReadFrame(VideoFrame* frame) override {
    if (busy_.exchange(true)) concurrent_ = true;
    ++calls_;
    std::this_thread::sleep_for(per_frame_);
    Result<bool> answer = Read(frame);
    busy_ = false;
    return answer;
  }
  int64_t calls() const { return calls_; }
  bool concurrent() const { return concurrent_; }

 private:
  Result<bool> Read(VideoFrame* frame) {
    if (next_ >= frames_) return end_.ok() ? Result<bool>(false) : Result<bool>(end_);
    if (frame->image.width() != 8 || frame->image.height() != 4)
      frame->image = Image(8, 4, PixelFormat::kRGB);
    std::memset(frame->image.data(), static_cast<int>(next_ & 0xFF), 8 * 4 * 3);
    frame->index = next_;
    frame->timestamp_ms = next_ * 33;
    ++next_;
    return true;
  }

  VideoInfo info_;
  const int64_t frames_;
  const Status end_;
  const std::chrono::milliseconds per_frame_;
  int64_t next_ = 0;
  std::atomic<int64_t> calls_{0};
  std::atomic<bool> busy_{false};
  std::atomic<bool> concurrent_{false};
};

// Waits until the reader was called `expected` times (the decoder ran ahead as far as it
// may), then a little longer, and returns the count: more than `expected` is a bug.
int64_t CallsOnceSettled(const FakeReader& reader, int64_t expected) {
  for (int i = 0; i < 500 && reader.calls() < expected; ++i) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(50ms);
  return reader.calls();
}

void ExpectFrame(const VideoFrame& frame, int64_t index) {
  EXPECT_EQ(frame.index, index);
  EXPECT_EQ(frame.timestamp_ms, index * 33);
  ASSERT_EQ(frame.image.width(), 8);
  EXPECT_EQ(frame.image.data()[0], static_cast<uint8_t>(index & 0xFF));
  EXPECT_EQ(frame.image.data()[8 * 4 * 3 - 1], static_cast<uint8_t>(index & 0xFF));
}

TEST(FramePrefetcher, GivesEveryFrameInOrderThenTheCleanEndRepeatedly) {
  FakeReader reader(300, Status::Ok());
  FramePrefetcher frames(&reader, 4);
  VideoFrame frame;
  for (int64_t i = 0; i < 300; ++i) {
    Result<bool> got = frames.Next(&frame);
    ASSERT_TRUE(got.ok()) << got.status().message();
    ASSERT_TRUE(*got) << i;
    ExpectFrame(frame, i);
  }
  for (int again = 0; again < 3; ++again) {
    Result<bool> got = frames.Next(&frame);
    ASSERT_TRUE(got.ok());
    EXPECT_FALSE(*got);
  }
  EXPECT_EQ(reader.calls(), 301);  // never asked again after the end
  EXPECT_FALSE(reader.concurrent());
}

TEST(FramePrefetcher, GivesTheFramesBeforeAnErrorThenTheErrorRepeatedly) {
  FakeReader reader(5, InvalidImageError("failed to decode clip.mp4: the stream is damaged"));
  FramePrefetcher frames(&reader, 2);
  VideoFrame frame;
  for (int64_t i = 0; i < 5; ++i) {
    Result<bool> got = frames.Next(&frame);
    ASSERT_TRUE(got.ok() && *got) << i;
    ExpectFrame(frame, i);
  }
  for (int again = 0; again < 2; ++again) {
    Result<bool> got = frames.Next(&frame);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidImage);
    EXPECT_EQ(got.status().message(), "failed to decode clip.mp4: the stream is damaged");
  }
  EXPECT_EQ(reader.calls(), 6);
}

TEST(FramePrefetcher, ErrorBeforeAnyFrame) {
  FakeReader reader(0, UnavailableError("failed to decode clip.mp4: the CUDA decoder stopped"));
  FramePrefetcher frames(&reader);
  VideoFrame frame;
  Result<bool> got = frames.Next(&frame);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kUnavailable);
}

TEST(FramePrefetcher, DecodesAtMostDepthFramesAhead) {
  FakeReader reader(1000, Status::Ok());
  FramePrefetcher frames(&reader, 4);
  EXPECT_EQ(CallsOnceSettled(reader, 4), 4);  // the queue is full: the decoder waits
  VideoFrame frame;
  ASSERT_TRUE(*frames.Next(&frame));
  ExpectFrame(frame, 0);
  EXPECT_EQ(CallsOnceSettled(reader, 5), 5);  // one taken, one more decoded
  for (int64_t i = 1; i < 4; ++i) {
    ASSERT_TRUE(*frames.Next(&frame));
    ExpectFrame(frame, i);
  }
  EXPECT_EQ(CallsOnceSettled(reader, 8), 8);
}

// The caller stops early (an output failed): Stop returns promptly, with the decoder
// blocked on a full queue or in the middle of a slow frame, and the reader is not called
// after Stop returns.
TEST(FramePrefetcher, StopsPromptlyWhenTheCallerStopsEarly) {
  {
    FakeReader reader(1'000'000, Status::Ok());
    FramePrefetcher frames(&reader, 4);
    VideoFrame frame;
    ASSERT_TRUE(*frames.Next(&frame));
    CallsOnceSettled(reader, 5);
    const auto start = std::chrono::steady_clock::now();
    frames.Stop();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
    const int64_t calls = reader.calls();
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(reader.calls(), calls);
    // Next after Stop answers at once.
    Result<bool> got = frames.Next(&frame);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), StatusCode::kFailedPrecondition);
    frames.Stop();  // again: nothing happens
  }
  {
    FakeReader reader(1'000'000, Status::Ok(), 100ms);  // slow frames: Stop waits for one only
    auto start = std::chrono::steady_clock::now();
    {
      FramePrefetcher frames(&reader, 4);
      VideoFrame frame;
      ASSERT_TRUE(*frames.Next(&frame));
      start = std::chrono::steady_clock::now();
    }  // the destructor stops
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
    EXPECT_LE(reader.calls(), 3);
  }
}

TEST(FramePrefetcher, StopAfterTheEndKeepsTheAnswer) {
  FakeReader reader(1, InvalidImageError("failed to read clip.mp4: truncated"));
  FramePrefetcher frames(&reader, 4);
  VideoFrame frame;
  ASSERT_TRUE(*frames.Next(&frame));
  Result<bool> error = frames.Next(&frame);
  ASSERT_FALSE(error.ok());
  frames.Stop();
  Result<bool> again = frames.Next(&frame);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().message(), "failed to read clip.mp4: truncated");
}

// Pixel memory circulates between the caller and the decoder rather than being allocated
// per frame: the frames the caller gets use at most depth + 2 buffers.
TEST(FramePrefetcher, ReusesFrameMemory) {
  FakeReader reader(200, Status::Ok());
  FramePrefetcher frames(&reader, 3);
  VideoFrame frame;
  std::vector<const uint8_t*> buffers;
  for (int64_t i = 0; i < 200; ++i) {
    ASSERT_TRUE(*frames.Next(&frame));
    ExpectFrame(frame, i);
    if (std::find(buffers.begin(), buffers.end(), frame.image.data()) == buffers.end())
      buffers.push_back(frame.image.data());
  }
  EXPECT_LE(buffers.size(), 5u);
}

}  // namespace
}  // namespace handtrack::cli
