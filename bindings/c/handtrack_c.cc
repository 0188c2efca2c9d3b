// The C API (include/handtrack/handtrack.h): a thin shell over the public C++
// API. Each exported function catches every exception, because none may
// cross into C; it records the message of a failure in a thread-local string
// for ht_last_error. Results are copied into single malloc'd blocks so that C
// callers free them with one call and nothing of C++ leaks through.
#include "handtrack/handtrack.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "handtrack/gestures.h"
#include "handtrack/hand_landmarker.h"
#include "handtrack/models.h"
#include "handtrack/status.h"

#ifndef HANDTRACK_VERSION_STRING
#error "HANDTRACK_VERSION_STRING must be defined by the build (bindings/c/CMakeLists.txt)"
#endif

namespace {

using handtrack::GestureLabel;
using handtrack::HandLandmarker;
using handtrack::HandLandmarkerOptions;
using handtrack::HandLandmarkerResult;
using handtrack::HandResult;
using handtrack::Status;
using handtrack::StatusCode;

// The C enums mirror the C++ ones value for value; these keep them in step.
static_assert(HT_OK == static_cast<int>(StatusCode::kOk));
static_assert(HT_INVALID_ARGUMENT == static_cast<int>(StatusCode::kInvalidArgument));
static_assert(HT_NOT_FOUND == static_cast<int>(StatusCode::kNotFound));
static_assert(HT_INVALID_MODEL == static_cast<int>(StatusCode::kInvalidModel));
static_assert(HT_INVALID_IMAGE == static_cast<int>(StatusCode::kInvalidImage));
static_assert(HT_UNSUPPORTED == static_cast<int>(StatusCode::kUnsupported));
static_assert(HT_UNAVAILABLE == static_cast<int>(StatusCode::kUnavailable));
static_assert(HT_RESOURCE_EXHAUSTED == static_cast<int>(StatusCode::kResourceExhausted));
static_assert(HT_FAILED_PRECONDITION == static_cast<int>(StatusCode::kFailedPrecondition));
static_assert(HT_INTERNAL == static_cast<int>(StatusCode::kInternal));
static_assert(HT_PIXEL_FORMAT_RGB == static_cast<int>(handtrack::PixelFormat::kRGB));
static_assert(HT_PIXEL_FORMAT_RGBA == static_cast<int>(handtrack::PixelFormat::kRGBA));
static_assert(HT_PIXEL_FORMAT_BGR == static_cast<int>(handtrack::PixelFormat::kBGR));
static_assert(HT_PIXEL_FORMAT_BGRA == static_cast<int>(handtrack::PixelFormat::kBGRA));
static_assert(HT_GESTURE_NONE == static_cast<int>(GestureLabel::kNone));
static_assert(HT_GESTURE_CLOSED_FIST == static_cast<int>(GestureLabel::kClosedFist));
static_assert(HT_GESTURE_OPEN_PALM == static_cast<int>(GestureLabel::kOpenPalm));
static_assert(HT_GESTURE_POINTING_UP == static_cast<int>(GestureLabel::kPointingUp));
static_assert(HT_GESTURE_THUMB_DOWN == static_cast<int>(GestureLabel::kThumbDown));
static_assert(HT_GESTURE_THUMB_UP == static_cast<int>(GestureLabel::kThumbUp));
static_assert(HT_GESTURE_VICTORY == static_cast<int>(GestureLabel::kVictory));
static_assert(HT_GESTURE_I_LOVE_YOU == static_cast<int>(GestureLabel::kILoveYou));
static_assert(HT_NUM_LANDMARKS == handtrack::kNumHandLandmarks);
// The hands follow the result header in one block: the header's size must keep them aligned.
static_assert(sizeof(ht_result) % alignof(ht_hand) == 0);
static_assert(std::is_trivially_copyable_v<ht_hand> && std::is_trivially_copyable_v<ht_backend_info>);

// ---- Errors ------------------------------------------------------------------

// The last failure's message on this thread. If even recording it runs out of
// memory, a static text stands in (kept apart so that it never allocates).
thread_local std::string tl_error_message;
thread_local const char* tl_error_fallback = nullptr;

// Records "<parts...>" as this thread's last error and returns `status`.
ht_status Fail(ht_status status, std::initializer_list<std::string_view> parts) noexcept {
  try {
    tl_error_message.clear();
    for (std::string_view part : parts) tl_error_message += part;
    tl_error_fallback = nullptr;
  } catch (...) {
    tl_error_fallback = "failed to record an error message: out of memory";
  }
  return status;
}

// The lists are spelled out: a braced {message} alone also converts to std::string, and clang
// then picked this very overload again (endless recursion, found under clang's AddressSanitizer).
ht_status Fail(ht_status status, const std::string& message) noexcept {
  return Fail(status, std::initializer_list<std::string_view>{message});
}

ht_status Fail(const Status& status) noexcept {
  return Fail(static_cast<ht_status>(status.code()),
              std::initializer_list<std::string_view>{status.message()});
}

// "failed to <what>: <argument> is NULL".
ht_status NullArgument(const char* what, const char* argument) noexcept {
  return Fail(HT_INVALID_ARGUMENT, {"failed to ", what, ": ", argument, " is NULL"});
}

// Runs `body` (returning ht_status) with every exception turned into an error
// status: std::bad_alloc is HT_RESOURCE_EXHAUSTED, anything else HT_INTERNAL.
template <typename Body>
ht_status Guarded(const char* what, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return Fail(HT_RESOURCE_EXHAUSTED, {"failed to ", what, ": out of memory"});
  } catch (const std::exception& e) {
    return Fail(HT_INTERNAL, {"failed to ", what, ": unexpected exception: ", e.what()});
  } catch (...) {
    return Fail(HT_INTERNAL, {"failed to ", what, ": unexpected exception"});
  }
}

