// handtrack._handtrack: the compiled core of the Python package, a thin shell over the public
// C++ API (include/handtrack). The MediaPipe-shaped classes are plain Python on top of it
// (bindings/python/handtrack/); this file only moves pixels and results across.
//
// Pixels: numpy arrays are read in place (no copy) when their rows hold packed pixels,
// whatever the row stride; other layouts are copied once by the Python layer before they get
// here. The GIL is released around every decode and inference, so Python threads calling one
// IMAGE-mode landmarker run in parallel on the engine's interpreter pool.
//
// Errors: the engine's Status becomes ValueError (InvalidArgument) or RuntimeError (anything
// else), with the engine's message; nothing here aborts on bad input.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "handtrack/gestures.h"
#include "handtrack/hand_engine.h"
#include "handtrack/hand_landmarker.h"
#include "handtrack/image_io.h"
#include "handtrack/models.h"
#include "handtrack/video_io.h"

namespace py = pybind11;

namespace handtrack::python {
namespace {

[[noreturn]] void Raise(const Status& status) {
  if (status.code() == StatusCode::kInvalidArgument) throw py::value_error(status.message());
  throw std::runtime_error(status.message());
}

template <typename T>
T Unwrap(Result<T> result) {
  if (!result.ok()) Raise(result.status());
  return std::move(result).value();
}

// The pixel layouts the engine reads, by the numbers the Python layer passes.
PixelFormat ToPixelFormat(int format) {
  switch (format) {
    case 0:
      return PixelFormat::kRGB;
    case 1:
      return PixelFormat::kRGBA;
    case 2:
      return PixelFormat::kBGR;
    case 3:
      return PixelFormat::kBGRA;
  }
  throw py::value_error("failed to read the image: unknown pixel format " + std::to_string(format));
}

// A view of an HxWxC uint8 array whose pixels are packed within each row. The Python layer
// checks dtype, shape and layout first with friendlier messages; these checks guard the
// memory access itself.
ImageView ViewOf(const py::array& array, int format) {
  const PixelFormat pixel_format = ToPixelFormat(format);
  const int channels = BytesPerPixel(pixel_format);
  if (array.ndim() != 3 || array.shape(2) != channels || array.itemsize() != 1 ||
      array.dtype().kind() != 'u') {
    throw py::value_error("failed to read the image: expected a height x width x " +
                          std::to_string(channels) + " uint8 array");
  }
  if (array.strides(2) != 1 || array.strides(1) != channels || array.strides(0) < array.shape(1) * channels) {
    throw py::value_error("failed to read the image: its pixels are not packed within rows");
  }
  if (array.shape(0) > (1 << 30) || array.shape(1) > (1 << 30) || array.strides(0) > (int64_t{1} << 31) - 1) {
    throw py::value_error("failed to read the image: it is too large");
  }
  ImageView view{static_cast<const uint8_t*>(array.data()), static_cast<int>(array.shape(1)),
                 static_cast<int>(array.shape(0)), static_cast<int>(array.strides(0)), pixel_format};
  if (Status valid = view.Validate(); !valid.ok()) Raise(valid);
  return view;
}

py::array_t<float> LandmarkArray(const HandLandmarkerResult& result, bool world) {
  py::array_t<float> out(
      {static_cast<py::ssize_t>(result.hands.size()), py::ssize_t{kNumHandLandmarks}, py::ssize_t{3}});
  float* data = out.mutable_data();
  for (const HandResult& hand : result.hands) {
    for (int i = 0; i < kNumHandLandmarks; ++i) {
      if (world) {
        *data++ = hand.world_landmarks[i].x, *data++ = hand.world_landmarks[i].y,
        *data++ = hand.world_landmarks[i].z;
      } else {
        *data++ = hand.landmarks[i].x, *data++ = hand.landmarks[i].y, *data++ = hand.landmarks[i].z;
      }
    }
  }
  return out;
}

// One frame's result for Python: landmarks as two (hands, 21, 3) float32 arrays and a tuple
// per hand, with the gestures of the image it was found in. Built with the GIL held.
py::dict ResultToPython(const HandLandmarkerResult& result, int width, int height) {
  py::list hands;
  for (const HandResult& hand : result.hands) {
    const HandGestures g = ComputeGestures(hand, width, height);
    py::dict h;
    h["id"] = hand.id;
    h["label"] = hand.handedness.label;
    h["score"] = hand.handedness.score;
    h["index"] = hand.handedness.index;
    h["model_output"] = hand.handedness.model_output;
    h["presence"] = hand.presence;
    h["gesture"] = GestureName(g.gesture);
    h["gesture_score"] = g.gesture_score;
    h["finger_count"] = g.finger_count;
    h["extended"] = py::make_tuple(g.extended[0], g.extended[1], g.extended[2], g.extended[3], g.extended[4]);
    h["pinch"] = g.pinch;
    h["pinch_distance"] = g.pinch_distance;
    h["palm_facing_camera"] = g.palm_facing_camera;
    hands.append(std::move(h));
  }
  py::dict out;
  out["timestamp_ms"] = result.timestamp_ms;
  out["palm_detection_ran"] = result.palm_detection_ran;
  out["width"] = width;
  out["height"] = height;
  out["landmarks"] = LandmarkArray(result, false);
  out["world_landmarks"] = LandmarkArray(result, true);
  out["hands"] = std::move(hands);
  return out;
}

py::array_t<uint8_t> ImageToArray(const Image& image) {
  const int channels = BytesPerPixel(image.format());
  py::array_t<uint8_t> out({image.height(), image.width(), channels});
  std::memcpy(out.mutable_data(), image.data(), static_cast<size_t>(image.stride_bytes()) * image.height());
  return out;
}

py::array_t<uint8_t> ViewToArray(const ImageView& view) {
  const int channels = BytesPerPixel(view.format);
  py::array_t<uint8_t> out({view.height, view.width, channels});
  const size_t row = static_cast<size_t>(view.width) * channels;
  for (int y = 0; y < view.height; ++y) {
    std::memcpy(out.mutable_data() + y * row, view.data + static_cast<size_t>(y) * view.stride_bytes, row);
  }
  return out;
}

// Model settings shared by landmarkers and engines. Model bytes are read during creation only.
struct ModelSettings {
  std::optional<std::string> model_dir;
  std::optional<py::bytes> palm_model;
  std::optional<py::bytes> landmark_model;
  std::string variant = "full";
  std::string delegate = "auto";
  int num_threads = 1;
  std::string precision = "auto";  // fp16 on cuda, fp32 on the CPU
};

// Fills `options` from `settings`; `storage` keeps the model bytes alive until creation ends.
ModelOptions ToModelOptions(const ModelSettings& settings, std::vector<std::string>* storage) {
  ModelOptions options;
  if (settings.variant == "full") {
    options.variant = ModelVariant::kFull;
  } else if (settings.variant == "lite") {
    options.variant = ModelVariant::kLite;
  } else {
    throw py::value_error("failed to create hand landmarker: model_variant must be 'full' or 'lite', got '" +
                          settings.variant + "'");
  }
  if (settings.model_dir) options.model_dir = *settings.model_dir;
  storage->reserve(2);
  const std::pair<const std::optional<py::bytes>*, std::string> models[] = {
      {&settings.palm_model, PalmModelName(options.variant)},
      {&settings.landmark_model, LandmarkModelName(options.variant)}};
  for (const auto& [bytes, name] : models) {
    if (!*bytes) continue;
    storage->push_back(std::string(**bytes));
    const std::string& kept = storage->back();
    options.model_buffers[name] =
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(kept.data()), kept.size());
  }
  options.delegate = Unwrap(ParseDelegate(settings.delegate));
  options.num_threads = settings.num_threads;
  options.precision = Unwrap(ParsePrecision(settings.precision));
  return options;
}

class PyEngine {
 public:
  PyEngine(const ModelSettings& settings, int max_batch, int batch_wait_us, int max_instances,
           int max_concurrent_runs, int batch_step, bool warm_up) {
    std::vector<std::string> storage;
    HandEngineOptions options;
    options.model = ToModelOptions(settings, &storage);
    options.max_batch = max_batch;
    options.batch_wait_us = batch_wait_us;
    options.max_instances = max_instances;
    options.max_concurrent_runs = max_concurrent_runs;
    options.batch_step = batch_step;
    options.warm_up = warm_up;
    Result<std::shared_ptr<HandEngine>> engine = InvalidArgumentError("unset");
    {
      py::gil_scoped_release release;
      engine = HandEngine::Create(options);
    }
    engine_ = Unwrap(std::move(engine));
  }
  const std::shared_ptr<HandEngine>& engine() const { return engine_; }
  py::dict Stats() const {
    const HandEngineStats stats = engine_->stats();
    auto model = [](const EngineModelStats& m) {
      py::dict d;
      d["runs"] = m.runs;
      d["frames"] = m.frames;
      d["slots"] = m.slots;
      d["max_frames_per_run"] = m.max_frames_per_run;
      d["instances"] = m.instances;
      d["run_seconds"] = m.run_seconds;
      d["queue_seconds"] = m.queue_seconds;
      d["device_seconds"] = m.device_seconds;
      d["max_concurrent_runs"] = m.max_concurrent_runs;
      d["copy_seconds"] = m.copy_seconds;
      d["launch_seconds"] = m.launch_seconds;
      d["wait_seconds"] = m.wait_seconds;
      d["calls"] = m.calls;
      d["call_seconds"] = m.call_seconds;
      return d;
    };
    py::dict out;
    out["palm"] = model(stats.palm);
    out["landmarks"] = model(stats.landmarks);
    return out;
  }

