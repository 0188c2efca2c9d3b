#include "frame_prefetcher.h"

#include <algorithm>
#include <utility>

namespace handtrack::cli {

FramePrefetcher::FramePrefetcher(VideoReader* reader, int depth)
    : reader_(reader), depth_(static_cast<size_t>(std::max(1, depth))), thread_([this] { Decode(); }) {}

FramePrefetcher::~FramePrefetcher() { Stop(); }

void FramePrefetcher::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    ready_.clear();
    spare_.clear();
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void FramePrefetcher::Decode() {
  for (;;) {
    VideoFrame frame;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stop_ || ready_.size() < depth_; });
      if (stop_) return;
      if (!spare_.empty()) {
        frame = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    // Outside the lock: the caller takes queued frames meanwhile.
    Result<bool> got = reader_->ReadFrame(&frame);
    {
      std::lock_guard lock(mutex_);
      if (stop_) return;
      if (got.ok() && *got) {
        ready_.push_back(std::move(frame));
      } else {
        end_ = got.ok() ? Status::Ok() : got.status();
      }
    }
    changed_.notify_all();
    if (!got.ok() || !*got) return;
  }
}

Result<bool> FramePrefetcher::Next(VideoFrame* frame) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return stop_ || !ready_.empty() || end_.has_value(); });
  if (!ready_.empty()) {
    std::swap(*frame, ready_.front());
    spare_.push_back(std::move(ready_.front()));
    ready_.pop_front();
    lock.unlock();
    changed_.notify_all();
    return true;
  }
  if (end_) return end_->ok() ? Result<bool>(false) : Result<bool>(*end_);
  return FailedPreconditionError("failed to read the next frame: decoding was stopped");
}

}  // namespace handtrack::cli