// ---- Results -------------------------------------------------------------------

size_t ResultBytes(size_t num_hands) { return sizeof(ht_result) + num_hands * sizeof(ht_hand); }

// Writes `result` into `block` (ResultBytes(hands) bytes): the header, then the hands.
ht_result* FillResult(void* block, const HandLandmarkerResult& result, int width, int height) {
  auto* out = static_cast<ht_result*>(block);
  auto* hands = reinterpret_cast<ht_hand*>(static_cast<unsigned char*>(block) + sizeof(ht_result));
  out->timestamp_ms = result.timestamp_ms;
  out->palm_detection_ran = result.palm_detection_ran ? 1 : 0;
  out->num_hands = static_cast<int>(result.hands.size());
  out->hands = result.hands.empty() ? nullptr : hands;
  for (size_t i = 0; i < result.hands.size(); ++i) {
    const HandResult& hand = result.hands[i];
    ht_hand& h = hands[i];
    std::memset(&h, 0, sizeof(h));
    h.id = hand.id;
    const size_t label_size = std::min(hand.handedness.label.size(), sizeof(h.handedness) - 1);
    std::memcpy(h.handedness, hand.handedness.label.data(), label_size);
    h.handedness_score = hand.handedness.score;
    h.handedness_index = hand.handedness.index;
    h.presence = hand.presence;
    for (int k = 0; k < HT_NUM_LANDMARKS; ++k) {
      h.landmarks[k] = {hand.landmarks[k].x, hand.landmarks[k].y, hand.landmarks[k].z};
      h.world_landmarks[k] = {hand.world_landmarks[k].x, hand.world_landmarks[k].y,
                              hand.world_landmarks[k].z};
    }
    const handtrack::HandGestures gestures = handtrack::ComputeGestures(hand, width, height);
    h.gesture = static_cast<int>(gestures.gesture);
    h.gesture_name = handtrack::GestureName(gestures.gesture);
    h.gesture_score = gestures.gesture_score;
    h.finger_count = gestures.finger_count;
    h.pinch = gestures.pinch ? 1 : 0;
    h.pinch_distance = gestures.pinch_distance;
  }
  return out;
}

// A result in a malloc'd block of its own, for ht_result_free; nullptr when out of memory.
ht_result* NewResult(const HandLandmarkerResult& result, int width, int height) {
  void* block = std::malloc(ResultBytes(result.hands.size()));
  return block == nullptr ? nullptr : FillResult(block, result, width, height);
}

// ---- Images --------------------------------------------------------------------

