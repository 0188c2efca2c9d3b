// The WebAssembly module's exports (handtrack_wasm.h): a thin shell over the
// public API. It keeps the landmarkers in a handle table, turns results into
// flat float records the JavaScript side reads straight from the heap, and
// adds the per-hand gestures and pinch tracking the native `track` reports.
#include "handtrack_wasm.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "handtrack/gestures.h"
#include "handtrack/hand_landmarker.h"
#include "handtrack/models.h"

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
#include <emscripten/heap.h>
#define HT_EXPORT EMSCRIPTEN_KEEPALIVE
#else
#define HT_EXPORT
#endif

namespace {

using handtrack::HandLandmarker;
using handtrack::HandLandmarkerOptions;
using handtrack::HandLandmarkerResult;

std::string& LastError() {
  static std::string error;
  return error;
}

void SetError(const std::string& message) { LastError() = message; }

// The backend that runs most nodes of `model_name` in a DescribePlan() text
// ("palm_detection_full: ..." then "  wasm: 139 node(s), ..." lines).
std::string MainBackend(const std::string& plan, const std::string& model_name) {
  std::istringstream lines(plan);
  std::string line;
  bool in_model = false;
  std::string best;
  long best_nodes = -1;
  while (std::getline(lines, line)) {
    if (!line.empty() && line[0] != ' ') {
      in_model = line.rfind(model_name + ":", 0) == 0;
      continue;
    }
    if (!in_model) continue;
    const size_t colon = line.find(": ");
    const size_t nodes = line.find(" node(s)");
    if (colon == std::string::npos || nodes == std::string::npos || nodes < colon) continue;
    const std::string name = line.substr(line.find_first_not_of(' '), colon - line.find_first_not_of(' '));
    if (name == "note") continue;
    const long count = std::strtol(line.c_str() + colon + 2, nullptr, 10);
    if (count > best_nodes) {
      best_nodes = count;
      best = name;
    }
  }
  return best;
}

struct Landmarker {
  std::unique_ptr<HandLandmarker> landmarker;
  HandLandmarkerOptions options;
  std::vector<float> records;
  bool palm_detection_ran = false;
  std::map<int, handtrack::PinchTracker> pinch_trackers;  // VIDEO mode, by hand id
  std::string plan;
  std::string palm_backend;
  std::string landmark_backend;
  bool plan_changed = false;
};

// ht_set_backend_options: applied to every landmarker and timing created after it.
struct BackendDefaults {
  std::map<std::string, std::string> settings;
  std::string faults;
  handtrack::Precision precision = handtrack::Precision::kAuto;  // webgpu: fp32
};
BackendDefaults& Defaults() {
  static BackendDefaults defaults;
  return defaults;
}

std::map<int, std::unique_ptr<Landmarker>>& Landmarkers() {
  static std::map<int, std::unique_ptr<Landmarker>> table;
  return table;
}

Landmarker* Find(int handle, const char* verb) {
  auto it = Landmarkers().find(handle);
  if (it == Landmarkers().end() || !it->second->landmarker) {
    SetError(std::string("failed to ") + verb + ": no landmarker " + std::to_string(handle) +
             " (closed or never created)");
    return nullptr;
  }
  return it->second.get();
}

bool ApplyOptions(const HtOptions* in, HandLandmarkerOptions& out, const char* verb) {
  if (in == nullptr) {
    SetError(std::string("failed to ") + verb + ": no options given");
    return false;
  }
  if (in->running_mode != HT_MODE_IMAGE && in->running_mode != HT_MODE_VIDEO) {
    SetError(std::string("failed to ") + verb + ": running mode " + std::to_string(in->running_mode) +
             " is neither IMAGE (0) nor VIDEO (1)");
    return false;
  }
  if (in->smoothing < HT_SMOOTHING_DEFAULT || in->smoothing > HT_SMOOTHING_OFF) {
    SetError(std::string("failed to ") + verb + ": smoothing " + std::to_string(in->smoothing) +
             " is not 0, 1 or 2");
    return false;
  }
  out.running_mode =
      in->running_mode == HT_MODE_VIDEO ? handtrack::RunningMode::kVideo : handtrack::RunningMode::kImage;
  out.num_hands = in->num_hands;
  out.min_hand_detection_confidence = in->min_hand_detection_confidence;
  out.min_hand_presence_confidence = in->min_hand_presence_confidence;
  out.min_tracking_confidence = in->min_tracking_confidence;
  out.smoothing = in->smoothing == HT_SMOOTHING_ON    ? handtrack::SmoothingMode::kOn
                  : in->smoothing == HT_SMOOTHING_OFF ? handtrack::SmoothingMode::kOff
                                                      : handtrack::SmoothingMode::kDefault;
  out.mirrored = in->mirrored != 0;
  return true;
}

// (Re)creates the landmarker on the engine it already has, or a new engine.
bool Rebuild(Landmarker& entry, HandLandmarkerOptions options, const char* verb) {
  auto created = HandLandmarker::Create(options);
  if (!created.ok()) {
    SetError(std::string("failed to ") + verb + ": " + created.status().message());
    return false;
  }
  entry.landmarker = std::move(*created);
  // Keep the engine for later option changes: the models stay loaded. The
  // model bytes were read during Create and the spans point at the caller's memory.
  entry.options = entry.landmarker->options();
  entry.options.model.model_buffers.clear();
  entry.pinch_trackers.clear();
  entry.records.clear();
  entry.plan = entry.landmarker->DescribePlan();
  entry.palm_backend = MainBackend(entry.plan, handtrack::PalmModelName(entry.options.model.variant));
  entry.landmark_backend = MainBackend(entry.plan, handtrack::LandmarkModelName(entry.options.model.variant));
  return true;
}

void WriteRecord(const handtrack::HandResult& hand, const handtrack::HandGestures& gestures,
                 const handtrack::PinchEvent& event, bool pinching, float* record) {
  std::fill(record, record + HT_HAND_RECORD_FLOATS, 0.0f);
  record[HT_HAND_ID] = static_cast<float>(hand.id);
  record[HT_HAND_HANDEDNESS_INDEX] = static_cast<float>(hand.handedness.index);
  record[HT_HAND_HANDEDNESS_SCORE] = hand.handedness.score;
  record[HT_HAND_MODEL_OUTPUT] = hand.handedness.model_output;
  record[HT_HAND_PRESENCE] = hand.presence;
  for (int i = 0; i < handtrack::kNumHandLandmarks; ++i) {
    record[HT_HAND_LANDMARKS + 3 * i + 0] = hand.landmarks[i].x;
    record[HT_HAND_LANDMARKS + 3 * i + 1] = hand.landmarks[i].y;
    record[HT_HAND_LANDMARKS + 3 * i + 2] = hand.landmarks[i].z;
    record[HT_HAND_WORLD_LANDMARKS + 3 * i + 0] = hand.world_landmarks[i].x;
    record[HT_HAND_WORLD_LANDMARKS + 3 * i + 1] = hand.world_landmarks[i].y;
    record[HT_HAND_WORLD_LANDMARKS + 3 * i + 2] = hand.world_landmarks[i].z;
  }
  record[HT_HAND_GESTURE] = static_cast<float>(gestures.gesture);
  record[HT_HAND_GESTURE_SCORE] = gestures.gesture_score;
  record[HT_HAND_FINGER_COUNT] = static_cast<float>(gestures.finger_count);
  record[HT_HAND_PINCH] = pinching ? 1.0f : 0.0f;
  record[HT_HAND_PINCH_DISTANCE] = gestures.pinch_distance;
  for (int i = 0; i < 5; ++i) record[HT_HAND_EXTENDED + i] = gestures.extended[i] ? 1.0f : 0.0f;
  record[HT_HAND_PALM_FACING] = gestures.palm_facing_camera ? 1.0f : 0.0f;
  record[HT_HAND_PINCH_EVENT] = event.type == handtrack::PinchEventType::kStart ? 1.0f
                                : event.type == handtrack::PinchEventType::kEnd ? 2.0f
                                                                                : 0.0f;
  record[HT_HAND_PINCH_DURATION_MS] = static_cast<float>(event.duration_ms);
}

}  // namespace

