/* handtrack's C API: a stable C99 interface to the hand landmarker, for C
 * programs and for other languages' FFI (Go, Rust, C#, Java, Python ctypes).
 * It is a thin shell over the C++ API (handtrack/hand_landmarker.h) in the
 * shared library libhandtrack.so (pkg-config handtrack-c; docs/C_API.md).
 *
 *   ht_options options;
 *   ht_options_init(&options);                  // MediaPipe's defaults
 *   options.num_hands = 2;
 *   ht_landmarker* landmarker = NULL;
 *   if (ht_landmarker_create(&options, &landmarker) != HT_OK) fail(ht_last_error());
 *   ht_image image = {pixels, width, height, width * 3, HT_PIXEL_FORMAT_RGB};
 *   ht_result* result = NULL;
 *   if (ht_detect(landmarker, &image, &result) != HT_OK) fail(ht_last_error());
 *   for (int i = 0; i < result->num_hands; ++i)
 *     use(result->hands[i].handedness, result->hands[i].landmarks[8].x);
 *   ht_result_free(result);
 *   ht_landmarker_destroy(landmarker);
 *
 * Errors: every function that can fail returns an ht_status: HT_OK (0) or an
 * error code, and then ht_last_error() gives the reason as one line,
 * "failed to <verb> <object>: <reason>". A NULL pointer argument is
 * HT_INVALID_ARGUMENT with a message naming the argument. On failure every
 * output pointer is set to NULL (counts to 0) when it is not itself NULL.
 * Nothing throws (no C++ exception crosses this interface), prints or aborts;
 * a landmarker stays usable after a failed call.
 *
 * Ownership: the caller owns what it passes in (options, model bytes, pixels)
 * and the library only reads it during the call. What the library hands out
 * (results, texts, backend lists) belongs to the caller until it gives it back
 * with the matching ht_*_free function, and must not be freed otherwise.
 * Strings inside results that are documented as static live forever.
 *
 * Threading: ht_last_error is per thread. ht_options_init, ht_status_name,
 * ht_version and ht_list_backends may be called from any thread at any time.
 * A landmarker follows the C++ rules (handtrack/hand_landmarker.h):
 *   - IMAGE mode: ht_detect may be called from several threads at once on one
 *     landmarker; the calls run in parallel.
 *   - VIDEO mode: one landmarker per video stream, called with one frame at a
 *     time (an overlapping ht_detect_for_video fails with
 *     HT_FAILED_PRECONDITION); several landmarkers run in parallel.
 *   - LIVE_STREAM mode: ht_detect_async and ht_live_stream_stats from any
 *     threads, also while another thread closes the landmarker; the callback
 *     runs on the landmarker's own worker thread, one call at a time.
 *   - ht_landmarker_plan: any thread, any time.
 *   - ht_landmarker_close from one thread at a time; ht_landmarker_destroy
 *     when no other call on that landmarker is running or will start.
 *
 * ABI: the names are ht_ / HT_ only, and the library exports nothing else.
 * Within one major version (the soname, libhandtrack.so.N) functions keep
 * their signatures and structs their layout; ht_options may grow at its end,
 * which its struct_size field makes safe for programs built against an older
 * header. The WebAssembly module's glue (web/wasm/handtrack_wasm.h, an
 * Emscripten-only build that never links with this library) has a different
 * set of ht_ functions; only ht_last_error means the same in both.
 */
#ifndef HANDTRACK_HANDTRACK_H_
#define HANDTRACK_HANDTRACK_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define HT_API
#elif defined(__GNUC__)
/* The library is built with hidden visibility; these are its exports. */
#define HT_API __attribute__((visibility("default")))
#else
#define HT_API
#endif

/* The enums' values travel as int. In C any int value may be stored in an enum;
 * in C++ an enum without a fixed type only holds the range of its
 * enumerators, so C++ (the library, or a C++ program) gives them int as their
 * type: a bad value from a caller is then an error to report, not undefined
 * behaviour. */
#ifdef __cplusplus
#define HT_ENUM_INT : int
#else
#define HT_ENUM_INT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Errors ---------------------------------------------------------------- */

/* The same codes, with the same values, as handtrack::StatusCode. */
typedef enum ht_status HT_ENUM_INT {
  HT_OK = 0,
  HT_INVALID_ARGUMENT = 1,    /* a NULL pointer, a bad option value, an argument out of range */
  HT_NOT_FOUND = 2,           /* a model file or folder that does not exist */
  HT_INVALID_MODEL = 3,       /* model bytes that are corrupt or malformed */
  HT_INVALID_IMAGE = 4,       /* pixels that cannot be used */
  HT_UNSUPPORTED = 5,         /* valid input that this build or backend cannot handle */
  HT_UNAVAILABLE = 6,         /* a backend or device that is missing or was lost */
  HT_RESOURCE_EXHAUSTED = 7,  /* out of memory, or an input above a documented limit */
  HT_FAILED_PRECONDITION = 8, /* a call in the wrong running mode or order, or after close */
  HT_INTERNAL = 9             /* a bug in handtrack */
} ht_status;