// The C image as a C++ view; the sizes and stride are checked by the C++ call.
handtrack::Result<handtrack::ImageView> ToView(const ht_image& image, const char* what) {
  if (image.data == nullptr) {
    return handtrack::InvalidArgumentError(std::string("failed to ") + what + ": image.data is NULL");
  }
  if (image.format < HT_PIXEL_FORMAT_RGB || image.format > HT_PIXEL_FORMAT_BGRA) {
    return handtrack::InvalidArgumentError(std::string("failed to ") + what + ": image format " +
                                           std::to_string(static_cast<int>(image.format)) +
                                           " is not an ht_pixel_format");
  }
  return handtrack::ImageView{image.data, image.width, image.height, image.stride_bytes,
                              static_cast<handtrack::PixelFormat>(image.format)};
}

// The landmarker whose callback runs on this thread, if any: closing it from there would wait for itself.
thread_local const ht_landmarker* tl_in_callback = nullptr;

}  // namespace

struct ht_landmarker {
  // The landmarker goes first, while the fields its LIVE_STREAM worker reads are still alive.
  ~ht_landmarker() { landmarker.reset(); }

  std::unique_ptr<HandLandmarker> landmarker;
  ht_result_callback callback = nullptr;
  void* user_data = nullptr;
  // Set by ht_landmarker_close: every later detect call fails, in every mode.
  std::atomic<bool> closed{false};
};

namespace {

// Delivers one LIVE_STREAM result to the C callback, on the worker thread.
void Deliver(ht_landmarker* owner, handtrack::Result<HandLandmarkerResult> result,
             const handtrack::ImageView& frame, int64_t timestamp_ms) noexcept {
  tl_in_callback = owner;
  if (!result.ok()) {
    owner->callback(owner->user_data, nullptr, static_cast<ht_status>(result.status().code()),
                    result.status().message().c_str(), timestamp_ms);
    tl_in_callback = nullptr;
    return;
  }
  // Only valid during the callback: freed right after it.
  std::unique_ptr<ht_result, decltype(&std::free)> converted(NewResult(*result, frame.width, frame.height),
                                                             &std::free);
  if (converted == nullptr) {
    owner->callback(owner->user_data, nullptr, HT_RESOURCE_EXHAUSTED,
                    "failed to deliver result: out of memory", timestamp_ms);
  } else {
    owner->callback(owner->user_data, converted.get(), HT_OK, "", timestamp_ms);
  }
  tl_in_callback = nullptr;
}

ht_status CheckedDetectCall(const ht_landmarker* landmarker, const ht_image* image, const char* what) {
  if (landmarker == nullptr) return NullArgument(what, "landmarker");
  if (image == nullptr) return NullArgument(what, "image");
  if (landmarker->closed.load()) {
    return Fail(HT_FAILED_PRECONDITION, {"failed to ", what, ": the landmarker is closed"});
  }
  return HT_OK;
}

ht_status ReturnResult(handtrack::Result<HandLandmarkerResult> result, const handtrack::ImageView& view,
                       const char* what, ht_result** out) {
  if (!result.ok()) return Fail(result.status());
  ht_result* converted = NewResult(*result, view.width, view.height);
  if (converted == nullptr) return Fail(HT_RESOURCE_EXHAUSTED, {"failed to ", what, ": out of memory"});
  *out = converted;
  return HT_OK;
}

}  // namespace

