#include "track_session.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "frame_prefetcher.h"
#include "handtrack/gestures.h"
#include "io/overlay.h"
#include "landmarker_options.h"
#include "process_clock.h"

namespace handtrack::cli {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Per-hand state across frames: pinch hysteresis and the stroke drawn while pinching.
struct HandTrackState {
  PinchTracker pinch{GestureOptions{}};
  std::vector<PixelPoint> stroke;  // index fingertip while pinching (current stroke)
  std::vector<std::vector<PixelPoint>> strokes;
};

OverlayColor IdColor(int id) {
  static constexpr OverlayColor kColors[] = {{0, 200, 255},  {255, 160, 0},  {120, 230, 60},
                                             {240, 80, 200}, {255, 240, 60}, {80, 120, 255}};
  return kColors[static_cast<size_t>(id) % std::size(kColors)];
}

void DrawFrame(Image& canvas, const TrackedFrame& frame, const std::map<int, HandTrackState>& states) {
  for (const auto& [id, state] : states) {
    const OverlayColor color = IdColor(id);  // clang 14 cannot capture a structured binding
    auto draw_stroke = [&](const std::vector<PixelPoint>& stroke) {
      for (size_t i = 1; i < stroke.size(); ++i) DrawLine(canvas, stroke[i - 1], stroke[i], 3, color);
    };
    for (const auto& stroke : state.strokes) draw_stroke(stroke);
    draw_stroke(state.stroke);
  }
  for (const TrackedHand& tracked : frame.hands) {
    std::vector<PixelPoint> points;
    for (const NormalizedLandmark& p : tracked.hand->landmarks) {
      points.push_back({p.x * canvas.width(), p.y * canvas.height()});
    }
    char label[96];
    std::snprintf(label, sizeof(label), "#%d %s %s %d%s", tracked.hand->id,
                  tracked.hand->handedness.label.c_str(), GestureName(tracked.gestures.gesture),
                  tracked.gestures.finger_count, tracked.pinching ? " pinch" : "");
    HandOverlayStyle style;
    style.label_background = IdColor(tracked.hand->id);
    DrawHand(canvas, points, label, style);
  }
}

}  // namespace

double Milliseconds(double seconds) { return std::round(seconds * 1000) / 1000; }

Json VideoSummary::ToJson() const {
  Json hands_json = Json::array();
  int64_t pinches = 0;
  double stroke = 0;
  for (const auto& [id, h] : hands) {
    Json histogram = Json::object();
    for (const auto& [label, count] : h.gestures) histogram[label] = count;
    hands_json.push_back({{"id", id},
                          {"handedness", h.handedness},
                          {"frames", h.frames},
                          {"gestures", std::move(histogram)},
                          {"pinch_count", h.pinches},
                          {"stroke_length_px", std::round(h.stroke_length_px * 10) / 10}});
    pinches += h.pinches;
    stroke += h.stroke_length_px;
  }
  Json out = {
      {"input", input},
      {"frames", frames},
      {"duration_ms", duration_ms},
      {"frames_with_hands", frames_with_hands},
      {"pinch_count", pinches},
      {"total_stroke_length_px", std::round(stroke * 10) / 10},
      {"processing_fps", processing_seconds > 0 ? std::round(frames / processing_seconds * 10) / 10 : 0.0},
      {"processing_split_seconds",
       {{"decoder_wait", Milliseconds(decoder_wait_seconds)},
        {"landmarker", Milliseconds(landmarker_seconds)},
        {"open", Milliseconds(open_seconds)},
        {"start", Milliseconds(start_seconds)},
        {"close", Milliseconds(close_seconds)},
        {"other", Milliseconds(std::max(0.0, processing_seconds - decoder_wait_seconds - landmarker_seconds -
                                                 open_seconds - start_seconds - close_seconds))}}},
      {"decoder_seconds",
       {{"decode", Milliseconds(decoder_times.decode_seconds)},
        {"download", Milliseconds(decoder_times.download_seconds)},
        {"convert", Milliseconds(decoder_times.convert_seconds)}}},
      {"open_split_seconds",
       {{"container", Milliseconds(decoder_times.open_container_seconds)},
        {"decoder", Milliseconds(decoder_times.open_decoder_seconds)},
        {"first_picture", Milliseconds(decoder_times.open_first_picture_seconds)}}},
      {"timeline_seconds",
       {{"began", Milliseconds(began_at_seconds)},
        {"opened", Milliseconds(opened_at_seconds)},
        {"ended", Milliseconds(ended_at_seconds)}}},
      {"engine_wait_seconds", Milliseconds(engine_wait_seconds)},
      {"hands", std::move(hands_json)}};
  if (!engine.empty()) {
    out["engine"] = engine;
    if (take_overs > 0) {
      out["take_overs"] = take_overs;
      out["final_engine"] = final_engine;
    }
  }
  // The decoder once the video opened; the reason only when something fell back.
  if (!decoder.empty()) out["decoder"] = decoder;
  if (!precision.empty()) out["precision"] = precision;
  if (!hardware_fallback_reason.empty()) out["hardware_fallback_reason"] = hardware_fallback_reason;
  if (frames_on_gpu) out["frames_on_gpu"] = true;
  if (!error.empty()) out["error"] = error;
  return out;
}