/* The message of the last failed ht_ call on the calling thread, one line:
 * "failed to <verb> <object>: <reason>"; "" when no call has failed on this
 * thread. Successful calls leave it as it is. Owned by the library; valid
 * until the calling thread's next ht_ call. Never NULL. */
HT_API const char* ht_last_error(void);

/* A short lower-case name of a code, as handtrack::StatusCodeName: "ok",
 * "invalid_argument", "not_found", ...; "unknown" for other values. Static,
 * never NULL. */
HT_API const char* ht_status_name(ht_status status);

/* The library's version, "X.Y.Z". Static, never NULL. */
HT_API const char* ht_version(void);

/* ---- Options --------------------------------------------------------------- */

typedef enum ht_running_mode HT_ENUM_INT {
  HT_RUNNING_MODE_IMAGE = 0,      /* ht_detect: every image on its own */
  HT_RUNNING_MODE_VIDEO = 1,      /* ht_detect_for_video: frames of one video, tracked */
  HT_RUNNING_MODE_LIVE_STREAM = 2 /* ht_detect_async: results through the callback */
} ht_running_mode;

typedef enum ht_model_variant HT_ENUM_INT { HT_MODEL_FULL = 0, HT_MODEL_LITE = 1 } ht_model_variant;

/* Arithmetic of inference: fp16 is honoured by the cuda backend; the CPU
 * backends run fp32 and say so in the plan. AUTO: fp16 on cuda (as MediaPipe's
 * GPU delegate), fp32 elsewhere. */
typedef enum ht_precision HT_ENUM_INT {
  HT_PRECISION_FP32 = 0,
  HT_PRECISION_FP16 = 1,
  HT_PRECISION_AUTO = 2
} ht_precision;

/* One-Euro smoothing of landmarks over time (VIDEO and LIVE_STREAM).
 * DEFAULT: off in VIDEO mode (results match MediaPipe's), on in LIVE_STREAM. */
typedef enum ht_smoothing HT_ENUM_INT {
  HT_SMOOTHING_DEFAULT = 0,
  HT_SMOOTHING_ON = 1,
  HT_SMOOTHING_OFF = 2
} ht_smoothing;

typedef struct ht_result ht_result;

/* LIVE_STREAM results. Called on the landmarker's worker thread, one call at
 * a time, once per processed frame, in timestamp order: with the result and
 * HT_OK, or with result NULL, the error's code and its message. `result` and
 * `error_message` (never NULL; "" on success) are valid only during the call:
 * copy what you keep, and never pass `result` to ht_result_free. The callback
 * must return normally (no C++ exception, no longjmp) and must not close or
 * destroy its own landmarker. */
typedef void (*ht_result_callback)(void* user_data, const ht_result* result /* NULL on error */,
                                   ht_status status, const char* error_message, int64_t timestamp_ms);

typedef struct ht_options {
  /* sizeof(ht_options), set by ht_options_init: lets later versions add
   * fields at the end and still accept programs built against this header.
   * ht_landmarker_create refuses a size it does not know. */
  size_t struct_size;
  ht_running_mode running_mode;        /* default HT_RUNNING_MODE_IMAGE */
  int num_hands;                       /* most hands per image, 1..8; default 1 */
  float min_hand_detection_confidence; /* palm score threshold, [0, 1]; default 0.5 */
  float min_hand_presence_confidence;  /* hand presence threshold, [0, 1]; default 0.5 */
  float min_tracking_confidence;       /* [0, 1]; default 0.5 */
  /* Folder holding the .tflite files; NULL (default): $HANDTRACK_MODELS, else
   * $XDG_CACHE_HOME/handtrack/models, else ~/.cache/handtrack/models. */
  const char* model_dir;
  /* Models from memory (MediaPipe's model_asset_buffer): the .tflite bytes of
   * the palm detection and hand landmark model of `model_variant`. A model
   * given here is not read from the folder; NULL (default): from the folder.
   * The bytes are read (and verified as a file is) during
   * ht_landmarker_create only; the caller may free them afterwards. */
  const uint8_t* palm_model_data;
  size_t palm_model_size;
  const uint8_t* landmark_model_data;
  size_t landmark_model_size;
  ht_model_variant model_variant; /* default HT_MODEL_FULL */
  /* Backend by its name in ht_list_backends ("cuda", "xnnpack",
   * "reference") or "auto" (default; NULL means "auto" too): the fastest
   * available backend per node, falling back visibly (ht_landmarker_plan). A
   * named backend that is unavailable is an error at create. */
  const char* delegate;
  int num_threads;        /* CPU threads of inference, 1..256; default 1 */
  ht_precision precision; /* default HT_PRECISION_AUTO */
  /* 0 (default): handedness labels name the real hand of a non-mirrored
   * image, as MediaPipe Tasks; 1: the input is a mirrored selfie view. */
  int mirrored;
  ht_smoothing smoothing; /* default HT_SMOOTHING_DEFAULT */
  /* LIVE_STREAM only, and required there; NULL (default) in the other modes.
   * user_data is handed to every call as it is. */
  ht_result_callback result_callback;
  void* user_data;
} ht_options;