extern "C" {

HT_API const char* ht_last_error(void) {
  return tl_error_fallback != nullptr ? tl_error_fallback : tl_error_message.c_str();
}

HT_API const char* ht_status_name(ht_status status) {
  const int code = static_cast<int>(status);
  if (code < HT_OK || code > HT_INTERNAL) return "unknown";
  // StatusCodeName returns views of string literals, so data() is NUL-terminated and static.
  return handtrack::StatusCodeName(static_cast<StatusCode>(code)).data();
}

HT_API const char* ht_version(void) { return HANDTRACK_VERSION_STRING; }

HT_API void ht_options_init(ht_options* options) {
  if (options == nullptr) return;
  std::memset(options, 0, sizeof(*options));
  options->struct_size = sizeof(ht_options);
  options->running_mode = HT_RUNNING_MODE_IMAGE;
  options->num_hands = 1;
  options->min_hand_detection_confidence = 0.5f;
  options->min_hand_presence_confidence = 0.5f;
  options->min_tracking_confidence = 0.5f;
  options->model_variant = HT_MODEL_FULL;
  options->delegate = "auto";
  options->num_threads = 1;
  options->precision = HT_PRECISION_AUTO;
  options->smoothing = HT_SMOOTHING_DEFAULT;
}

HT_API ht_status ht_landmarker_create(const ht_options* options, ht_landmarker** out) {
  static constexpr const char* kWhat = "create hand landmarker";
  if (out != nullptr) *out = nullptr;
  if (options == nullptr) return NullArgument(kWhat, "options");
  if (out == nullptr) return NullArgument(kWhat, "out");
  return Guarded(kWhat, [&]() -> ht_status {
    const std::string failed = std::string("failed to ") + kWhat + ": ";
    // The only size this version knows; later versions will also accept this one.
    if (options->struct_size != sizeof(ht_options)) {
      return Fail(HT_INVALID_ARGUMENT,
                  failed + "options.struct_size is " + std::to_string(options->struct_size) + ", expected " +
                      std::to_string(sizeof(ht_options)) + " (call ht_options_init first)");
    }
    const ht_options& o = *options;
    HandLandmarkerOptions cc;
    switch (o.running_mode) {
      case HT_RUNNING_MODE_IMAGE:
        cc.running_mode = handtrack::RunningMode::kImage;
        break;
      case HT_RUNNING_MODE_VIDEO:
        cc.running_mode = handtrack::RunningMode::kVideo;
        break;
      case HT_RUNNING_MODE_LIVE_STREAM:
        cc.running_mode = handtrack::RunningMode::kLiveStream;
        break;
      default:
        return Fail(HT_INVALID_ARGUMENT, failed + "running_mode " +
                                             std::to_string(static_cast<int>(o.running_mode)) +
                                             " is not an ht_running_mode");
    }
    if (o.model_variant != HT_MODEL_FULL && o.model_variant != HT_MODEL_LITE) {
      return Fail(HT_INVALID_ARGUMENT, failed + "model_variant " +
                                           std::to_string(static_cast<int>(o.model_variant)) +
                                           " is not an ht_model_variant");
    }
    if (o.precision != HT_PRECISION_FP32 && o.precision != HT_PRECISION_FP16 &&
        o.precision != HT_PRECISION_AUTO) {
      return Fail(HT_INVALID_ARGUMENT, failed + "precision " + std::to_string(static_cast<int>(o.precision)) +
                                           " is not an ht_precision");
    }
    switch (o.smoothing) {
      case HT_SMOOTHING_DEFAULT:
        cc.smoothing = handtrack::SmoothingMode::kDefault;
        break;
      case HT_SMOOTHING_ON:
        cc.smoothing = handtrack::SmoothingMode::kOn;
        break;
      case HT_SMOOTHING_OFF:
        cc.smoothing = handtrack::SmoothingMode::kOff;
        break;
      default:
        return Fail(HT_INVALID_ARGUMENT, failed + "smoothing " +
                                             std::to_string(static_cast<int>(o.smoothing)) +
                                             " is not an ht_smoothing");
    }
    if (o.palm_model_data == nullptr && o.palm_model_size != 0) {
      return Fail(HT_INVALID_ARGUMENT, failed + "palm_model_data is NULL but palm_model_size is " +
                                           std::to_string(o.palm_model_size));
    }
    if (o.landmark_model_data == nullptr && o.landmark_model_size != 0) {
      return Fail(HT_INVALID_ARGUMENT, failed + "landmark_model_data is NULL but landmark_model_size is " +
                                           std::to_string(o.landmark_model_size));
    }

    cc.num_hands = o.num_hands;
    cc.min_hand_detection_confidence = o.min_hand_detection_confidence;
    cc.min_hand_presence_confidence = o.min_hand_presence_confidence;
    cc.min_tracking_confidence = o.min_tracking_confidence;
    cc.mirrored = o.mirrored != 0;
    handtrack::ModelOptions& model = cc.model;
    model.variant =
        o.model_variant == HT_MODEL_LITE ? handtrack::ModelVariant::kLite : handtrack::ModelVariant::kFull;
    if (o.model_dir != nullptr) model.model_dir = o.model_dir;
    // Read during Create only (HandEngine::Create verifies and copies what it keeps).
    if (o.palm_model_data != nullptr) {
      model.model_buffers[handtrack::PalmModelName(model.variant)] = {o.palm_model_data, o.palm_model_size};
    }
    if (o.landmark_model_data != nullptr) {
      model.model_buffers[handtrack::LandmarkModelName(model.variant)] = {o.landmark_model_data,
                                                                          o.landmark_model_size};
    }
    handtrack::Result<handtrack::Delegate> delegate =
        handtrack::ParseDelegate(o.delegate != nullptr ? o.delegate : "auto");
    if (!delegate.ok()) return Fail(delegate.status());
    model.delegate = *delegate;
    model.num_threads = o.num_threads;
    model.precision = o.precision == HT_PRECISION_FP16   ? handtrack::Precision::kFp16
                      : o.precision == HT_PRECISION_AUTO ? handtrack::Precision::kAuto
                                                         : handtrack::Precision::kFp32;

    auto landmarker = std::make_unique<ht_landmarker>();
    landmarker->callback = o.result_callback;
    landmarker->user_data = o.user_data;
    if (o.result_callback != nullptr) {
      // The C++ checks that a callback comes with LIVE_STREAM mode and only with it.
      ht_landmarker* owner = landmarker.get();
      cc.result_callback = [owner](handtrack::Result<HandLandmarkerResult> result,
                                   const handtrack::ImageView& frame, int64_t timestamp_ms) {
        Deliver(owner, std::move(result), frame, timestamp_ms);
      };
    }
    handtrack::Result<std::unique_ptr<HandLandmarker>> created = HandLandmarker::Create(cc);
    if (!created.ok()) return Fail(created.status());
    landmarker->landmarker = std::move(created).value();
    *out = landmarker.release();
    return HT_OK;
  });
}

HT_API void ht_landmarker_destroy(ht_landmarker* landmarker) {
  if (landmarker == nullptr) return;
  // The C++ destructor closes (joining the LIVE_STREAM worker) and does not throw.
  delete landmarker;
}

HT_API ht_status ht_landmarker_close(ht_landmarker* landmarker) {
  static constexpr const char* kWhat = "close hand landmarker";
  if (landmarker == nullptr) return NullArgument(kWhat, "landmarker");
  if (tl_in_callback == landmarker) {
    return Fail(
        HT_FAILED_PRECONDITION,
        {"failed to close hand landmarker: called from its own result callback, which close waits for"});
  }
  return Guarded(kWhat, [&]() -> ht_status {
    landmarker->closed.store(true);
    const Status status = landmarker->landmarker->Close();
    return status.ok() ? HT_OK : Fail(status);
  });
}

HT_API ht_status ht_detect(ht_landmarker* landmarker, const ht_image* image, ht_result** out) {
  static constexpr const char* kWhat = "detect hands";
  if (out != nullptr) *out = nullptr;
  if (ht_status checked = CheckedDetectCall(landmarker, image, kWhat); checked != HT_OK) return checked;
  if (out == nullptr) return NullArgument(kWhat, "out");
  return Guarded(kWhat, [&]() -> ht_status {
    handtrack::Result<handtrack::ImageView> view = ToView(*image, kWhat);
    if (!view.ok()) return Fail(view.status());
    return ReturnResult(landmarker->landmarker->Detect(*view), *view, kWhat, out);
  });
}

HT_API ht_status ht_detect_for_video(ht_landmarker* landmarker, const ht_image* image, int64_t timestamp_ms,
                                     ht_result** out) {
  static constexpr const char* kWhat = "detect hands in video frame";
  if (out != nullptr) *out = nullptr;
  if (ht_status checked = CheckedDetectCall(landmarker, image, kWhat); checked != HT_OK) return checked;
  if (out == nullptr) return NullArgument(kWhat, "out");
  return Guarded(kWhat, [&]() -> ht_status {
    handtrack::Result<handtrack::ImageView> view = ToView(*image, kWhat);
    if (!view.ok()) return Fail(view.status());
    return ReturnResult(landmarker->landmarker->DetectForVideo(*view, timestamp_ms), *view, kWhat, out);
  });
}

HT_API ht_status ht_detect_async(ht_landmarker* landmarker, const ht_image* image, int64_t timestamp_ms) {
  static constexpr const char* kWhat = "queue frame";
  if (ht_status checked = CheckedDetectCall(landmarker, image, kWhat); checked != HT_OK) return checked;
  return Guarded(kWhat, [&]() -> ht_status {
    handtrack::Result<handtrack::ImageView> view = ToView(*image, kWhat);
    if (!view.ok()) return Fail(view.status());
    const Status status = landmarker->landmarker->DetectAsync(*view, timestamp_ms);
    return status.ok() ? HT_OK : Fail(status);
  });
}

HT_API void ht_result_free(ht_result* result) { std::free(result); }

HT_API ht_status ht_live_stream_stats(const ht_landmarker* landmarker, int64_t* received, int64_t* processed,
                                      int64_t* dropped) {
  static constexpr const char* kWhat = "read live stream stats";
  if (received != nullptr) *received = 0;
  if (processed != nullptr) *processed = 0;
  if (dropped != nullptr) *dropped = 0;
  if (landmarker == nullptr) return NullArgument(kWhat, "landmarker");
  if (received == nullptr) return NullArgument(kWhat, "received");
  if (processed == nullptr) return NullArgument(kWhat, "processed");
  if (dropped == nullptr) return NullArgument(kWhat, "dropped");
  return Guarded(kWhat, [&]() -> ht_status {
    const handtrack::LiveStreamStats stats = landmarker->landmarker->live_stream_stats();
    *received = stats.frames_received;
    *processed = stats.frames_processed;
    *dropped = stats.frames_dropped;
    return HT_OK;
  });
}

HT_API ht_status ht_landmarker_plan(const ht_landmarker* landmarker, char** out_text) {
  static constexpr const char* kWhat = "describe plan";
  if (out_text != nullptr) *out_text = nullptr;
  if (landmarker == nullptr) return NullArgument(kWhat, "landmarker");
  if (out_text == nullptr) return NullArgument(kWhat, "out_text");
  return Guarded(kWhat, [&]() -> ht_status {
    const std::string plan = landmarker->landmarker->DescribePlan();
    auto* text = static_cast<char*>(std::malloc(plan.size() + 1));
    if (text == nullptr) return Fail(HT_RESOURCE_EXHAUSTED, {"failed to describe plan: out of memory"});
    std::memcpy(text, plan.c_str(), plan.size() + 1);
    *out_text = text;
    return HT_OK;
  });
}

HT_API void ht_string_free(char* text) { std::free(text); }

HT_API ht_status ht_list_backends(ht_backend_info** out, int* count) {
  static constexpr const char* kWhat = "list backends";
  if (out != nullptr) *out = nullptr;
  if (count != nullptr) *count = 0;
  if (out == nullptr) return NullArgument(kWhat, "out");
  if (count == nullptr) return NullArgument(kWhat, "count");
  return Guarded(kWhat, [&]() -> ht_status {
    const std::vector<handtrack::BackendInfo> backends = handtrack::ListBackends();
    // One block: the entries, then their strings.
    size_t bytes = backends.size() * sizeof(ht_backend_info);
    for (const handtrack::BackendInfo& backend : backends)
      bytes += backend.name.size() + backend.detail.size() + 2;
    auto* block = static_cast<unsigned char*>(std::malloc(std::max<size_t>(bytes, 1)));
    if (block == nullptr) return Fail(HT_RESOURCE_EXHAUSTED, {"failed to list backends: out of memory"});
    auto* infos = reinterpret_cast<ht_backend_info*>(block);
    char* strings = reinterpret_cast<char*>(block + backends.size() * sizeof(ht_backend_info));
    auto copy = [&strings](const std::string& text) {
      char* start = strings;
      std::memcpy(start, text.c_str(), text.size() + 1);
      strings += text.size() + 1;
      return start;
    };
    for (size_t i = 0; i < backends.size(); ++i) {
      const handtrack::BackendInfo& backend = backends[i];
      infos[i].name = copy(backend.name);
      infos[i].priority = backend.priority;
      infos[i].compiled_in = backend.compiled_in ? 1 : 0;
      infos[i].device = backend.device ? 1 : 0;
      infos[i].available = backend.available ? 1 : 0;
      infos[i].detail = copy(backend.detail);
    }
    *out = infos;
    *count = static_cast<int>(backends.size());
    return HT_OK;
  });
}

HT_API void ht_backends_free(ht_backend_info* backends, int count) {
  // One block (ht_list_backends); count is part of the signature for symmetry and future use.
  (void)count;
  std::free(backends);
}

}  // extern "C"