 private:
  std::shared_ptr<HandEngine> engine_;
};

struct LandmarkerSettings {
  ModelSettings model;
  std::shared_ptr<PyEngine> engine;
  int running_mode = 0;  // 0 IMAGE, 1 VIDEO, 2 LIVE_STREAM
  int num_hands = 1;
  float min_hand_detection_confidence = 0.5f;
  float min_hand_presence_confidence = 0.5f;
  float min_tracking_confidence = 0.5f;
  bool mirrored = false;
  std::string smoothing = "default";
  int palm_detection_interval = 1;
  // LIVE_STREAM: called as callback(result dict or None, error message or None, frame array,
  // timestamp_ms) on the landmarker's worker thread, with the GIL taken.
  std::function<void(py::object, py::object, py::array, int64_t)> callback;
};

// The callback shared with the engine's worker thread. It is cleared (under its mutex) before
// the Python objects it refers to go away, so a late delivery calls nothing.
struct CallbackSlot {
  std::mutex mutex;
  std::function<void(py::object, py::object, py::array, int64_t)> callback;
};

class PyLandmarker {
 public:
  explicit PyLandmarker(const LandmarkerSettings& settings) : slot_(std::make_shared<CallbackSlot>()) {
    std::vector<std::string> storage;
    HandLandmarkerOptions options;
    options.model = ToModelOptions(settings.model, &storage);
    if (settings.engine) options.engine = settings.engine->engine();
    if (settings.running_mode < 0 || settings.running_mode > 2) {
      throw py::value_error("failed to create hand landmarker: unknown running mode " +
                            std::to_string(settings.running_mode));
    }
    options.running_mode = static_cast<RunningMode>(settings.running_mode);
    options.num_hands = settings.num_hands;
    options.min_hand_detection_confidence = settings.min_hand_detection_confidence;
    options.min_hand_presence_confidence = settings.min_hand_presence_confidence;
    options.min_tracking_confidence = settings.min_tracking_confidence;
    options.mirrored = settings.mirrored;
    options.palm_detection_interval = settings.palm_detection_interval;
    if (settings.smoothing == "default") {
      options.smoothing = SmoothingMode::kDefault;
    } else if (settings.smoothing == "on") {
      options.smoothing = SmoothingMode::kOn;
    } else if (settings.smoothing == "off") {
      options.smoothing = SmoothingMode::kOff;
    } else {
      throw py::value_error("failed to create hand landmarker: smoothing must be 'on', 'off' or None, got '" +
                            settings.smoothing + "'");
    }
    if (options.running_mode == RunningMode::kLiveStream) {
      if (!settings.callback) {
        throw py::value_error("failed to create hand landmarker: LIVE_STREAM mode needs a result_callback");
      }
      slot_->callback = settings.callback;
      std::weak_ptr<CallbackSlot> slot = slot_;
      options.result_callback = [slot](Result<HandLandmarkerResult> result, const ImageView& frame,
                                       int64_t timestamp_ms) {
        std::shared_ptr<CallbackSlot> alive = slot.lock();
        if (!alive) return;
        std::lock_guard lock(alive->mutex);
        if (!alive->callback || !Py_IsInitialized()) return;
        py::gil_scoped_acquire gil;
        try {
          py::array pixels = ViewToArray(frame);
          if (result.ok()) {
            alive->callback(ResultToPython(*result, frame.width, frame.height), py::none(), pixels,
                            timestamp_ms);
          } else {
            alive->callback(py::none(), py::str(result.status().message()), pixels, timestamp_ms);
          }
        } catch (py::error_already_set& e) {
          // An exception in the user's callback cannot propagate to a worker thread: report it
          // as Python reports exceptions in threads, and go on with the next frame.
          e.discard_as_unraisable("handtrack result_callback");
        }
      };
    } else if (settings.callback) {
      throw py::value_error("failed to create hand landmarker: result_callback is only for LIVE_STREAM mode");
    }
    Result<std::unique_ptr<HandLandmarker>> made = InvalidArgumentError("unset");
    {
      py::gil_scoped_release release;
      made = HandLandmarker::Create(options);
    }
    landmarker_ = Unwrap(std::move(made));
  }