/* Fills *options with the defaults above (MediaPipe's) and struct_size.
 * Does nothing when options is NULL. */
HT_API void ht_options_init(ht_options* options);

/* ---- Landmarker ------------------------------------------------------------ */

typedef struct ht_landmarker ht_landmarker;

/* Loads and verifies the models, plans them onto backends and returns a ready
 * landmarker in *out, owned by the caller until ht_landmarker_destroy. The
 * options are only read during the call.
 * Errors: HT_INVALID_ARGUMENT (NULL options or out, a struct_size this
 * library does not know, an option out of range, an unknown delegate, a
 * callback missing in LIVE_STREAM mode or given in another), HT_NOT_FOUND (a
 * model file missing), HT_INVALID_MODEL (corrupt model bytes), HT_UNAVAILABLE
 * (the named delegate cannot run here), HT_RESOURCE_EXHAUSTED. */
HT_API ht_status ht_landmarker_create(const ht_options* options, ht_landmarker** out);

/* Closes the landmarker (LIVE_STREAM: as ht_landmarker_close, so the
 * callback gets the results of the frames in flight first) and frees it.
 * NULL does nothing. No other call on it may be running or start later. */
HT_API void ht_landmarker_destroy(ht_landmarker* landmarker);

/* LIVE_STREAM: processes the frame in flight and the queued one, delivers
 * their results through the callback, then stops the worker thread; returns
 * when that is done. In every mode, later detect calls on this landmarker fail
 * with HT_FAILED_PRECONDITION; the plan and the stats stay readable.
 * Idempotent. Errors: HT_INVALID_ARGUMENT (NULL); HT_FAILED_PRECONDITION when
 * called from the landmarker's own callback. */
HT_API ht_status ht_landmarker_close(ht_landmarker* landmarker);

/* 8-bit interleaved pixels, as handtrack::PixelFormat. */
typedef enum ht_pixel_format HT_ENUM_INT {
  HT_PIXEL_FORMAT_RGB = 0,
  HT_PIXEL_FORMAT_RGBA = 1,
  HT_PIXEL_FORMAT_BGR = 2,
  HT_PIXEL_FORMAT_BGRA = 3
} ht_pixel_format;

/* A view of the caller's pixels, rows top to bottom; stride_bytes is the
 * distance between the starts of two rows (>= width * bytes per pixel). The
 * pixels are read only during the call that receives the image. Sides up to
 * 1,048,576 pixels. */
typedef struct ht_image {
  const uint8_t* data;
  int width;
  int height;
  int stride_bytes;
  ht_pixel_format format;
} ht_image;

/* ---- Results --------------------------------------------------------------- */

/* MediaPipe Gesture Recognizer's labels, in its order (handtrack::GestureLabel). */
typedef enum ht_gesture HT_ENUM_INT {
  HT_GESTURE_NONE = 0,
  HT_GESTURE_CLOSED_FIST = 1,
  HT_GESTURE_OPEN_PALM = 2,
  HT_GESTURE_POINTING_UP = 3,
  HT_GESTURE_THUMB_DOWN = 4,
  HT_GESTURE_THUMB_UP = 5,
  HT_GESTURE_VICTORY = 6,
  HT_GESTURE_I_LOVE_YOU = 7
} ht_gesture;

#define HT_NUM_LANDMARKS 21

/* landmarks: x, y normalised to the image width and height (slightly outside
 * [0, 1] for hands at the border); z depth relative to the wrist on about the
 * scale of x, negative = closer. world_landmarks: metres around the hand's
 * centre. */
typedef struct ht_landmark {
  float x, y, z;
} ht_landmark;