extern "C" {

HT_EXPORT uint8_t* ht_alloc(int bytes) {
  if (bytes <= 0) return nullptr;
  return static_cast<uint8_t*>(std::malloc(static_cast<size_t>(bytes)));
}

HT_EXPORT void ht_free(uint8_t* pointer) { std::free(pointer); }

HT_EXPORT int ht_create(const uint8_t* palm_model, int palm_bytes, const uint8_t* landmark_model,
                        int landmark_bytes, const char* variant, const char* delegate, int num_threads,
                        const HtOptions* options) {
  constexpr const char* kVerb = "create hand landmarker";
  const std::string variant_name = variant != nullptr ? variant : "";
  if (variant_name != "full" && variant_name != "lite") {
    SetError(std::string("failed to ") + kVerb + ": model variant '" + variant_name +
             "' is neither full nor lite");
    return 0;
  }
  if (palm_model == nullptr || palm_bytes <= 0 || landmark_model == nullptr || landmark_bytes <= 0) {
    SetError(std::string("failed to ") + kVerb + ": a model's bytes are empty");
    return 0;
  }
  if (num_threads < 1 || num_threads > ht_max_threads()) {
    SetError(std::string("failed to ") + kVerb + ": " + std::to_string(num_threads) +
             " threads asked, this build runs 1 to " + std::to_string(ht_max_threads()));
    return 0;
  }
  auto parsed_delegate = handtrack::ParseDelegate(delegate != nullptr ? delegate : "auto");
  if (!parsed_delegate.ok()) {
    SetError(std::string("failed to ") + kVerb + ": " + parsed_delegate.status().message());
    return 0;
  }
  HandLandmarkerOptions landmarker_options;
  if (!ApplyOptions(options, landmarker_options, kVerb)) return 0;
  auto entry = std::make_unique<Landmarker>();
  landmarker_options.model.variant =
      variant_name == "lite" ? handtrack::ModelVariant::kLite : handtrack::ModelVariant::kFull;
  landmarker_options.model.delegate = *parsed_delegate;
  landmarker_options.model.num_threads = num_threads;
  landmarker_options.model.backend_settings = Defaults().settings;
  landmarker_options.model.inject_faults = Defaults().faults;
  landmarker_options.model.precision = Defaults().precision;
  // The bytes are read (and verified) during Create; nothing keeps them.
  landmarker_options.model.model_buffers[handtrack::PalmModelName(landmarker_options.model.variant)] =
      std::span<const uint8_t>(palm_model, static_cast<size_t>(palm_bytes));
  landmarker_options.model.model_buffers[handtrack::LandmarkModelName(landmarker_options.model.variant)] =
      std::span<const uint8_t>(landmark_model, static_cast<size_t>(landmark_bytes));
  if (!Rebuild(*entry, landmarker_options, kVerb)) return 0;
  static int next_handle = 1;
  const int handle = next_handle++;
  Landmarkers()[handle] = std::move(entry);
  return handle;
}

HT_EXPORT int ht_set_options(int handle, const HtOptions* options) {
  constexpr const char* kVerb = "set hand landmarker options";
  Landmarker* entry = Find(handle, kVerb);
  if (entry == nullptr) return -1;
  HandLandmarkerOptions next = entry->options;
  if (!ApplyOptions(options, next, kVerb)) return -1;
  next.engine = entry->landmarker->options().engine;  // same models, no reload
  // Rebuild replaces the landmarker only once the new one exists: a bad
  // option leaves it as it was.
  if (!Rebuild(*entry, next, kVerb)) return -1;
  return 0;
}

HT_EXPORT int ht_detect(int handle, const uint8_t* rgba, int width, int height, int stride_bytes,
                        double timestamp_ms) {
  Landmarker* entry = Find(handle, "detect hands");
  if (entry == nullptr) return -1;
  handtrack::ImageView view{rgba, width, height, stride_bytes, handtrack::PixelFormat::kRGBA};
  if (handtrack::Status valid = view.Validate(); !valid.ok()) {
    SetError("failed to detect hands: " + valid.message());
    return -1;
  }
  const bool video = entry->options.running_mode == handtrack::RunningMode::kVideo;
  // Converting NaN or a huge double to an integer traps in WebAssembly: refuse it first.
  constexpr double kLargestTimestampMs = 9.0e15;  // well inside int64 and exact in a double
  if (video && !(std::fabs(timestamp_ms) <= kLargestTimestampMs)) {
    SetError("failed to detect hands: timestamp " + std::to_string(timestamp_ms) +
             " ms is not a finite number of milliseconds");
    return -1;
  }
  const auto timestamp = video ? static_cast<int64_t>(timestamp_ms) : 0;
  auto result = video ? entry->landmarker->DetectForVideo(view, timestamp) : entry->landmarker->Detect(view);
  if (!result.ok()) {
    SetError(result.status().message());
    return -1;
  }
  entry->palm_detection_ran = result->palm_detection_ran;
  // A backend that failed mid-run was dropped and the frame ran on the next one.
  if (std::string plan = entry->landmarker->DescribePlan(); plan != entry->plan) {
    entry->plan = std::move(plan);
    entry->palm_backend = MainBackend(entry->plan, handtrack::PalmModelName(entry->options.model.variant));
    entry->landmark_backend =
        MainBackend(entry->plan, handtrack::LandmarkModelName(entry->options.model.variant));
    entry->plan_changed = true;
  }
  entry->records.assign(result->hands.size() * HT_HAND_RECORD_FLOATS, 0.0f);
  std::map<int, handtrack::PinchTracker> still_tracked;
  for (size_t i = 0; i < result->hands.size(); ++i) {
    const handtrack::HandResult& hand = result->hands[i];
    const handtrack::HandGestures gestures = handtrack::ComputeGestures(hand, width, height);
    handtrack::PinchEvent event;
    bool pinching = gestures.pinch;
    if (video) {
      auto tracker = entry->pinch_trackers.find(hand.id);
      handtrack::PinchTracker own =
          tracker != entry->pinch_trackers.end() ? tracker->second : handtrack::PinchTracker();
      event = own.Update(gestures, timestamp);
      pinching = own.pinching();
      still_tracked.emplace(hand.id, own);
    }
    WriteRecord(hand, gestures, event, pinching, entry->records.data() + i * HT_HAND_RECORD_FLOATS);
  }
  if (video) entry->pinch_trackers = std::move(still_tracked);
  return static_cast<int>(result->hands.size());
}

HT_EXPORT const float* ht_result(int handle) {
  Landmarker* entry = Find(handle, "read result");
  return entry != nullptr ? entry->records.data() : nullptr;
}

HT_EXPORT int ht_result_palm_detection_ran(int handle) {
  Landmarker* entry = Find(handle, "read result");
  return entry != nullptr && entry->palm_detection_ran ? 1 : 0;
}

HT_EXPORT const char* ht_backend(int handle, const char* model) {
  Landmarker* entry = Find(handle, "name backend");
  if (entry == nullptr) return "";
  const std::string which = model != nullptr ? model : "";
  return which == "landmark" ? entry->landmark_backend.c_str() : entry->palm_backend.c_str();
}

HT_EXPORT const char* ht_describe_plan(int handle) {
  Landmarker* entry = Find(handle, "describe plan");
  return entry != nullptr ? entry->plan.c_str() : "";
}

HT_EXPORT void ht_destroy(int handle) { Landmarkers().erase(handle); }

HT_EXPORT const char* ht_time_model(const uint8_t* model, int model_bytes, const char* name,
                                    const char* delegate, int num_threads, int warmup, int runs,
                                    double* out_ms) {
  const std::string model_name = name != nullptr ? name : "model";
  const std::string verb = "failed to time model " + model_name + ": ";
  if (model == nullptr || model_bytes <= 0 || out_ms == nullptr || runs < 1 || warmup < 0 ||
      num_threads < 1 || num_threads > ht_max_threads()) {
    SetError(verb + "bad arguments (empty model, no output, runs < 1 or threads out of range)");
    return nullptr;
  }
  auto parsed_delegate = handtrack::ParseDelegate(delegate != nullptr ? delegate : "auto");
  if (!parsed_delegate.ok()) {
    SetError(verb + parsed_delegate.status().message());
    return nullptr;
  }
  handtrack::ModelRunner::Options options;
  options.delegate = *parsed_delegate;
  options.num_threads = num_threads;
  options.backend_settings = Defaults().settings;
  options.inject_faults = Defaults().faults;
  options.precision = Defaults().precision;
  auto runner = handtrack::ModelRunner::CreateFromBuffer(
      std::span<const uint8_t>(model, static_cast<size_t>(model_bytes)), model_name, options);
  if (!runner.ok()) {
    SetError(verb + runner.status().message());
    return nullptr;
  }
  std::mt19937 random(1);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (int i = 0; i < (*runner)->num_inputs(); ++i) {
    for (float& v : (*runner)->input(i)) v = uniform(random);
  }
  std::vector<double> times;
  for (int i = 0; i < warmup + runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    if (handtrack::Status ran = (*runner)->Run(); !ran.ok()) {
      SetError(verb + ran.message());
      return nullptr;
    }
    const auto end = std::chrono::steady_clock::now();
    if (i >= warmup) times.push_back(std::chrono::duration<double, std::milli>(end - start).count());
  }
  std::sort(times.begin(), times.end());
  out_ms[0] = times[times.size() / 2];
  out_ms[1] = times.front();
  // The device's kernels alone (webgpu: the dispatches replayed on the data already there).
  out_ms[2] = -1.0;
  if (auto device = (*runner)->TimeDeviceKernels(runs); device.ok() && device->has_value())
    out_ms[2] = **device;
  static std::string backend;
  backend = MainBackend((*runner)->DescribePlan(), model_name);
  return backend.c_str();
}

HT_EXPORT const char* ht_last_error(void) { return LastError().c_str(); }

HT_EXPORT int ht_set_backend_options(const char* settings, const char* faults, const char* precision) {
  BackendDefaults defaults;
  if (precision != nullptr && precision[0] != '\0') {
    auto parsed = handtrack::ParsePrecision(precision);
    if (!parsed.ok()) {
      SetError("failed to set backend options: " + parsed.status().message());
      return -1;
    }
    defaults.precision = *parsed;
  }
  std::string text = settings != nullptr ? settings : "";
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string entry = text.substr(0, comma);
    const size_t equals = entry.find('=');
    if (equals == std::string::npos || equals == 0) {
      SetError("failed to set backend options: setting '" + entry + "' is not KEY=VALUE");
      return -1;
    }
    defaults.settings[entry.substr(0, equals)] = entry.substr(equals + 1);
    text = comma == std::string::npos ? "" : text.substr(comma + 1);
  }
  defaults.faults = faults != nullptr ? faults : "";
  Defaults() = std::move(defaults);
  return 0;
}