  ~PyLandmarker() {
    // Pybind11 destroys this with the GIL held; the worker thread may be waiting for the GIL to
    // deliver a result, so the GIL is let go while the landmarker finishes.
    if (!landmarker_) return;
    py::gil_scoped_release release;
    // A destructor cannot raise; close() reports the same error to callers that want it.
    (void)Shutdown();
  }

  py::dict Detect(const py::array& image, int format) {
    CheckOpen();
    const ImageView view = ViewOf(image, format);
    Result<HandLandmarkerResult> result = InvalidArgumentError("unset");
    {
      py::gil_scoped_release release;
      result = landmarker_->Detect(view);
    }
    return ResultToPython(Unwrap(std::move(result)), view.width, view.height);
  }

  py::dict DetectForVideo(const py::array& image, int format, int64_t timestamp_ms) {
    CheckOpen();
    const ImageView view = ViewOf(image, format);
    Result<HandLandmarkerResult> result = InvalidArgumentError("unset");
    {
      py::gil_scoped_release release;
      result = landmarker_->DetectForVideo(view, timestamp_ms);
    }
    return ResultToPython(Unwrap(std::move(result)), view.width, view.height);
  }

  // The frames (images[i] with formats[i] and timestamps_ms[i]) through DetectForVideoFrames:
  // (the results of the frames up to the first failure, None) or, after a failure, (those
  // results, (is_invalid_argument, message)) for the Python layer to raise with them.
  py::tuple DetectForVideoFrames(const std::vector<py::array>& images, const std::vector<int>& formats,
                                 const std::vector<int64_t>& timestamps_ms) {
    CheckOpen();
    if (formats.size() != images.size() || timestamps_ms.size() != images.size()) {
      Raise(InvalidArgumentError("failed to process frames: " + std::to_string(images.size()) + " images, " +
                                 std::to_string(formats.size()) + " formats and " +
                                 std::to_string(timestamps_ms.size()) + " timestamps"));
    }
    std::vector<VideoFrameView> frames;
    for (size_t i = 0; i < images.size(); ++i)
      frames.push_back({ViewOf(images[i], formats[i]), timestamps_ms[i]});
    std::vector<Result<HandLandmarkerResult>> results;
    {
      py::gil_scoped_release release;
      results = landmarker_->DetectForVideoFrames(frames);
    }
    py::list done;
    for (size_t i = 0; i < results.size(); ++i) {
      if (!results[i].ok()) {
        const Status& status = results[i].status();
        return py::make_tuple(
            done, py::make_tuple(status.code() == StatusCode::kInvalidArgument, status.message()));
      }
      done.append(ResultToPython(*results[i], frames[i].image.width, frames[i].image.height));
    }
    return py::make_tuple(done, py::none());
  }