typedef struct ht_hand {
  /* VIDEO / LIVE_STREAM: stays with a hand while it is tracked (a hand found
   * again gets a new id); IMAGE: 0, 1, ... per call. */
  int id;
  char handedness[8];     /* "Left" or "Right", NUL-terminated */
  float handedness_score; /* confidence of the label, [0.5, 1] */
  int handedness_index;   /* MediaPipe's class index: 0 = "Right", 1 = "Left" */
  float presence;         /* hand presence score of the landmark model */
  ht_landmark landmarks[HT_NUM_LANDMARKS];
  ht_landmark world_landmarks[HT_NUM_LANDMARKS];
  /* Gestures of this frame alone (handtrack::ComputeGestures with the image's
   * size; no hysteresis across frames): */
  int gesture;              /* an ht_gesture */
  const char* gesture_name; /* MediaPipe's name: "None", "Closed_Fist", ...; static */
  float gesture_score;      /* [0.5, 1]; 0 for degenerate landmarks */
  int finger_count;         /* extended digits, thumb included: 0..5 */
  int pinch;                /* 1 when thumb and index tips touch (pinch_distance < 0.3) */
  float pinch_distance;     /* thumb tip to index tip over palm length */
} ht_hand;

struct ht_result {
  int64_t timestamp_ms;   /* as given; 0 in IMAGE mode */
  int palm_detection_ran; /* 0 when every hand came from tracking */
  int num_hands;
  ht_hand* hands; /* num_hands hands (NULL when none), inside this result's block */
};

/* IMAGE mode: the hands in one image, independent of earlier calls. *out is
 * the caller's until ht_result_free.
 * Errors: HT_INVALID_ARGUMENT (NULL arguments, an image with no pixels, a bad
 * size, stride or format), HT_FAILED_PRECONDITION (a landmarker of another
 * mode, or closed), the errors of running the models (HT_UNAVAILABLE,
 * HT_INTERNAL, ...), HT_RESOURCE_EXHAUSTED. */
HT_API ht_status ht_detect(ht_landmarker* landmarker, const ht_image* image, ht_result** out);

/* VIDEO mode: the next frame of the video; timestamp_ms must increase
 * strictly from call to call (HT_FAILED_PRECONDITION otherwise). Hands are
 * tracked from frame to frame. Errors as ht_detect's, plus
 * HT_FAILED_PRECONDITION for a call overlapping another on this landmarker. */
HT_API ht_status ht_detect_for_video(ht_landmarker* landmarker, const ht_image* image, int64_t timestamp_ms,
                                     ht_result** out);

/* LIVE_STREAM mode: copies the frame into the queue and returns at once; its
 * result (or error) comes through the callback. At most one frame is
 * processed and one queued: a newer frame replaces a queued one, which is
 * counted as dropped and gets no callback. Errors are about the call:
 * HT_INVALID_ARGUMENT (NULL arguments, a bad image), HT_FAILED_PRECONDITION
 * (another mode, timestamp_ms not after the previous call's, closed). */
HT_API ht_status ht_detect_async(ht_landmarker* landmarker, const ht_image* image, int64_t timestamp_ms);

/* Frees a result of ht_detect or ht_detect_for_video (one block). NULL does
 * nothing. */
HT_API void ht_result_free(ht_result* result);

/* LIVE_STREAM counters: frames accepted by ht_detect_async, results delivered
 * (errors included) and queued frames replaced by newer ones. Zeros in the
 * other modes. Errors: HT_INVALID_ARGUMENT (a NULL argument). */
HT_API ht_status ht_live_stream_stats(const ht_landmarker* landmarker, int64_t* received, int64_t* processed,
                                      int64_t* dropped);

/* ---- Plan and backends ----------------------------------------------------- */

/* Where each model runs: per model, the backend of each node group and the
 * reason for every fallback; several lines, NUL-terminated, in *out_text, the
 * caller's until ht_string_free.
 * Errors: HT_INVALID_ARGUMENT (NULL), HT_RESOURCE_EXHAUSTED. */
HT_API ht_status ht_landmarker_plan(const ht_landmarker* landmarker, char** out_text);

/* Frees a string from ht_landmarker_plan. NULL does nothing. */
HT_API void ht_string_free(char* text);

/* A backend this build knows, and whether it can be used here. */
typedef struct ht_backend_info {
  const char* name;   /* "cuda", "xnnpack", "reference", ... */
  int priority;       /* higher is tried first under "auto" */
  int compiled_in;    /* 1 when built into this library */
  int device;         /* 1 for a device with memory of its own (a GPU) */
  int available;      /* 1 when it can run here */
  const char* detail; /* "ready", or why it is not compiled in or unavailable */
} ht_backend_info;

/* Every backend of this build, in the order "auto" tries them: *count
 * entries in *out, one block (the strings inside it), the caller's until
 * ht_backends_free. Errors: HT_INVALID_ARGUMENT (NULL), HT_RESOURCE_EXHAUSTED. */
HT_API ht_status ht_list_backends(ht_backend_info** out, int* count);

/* Frees a list from ht_list_backends; count is the one it gave. NULL does
 * nothing. */
HT_API void ht_backends_free(ht_backend_info* backends, int count);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* HANDTRACK_HANDTRACK_H_ */