HT_EXPORT int ht_take_plan_change(int handle) {
  Landmarker* entry = Find(handle, "read plan");
  if (entry == nullptr || !entry->plan_changed) return 0;
  entry->plan_changed = false;
  return 1;
}

HT_EXPORT const char* ht_gesture_name(int index) {
  if (index < 0 || index > static_cast<int>(handtrack::GestureLabel::kILoveYou)) return "";
  return handtrack::GestureName(static_cast<handtrack::GestureLabel>(index));
}

HT_EXPORT const char* ht_build_info(void) {
#if defined(HANDTRACK_WASM_WEBGPU)
  return "handtrack " HANDTRACK_VERSION_STRING " wasm simd128 webgpu";
#elif defined(HANDTRACK_WASM_THREADS)
  return "handtrack " HANDTRACK_VERSION_STRING " wasm simd128 threads";
#else
  return "handtrack " HANDTRACK_VERSION_STRING " wasm simd128";
#endif
}

HT_EXPORT double ht_heap_allocated_bytes(void) { return static_cast<double>(mallinfo().uordblks); }

HT_EXPORT double ht_heap_size_bytes(void) {
#ifdef __EMSCRIPTEN__
  return static_cast<double>(emscripten_get_heap_size());
#else
  return 0.0;
#endif
}

HT_EXPORT int ht_max_threads(void) {
#ifdef HANDTRACK_WASM_THREADS
  return HANDTRACK_WASM_MAX_THREADS;
#else
  return 1;
#endif
}

}  // extern "C"