  void DetectAsync(const py::array& image, int format, int64_t timestamp_ms) {
    CheckOpen();
    const ImageView view = ViewOf(image, format);
    Status status = Status::Ok();
    {
      py::gil_scoped_release release;
      status = landmarker_->DetectAsync(view, timestamp_ms);
    }
    if (!status.ok()) Raise(status);
  }

  // Tracks every frame of a video file, calling `on_frame(result, index, frame)` for each
  // (frame: the decoded RGB array when `with_frames`, else None) and `on_progress(done,
  // total)` when given. Decoding and inference run without the GIL. A decode error after some
  // frames raises after those frames were delivered.
  void TrackFile(const std::string& path, const py::function& on_frame, bool with_frames) {
    CheckOpen();
    Result<std::unique_ptr<VideoReader>> opened = InvalidArgumentError("unset");
    {
      py::gil_scoped_release release;
      opened = VideoReader::Open(path);
    }
    std::unique_ptr<VideoReader> reader = Unwrap(std::move(opened));
    VideoFrame frame;
    for (;;) {
      Result<bool> got = InvalidArgumentError("unset");
      Result<HandLandmarkerResult> result = InvalidArgumentError("unset");
      {
        py::gil_scoped_release release;
        got = reader->ReadFrame(&frame);
        // Timestamps start at 0 in the file; VIDEO mode needs them increasing, which they are.
        if (got.ok() && *got) result = landmarker_->DetectForVideo(frame.image.view(), frame.timestamp_ms);
      }
      if (!Unwrap(std::move(got))) break;
      py::dict out = ResultToPython(Unwrap(std::move(result)), frame.image.width(), frame.image.height());
      on_frame(out, frame.index, with_frames ? py::object(ImageToArray(frame.image)) : py::none(),
               py::make_tuple(reader->info().frame_count, reader->info().fps));
    }
  }