int DefaultFramesPerCall(int max_batch, bool on_device) {
  constexpr int kDeviceFramesPerCall = 8;
  return on_device && max_batch > 1 ? std::min(kDeviceFramesPerCall, max_batch) : 1;
}

BatchPolicy DefaultBatchPolicy(int max_batch, bool on_device) {
  if (on_device && max_batch > 1) {
    return {.batch_wait_us = 250, .max_concurrent_runs = 2, .batch_step = 4, .warm_up = true};
  }
  const HandEngineOptions engine;
  return {.batch_wait_us = engine.batch_wait_us,
          .max_concurrent_runs = engine.max_concurrent_runs,
          .batch_step = engine.batch_step,
          .warm_up = engine.warm_up};
}

OpenedVideo OpenTrackVideo(const TrackVideoRequest& request, int device) {
  OpenedVideo opened;
  opened.device = device;
  opened.began_at_seconds = SecondsSinceProcessStart();
  VideoReaderOptions reader_options = request.reader;
  // The overlay draws on the frames' pixels: those must come to the host.
  reader_options.frames_on_gpu = request.reader.frames_on_gpu && request.overlay.empty();
  reader_options.hardware_device = device;
  std::error_code ec;
  const Clock::time_point open_start = Clock::now();
  auto reader = std::filesystem::is_directory(request.input, ec)
                    ? VideoReader::OpenFrameDirectory(request.input, request.fps, reader_options)
                    : VideoReader::Open(request.input, reader_options);
  opened.open_seconds = SecondsSince(open_start);
  opened.opened_at_seconds = SecondsSinceProcessStart();
  if (!reader.ok()) {
    opened.status = reader.status();
    return opened;
  }
  opened.reader = std::move(reader).value();
  const int frames_per_call = std::clamp(request.frames_per_call, 1, 64);
  opened.frames = std::make_unique<FramePrefetcher>(
      opened.reader.get(), std::max(FramePrefetcher::kDefaultDepth, frames_per_call));
  return opened;
}

