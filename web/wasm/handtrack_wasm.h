// The C functions the WebAssembly module exports to JavaScript: a thin shell
// over handtrack's public API (HandLandmarker, ComputeGestures, PinchTracker),
// so that the JavaScript package (web/src) needs no knowledge of C++.
//
// Ownership: every pointer returned stays owned by the module. A landmarker's
// result and text pointers stay valid until the next call on that landmarker
// (or its destruction); ht_last_error's until the next failing call.
// Buffers given in (model bytes, pixels) are only read during the call; the
// caller allocates them in the wasm heap with ht_alloc and frees them with
// ht_free.
// Threading: call from one JavaScript thread (the package's Web Worker). The
// threaded build runs kernels on its own pthreads inside each call.
// Errors: functions that can fail return 0 / -1 and leave a one-line message,
// "failed to <verb> <object>: <reason>", in ht_last_error(); nothing throws,
// prints or aborts, and the landmarker stays usable after a failed call.
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Per hand, ht_result() holds HT_HAND_RECORD_FLOATS floats at these offsets.
#define HT_HAND_ID 0                // stable id in VIDEO mode; 0, 1, ... in IMAGE mode
#define HT_HAND_HANDEDNESS_INDEX 1  // MediaPipe's class index: 0 = "Right", 1 = "Left"
#define HT_HAND_HANDEDNESS_SCORE 2  // confidence of the label, in [0.5, 1]
#define HT_HAND_MODEL_OUTPUT 3      // raw sigmoid of the landmark model (> 0.5: right hand)
#define HT_HAND_PRESENCE 4          // hand presence score
#define HT_HAND_LANDMARKS 5         // 21 x (x, y, z), normalised to the image
#define HT_HAND_WORLD_LANDMARKS 68  // 21 x (x, y, z), metres
#define HT_HAND_GESTURE 131         // index into ht_gesture_name()
#define HT_HAND_GESTURE_SCORE 132
#define HT_HAND_FINGER_COUNT 133       // 0-5
#define HT_HAND_PINCH 134              // 1 while pinching (VIDEO: with hysteresis), else 0
#define HT_HAND_PINCH_DISTANCE 135     // thumb tip to index tip over palm length
#define HT_HAND_EXTENDED 136           // 5 flags: thumb, index, middle, ring, little
#define HT_HAND_PALM_FACING 141        // 1 when the palm faces the camera
#define HT_HAND_PINCH_EVENT 142        // VIDEO: 0 none, 1 pinch started, 2 pinch ended, this frame
#define HT_HAND_PINCH_DURATION_MS 143  // with event 2: how long the pinch lasted
#define HT_HAND_RECORD_FLOATS 144

// Running modes (LIVE_STREAM is built by the package on VIDEO mode).
#define HT_MODE_IMAGE 0
#define HT_MODE_VIDEO 1

// Smoothing: default (off in VIDEO mode, as MediaPipe), on, off.
#define HT_SMOOTHING_DEFAULT 0
#define HT_SMOOTHING_ON 1
#define HT_SMOOTHING_OFF 2

typedef struct HtOptions {
  int running_mode;  // HT_MODE_*
  int num_hands;     // 1..8
  float min_hand_detection_confidence;
  float min_hand_presence_confidence;
  float min_tracking_confidence;
  int smoothing;  // HT_SMOOTHING_*
  int mirrored;   // 1: selfie view, handedness labels swapped
} HtOptions;

// Memory in the wasm heap for the caller's bytes; 0 when out of memory.
uint8_t* ht_alloc(int bytes);
void ht_free(uint8_t* pointer);

// Creates a landmarker from the two models' bytes ("full" or "lite" variant,
// naming which models they are). delegate: a backend name ("wasm",
// "reference") or "auto". num_threads: kernel threads (1 in the
// single-threaded build). Returns a handle > 0, or 0 (see ht_last_error).
int ht_create(const uint8_t* palm_model, int palm_bytes, const uint8_t* landmark_model, int landmark_bytes,
              const char* variant, const char* delegate, int num_threads, const HtOptions* options);

// Replaces the options of a landmarker; its models stay loaded. Tracking
// state (ids, smoothing, timestamps) starts over. 0 or -1.
int ht_set_options(int handle, const HtOptions* options);

// Runs one frame of RGBA pixels (rows of stride_bytes >= 4 * width).
// IMAGE mode ignores timestamp_ms; VIDEO mode needs it to increase strictly.
// Returns the number of hands (>= 0) or -1.
int ht_detect(int handle, const uint8_t* rgba, int width, int height, int stride_bytes, double timestamp_ms);

// The last successful ht_detect's hands: number * HT_HAND_RECORD_FLOATS floats.
const float* ht_result(int handle);
// 1 when the last frame ran palm detection (0: every hand came from tracking).
int ht_result_palm_detection_ran(int handle);

// The backend that runs most of each model's nodes, e.g. "wasm".
const char* ht_backend(int handle, const char* model /* "palm" | "landmark" */);
// Where each model runs, node groups and fallback reasons (several lines).
const char* ht_describe_plan(int handle);

void ht_destroy(int handle);

// Times one model alone (for benchmarks): loads `model` (its bytes; name e.g.
// "palm_detection_full") on `delegate` with `num_threads`, runs it `warmup`
// times untimed and `runs` times timed on a seeded random input in [0, 1),
// and writes the median and minimum milliseconds to out_ms[0], out_ms[1], and to out_ms[2]
// the mean milliseconds of the device's kernels alone (`runs` replays; -1 without a device).
// Returns the backend that ran most nodes ("wasm", ...) or 0 (ht_last_error).
const char* ht_time_model(const uint8_t* model, int model_bytes, const char* name, const char* delegate,
                          int num_threads, int warmup, int runs, double* out_ms);

const char* ht_last_error(void);
// "None", "Closed_Fist", ... (MediaPipe's names); "" out of range.
const char* ht_gesture_name(int index);
// The build: "handtrack X.Y.Z wasm simd128 [threads]".
const char* ht_build_info(void);
// Bytes allocated by malloc right now, and the size of the wasm heap: a
// steady stream of frames must leave both flat.
double ht_heap_allocated_bytes(void);
double ht_heap_size_bytes(void);
// Threads the build can use (1 for the single-threaded build).
int ht_max_threads(void);

// Backend settings ("KEY=VALUE,...", e.g. "webgpu.allow_fallback_adapter=1"), test faults
// ("BACKEND:STAGE,...", e.g. "webgpu:device-lost") and the precision ("fp32", "fp16"; empty:
// fp32) for the landmarkers and timings created after this call (ModelOptions::
// backend_settings, ::inject_faults, ::precision). 0, or -1 (ht_last_error).
int ht_set_backend_options(const char* settings, const char* faults, const char* precision);
// 1 once after a detect whose run changed the plan (a backend failed mid-run and the
// models moved to the next one: ht_backend and ht_describe_plan now say so), else 0.
int ht_take_plan_change(int handle);

#ifdef __cplusplus
}
#endif