  void Close() {
    if (!landmarker_) return;
    Status status = Status::Ok();
    {
      py::gil_scoped_release release;
      status = Shutdown();
    }
    if (!status.ok()) Raise(status);
  }

  bool closed() const { return !landmarker_; }

  std::string Plan() const {
    CheckOpen();
    return landmarker_->DescribePlan();
  }

  // Kept after close: the counts of the whole stream.
  py::tuple LiveStreamStats() const {
    const handtrack::LiveStreamStats s = landmarker_ ? landmarker_->live_stream_stats() : final_stats_;
    return py::make_tuple(s.frames_received, s.frames_processed, s.frames_dropped);
  }

 private:
  void CheckOpen() const {
    if (!landmarker_) throw std::runtime_error("failed to use hand landmarker: it is closed");
  }

  // Without the GIL: finishes live frames (delivering them), then drops the callback and the
  // landmarker.
  Status Shutdown() {
    Status status = landmarker_->Close();
    final_stats_ = landmarker_->live_stream_stats();
    landmarker_.reset();
    {
      std::lock_guard lock(slot_->mutex);
      if (slot_->callback) {
        py::gil_scoped_acquire gil;  // the function object holds Python references
        slot_->callback = nullptr;
      }
    }
    return status;
  }

  std::shared_ptr<CallbackSlot> slot_;
  std::unique_ptr<HandLandmarker> landmarker_;
  handtrack::LiveStreamStats final_stats_;
};

py::array_t<uint8_t> ReadImage(const std::string& path) {
  Result<Image> image = InvalidArgumentError("unset");
  {
    py::gil_scoped_release release;
    image = ReadImageFile(path);
  }
  return ImageToArray(Unwrap(std::move(image)));
}

py::array_t<uint8_t> DecodeImageBytes(const py::bytes& bytes, const std::string& name) {
  const std::string_view data = bytes;
  Result<Image> image = InvalidArgumentError("unset");
  {
    py::gil_scoped_release release;
    image = DecodeImage(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()),
                        name);
  }
  return ImageToArray(Unwrap(std::move(image)));
}