VideoSummary TrackVideo(const TrackVideoRequest& request, const std::shared_ptr<EnginePool>& engines,
                        std::optional<OpenedVideo> opened) {
  const std::string& input = request.input;
  const std::string& name = request.name.empty() ? input : request.name;
  VideoSummary summary;
  summary.input = name;
  const Clock::time_point start = Clock::now();
  const double start_at = SecondsSinceProcessStart();
  summary.began_at_seconds = start_at;
  auto fail = [&](const Status& status) {
    summary.error = status.message();
    summary.ended_at_seconds = SecondsSinceProcessStart();  // an early return's end
  };
  // This input's stream on the pool's least-loaded engine, registered until the end of this function.
  auto landmarker = engines->CreateLandmarker(request.landmarker);
  if (!landmarker.ok()) {
    fail(landmarker.status());
    return summary;
  }
  const EnginePoolStats pool = engines->stats();
  const auto engine_label = [&] { return pool.engines[(*landmarker)->engine_index()].label; };
  if (pool.engines.size() > 1) summary.engine = engine_label();
  summary.precision = PrecisionName((*landmarker)->options().model.precision);
  const int device = (*landmarker)->options().model.device;  // decode where the models run
  // Opened ahead on another GPU than the engine's: opened again here.
  const bool ahead = opened.has_value() && opened->device == device;
  if (!ahead) opened.emplace(OpenTrackVideo(request, device));
  summary.open_seconds = opened->open_seconds;
  summary.opened_at_seconds = opened->opened_at_seconds;
  if (ahead) {
    summary.began_at_seconds = opened->began_at_seconds;
    summary.engine_wait_seconds = std::max(0.0, start_at - opened->opened_at_seconds);
  }
  if (!opened->status.ok()) {
    fail(opened->status);
    return summary;
  }
  std::unique_ptr<VideoReader>& reader = opened->reader;
  // A copy: the reader is the decode thread's below.
  const VideoInfo info = reader->info();
  summary.decoder = info.decoder;
  summary.hardware_fallback_reason = info.hardware_fallback_reason;
  summary.frames_on_gpu = info.frames_on_gpu;
  if (request.on_open) request.on_open(info);
  // The engine's model options (threads per job, device), as the header reports.
  HandLandmarkerOptions options = (*landmarker)->options();
  options.engine = nullptr;
  std::vector<std::unique_ptr<TrackSink>> sinks;
  for (const auto& [format, path] : request.outputs) {
    auto sink = OpenTrackSink(format, path, name, LandmarkerHeaderJson(options), request.stdout_mutex);
    if (!sink.ok()) {
      fail(sink.status());
      return summary;
    }
    sinks.push_back(std::move(sink).value());
  }
  std::unique_ptr<VideoWriter> overlay;
  if (!request.overlay.empty()) {
    auto writer =
        VideoWriter::Open(request.overlay, info.width, info.height, info.fps > 0 ? info.fps : request.fps);
    if (!writer.ok()) {
      fail(writer.status());
      return summary;
    }
    overlay = std::move(writer).value();
  }
  auto progress = [&](int64_t done) {
    return request.on_progress ? request.on_progress(done, info.frame_count) : Status::Ok();
  };

  std::map<int, HandTrackState> states;
  // One frame's result through gestures, pinch state, the sinks and the overlay.
  const auto write_frame = [&](VideoFrame& frame, const HandLandmarkerResult& result) -> Status {
    TrackedFrame tracked{frame.index, frame.timestamp_ms, frame.width(), frame.height(), {}};
    std::map<int, HandTrackState> alive;
    for (const HandResult& hand : result.hands) {
      TrackedHand t;
      t.hand = &hand;
      t.gestures = ComputeGestures(hand, tracked.width, tracked.height);
      HandTrackState state = states.count(hand.id) ? std::move(states[hand.id]) : HandTrackState();
      t.pinch_event = state.pinch.Update(t.gestures, frame.timestamp_ms).type;
      t.pinching = state.pinch.pinching();
      const PixelPoint tip{hand.landmarks[8].x * tracked.width, hand.landmarks[8].y * tracked.height};
      HandSummary& hs = summary.hands[hand.id];
      hs.handedness = hand.handedness.label;
      ++hs.frames;
      ++hs.gestures[GestureName(t.gestures.gesture)];
      if (t.pinch_event == PinchEventType::kStart) ++hs.pinches;
      if (t.pinching) {
        if (!state.stroke.empty()) {
          hs.stroke_length_px += std::hypot(tip.x - state.stroke.back().x, tip.y - state.stroke.back().y);
        }
        state.stroke.push_back(tip);
      } else if (!state.stroke.empty()) {
        state.strokes.push_back(std::move(state.stroke));
        state.stroke.clear();
      }
      alive[hand.id] = std::move(state);
      tracked.hands.push_back(t);
    }
    states = std::move(alive);  // a lost hand's pinch ends with it; its strokes fade from the overlay
    for (auto& sink : sinks) HT_RETURN_IF_ERROR(sink->Write(tracked));
    if (overlay) {
      DrawFrame(frame.image, tracked, states);
      HT_RETURN_IF_ERROR(overlay->WriteFrame(frame.image.view()));
    }
    ++summary.frames;
    summary.frames_with_hands += !tracked.hands.empty();
    summary.duration_ms = frame.timestamp_ms;
    return progress(summary.frames);
  };

  const size_t frames_per_call = static_cast<size_t>(std::clamp(request.frames_per_call, 1, 64));
  std::vector<VideoFrame> window(frames_per_call);
  std::vector<VideoFrameView> views;
  // Decoding the next frames overlaps tracking these (it began when the video opened); any
  // break below stops it at once. The end below closes it (and then the video) inside the timing.
  std::unique_ptr<FramePrefetcher>& frames = opened->frames;
  Status status = progress(0);
  Status decoder_status;  // the decoder's error, reported after the frames it gave
  // Opened ahead, the opening was before `start`; else it is part of the time since.
  const double before_start = ahead ? summary.open_seconds : 0;
  summary.start_seconds = SecondsSince(start) - (ahead ? 0 : summary.open_seconds);
  bool more = true;
  while (status.ok() && more) {
    size_t count = 0;
    const Clock::time_point wait_start = Clock::now();
    while (count < frames_per_call) {
      Result<bool> got = frames->Next(&window[count]);
      if (!got.ok() || !*got) {
        more = false;
        if (!got.ok()) decoder_status = got.status();
        break;
      }
      ++count;
    }
    summary.decoder_wait_seconds += SecondsSince(wait_start);
    if (count == 0) break;
    views.clear();
    for (size_t i = 0; i < count; ++i)
      views.push_back({window[i].image.view(), window[i].timestamp_ms, window[i].gpu.get()});
    const Clock::time_point detect_start = Clock::now();
    std::vector<Result<HandLandmarkerResult>> results = (*landmarker)->DetectForVideoFrames(views);
    summary.landmarker_seconds += SecondsSince(detect_start);
    for (size_t i = 0; i < count && status.ok(); ++i) {
      if (!results[i].ok()) {
        status = results[i].status().WithPrefix("failed to track frame " + std::to_string(window[i].index) +
                                                " of " + name);
        break;
      }
      status = write_frame(window[i], *results[i]);
    }
  }
  if (status.ok() && !decoder_status.ok()) status = decoder_status;
  const Clock::time_point close_start = Clock::now();
  frames->Stop();
  summary.decoder_times = reader->read_times();  // the decoding thread has ended
  summary.take_overs = (*landmarker)->take_overs();
  if (summary.take_overs > 0)
    summary.final_engine = engines->stats().engines[(*landmarker)->engine_index()].label;
  if (!status.ok()) fail(status);
  for (auto& sink : sinks) {
    if (Status finished = sink->Finish(); !finished.ok() && summary.error.empty()) fail(finished);
  }
  if (overlay) {
    if (Status closed = overlay->Close(); !closed.ok() && summary.error.empty()) fail(closed);
  }
  // Closed here rather than on return, so that the decoder's end and the landmarker leaving its
  // engine count in this video's time: the frames still held first, then the decoding thread's
  // prefetcher, the video, the landmarker.
  views.clear();
  window.clear();
  frames.reset();
  reader.reset();
  landmarker->reset();
  summary.close_seconds = SecondsSince(close_start);
  if (summary.frames > 0 && info.fps > 0) summary.duration_ms += static_cast<int64_t>(1000.0 / info.fps);
  summary.processing_seconds = SecondsSince(start) + before_start;
  summary.ended_at_seconds = SecondsSinceProcessStart();
  return summary;
}

}  // namespace handtrack::cli