py::list Backends() {
  py::list out;
  for (const BackendInfo& info : ListBackends()) {
    py::dict d;
    d["name"] = info.name;
    d["priority"] = info.priority;
    d["compiled_in"] = info.compiled_in;
    d["device"] = info.device;
    d["available"] = info.available;
    d["detail"] = info.detail;
    out.append(std::move(d));
  }
  return out;
}

}  // namespace
}  // namespace handtrack::python

PYBIND11_MODULE(_handtrack, m) {
  using namespace handtrack::python;
  m.doc() = "handtrack's compiled core; use the handtrack package instead.";

  py::class_<ModelSettings>(m, "ModelSettings")
      .def(py::init<>())
      .def_readwrite("model_dir", &ModelSettings::model_dir)
      .def_readwrite("palm_model", &ModelSettings::palm_model)
      .def_readwrite("landmark_model", &ModelSettings::landmark_model)
      .def_readwrite("variant", &ModelSettings::variant)
      .def_readwrite("delegate", &ModelSettings::delegate)
      .def_readwrite("num_threads", &ModelSettings::num_threads)
      .def_readwrite("precision", &ModelSettings::precision);

  py::class_<PyEngine, std::shared_ptr<PyEngine>>(m, "Engine")
      .def(py::init<const ModelSettings&, int, int, int, int, int, bool>(), py::arg("model"),
           py::arg("max_batch"), py::arg("batch_wait_us"), py::arg("max_instances"),
           py::arg("max_concurrent_runs"), py::arg("batch_step"), py::arg("warm_up"))
      .def("stats", &PyEngine::Stats);

  py::class_<LandmarkerSettings>(m, "LandmarkerSettings")
      .def(py::init<>())
      .def_readwrite("model", &LandmarkerSettings::model)
      .def_readwrite("engine", &LandmarkerSettings::engine)
      .def_readwrite("running_mode", &LandmarkerSettings::running_mode)
      .def_readwrite("num_hands", &LandmarkerSettings::num_hands)
      .def_readwrite("min_hand_detection_confidence", &LandmarkerSettings::min_hand_detection_confidence)
      .def_readwrite("min_hand_presence_confidence", &LandmarkerSettings::min_hand_presence_confidence)
      .def_readwrite("min_tracking_confidence", &LandmarkerSettings::min_tracking_confidence)
      .def_readwrite("mirrored", &LandmarkerSettings::mirrored)
      .def_readwrite("smoothing", &LandmarkerSettings::smoothing)
      .def_readwrite("palm_detection_interval", &LandmarkerSettings::palm_detection_interval)
      .def_readwrite("callback", &LandmarkerSettings::callback);

  py::class_<PyLandmarker>(m, "Landmarker")
      .def(py::init<const LandmarkerSettings&>(), py::arg("settings"))
      .def("detect", &PyLandmarker::Detect, py::arg("image"), py::arg("format"))
      .def("detect_for_video", &PyLandmarker::DetectForVideo, py::arg("image"), py::arg("format"),
           py::arg("timestamp_ms"))
      .def("detect_for_video_frames", &PyLandmarker::DetectForVideoFrames, py::arg("images"),
           py::arg("formats"), py::arg("timestamps_ms"))
      .def("detect_async", &PyLandmarker::DetectAsync, py::arg("image"), py::arg("format"),
           py::arg("timestamp_ms"))
      .def("track_file", &PyLandmarker::TrackFile, py::arg("path"), py::arg("on_frame"),
           py::arg("with_frames"))
      .def("close", &PyLandmarker::Close)
      .def_property_readonly("closed", &PyLandmarker::closed)
      .def("plan", &PyLandmarker::Plan)
      .def("live_stream_stats", &PyLandmarker::LiveStreamStats);

  m.def("read_image", &ReadImage, py::arg("path"));
  m.def("decode_image", &DecodeImageBytes, py::arg("data"), py::arg("name"));
  m.def("list_backends", &Backends);
}
