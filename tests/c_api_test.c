/* The C API (include/handtrack/handtrack.h) from C: compiled as C99, no
 * GoogleTest. Options and their defaults, every kind of error, models from
 * memory, IMAGE detection on shared photos against MediaPipe's golden answers,
 * VIDEO tracking, LIVE_STREAM with a callback, the plan, the backends, and one
 * IMAGE landmarker used from two threads at once.
 *
 * Environment: HANDTRACK_MODELS (else the default model folder) and
 * HANDTRACK_SHARED (set by ctest; else ../shared beside the checkout, as built). Exits 77 (skipped) without
 * the models or ../shared, except in CI (CI=true), where that fails. Built without TurboJPEG (the minimal
 * core), the photo checks are left out.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "handtrack/handtrack.h"

#ifdef HT_TEST_WITH_TURBOJPEG
#include <turbojpeg.h>
#endif

static int g_passed = 0;
static int g_failed = 0;

#define CHECK(condition)                                                            \
  do {                                                                              \
    if (condition) {                                                                \
      ++g_passed;                                                                   \
    } else {                                                                        \
      ++g_failed;                                                                   \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #condition); \
    }                                                                               \
  } while (0)

/* A call that must return `expected`; on a mismatch prints what it gave and ht_last_error. */
#define CHECK_STATUS(call, expected)                                                                         \
  do {                                                                                                       \
    ht_status check_status_ = (call);                                                                        \
    if (check_status_ == (expected)) {                                                                       \
      ++g_passed;                                                                                            \
    } else {                                                                                                 \
      ++g_failed;                                                                                            \
      fprintf(stderr, "%s:%d: CHECK failed: %s gave %s, expected %s (last error: %s)\n", __FILE__, __LINE__, \
              #call, ht_status_name(check_status_), ht_status_name(expected), ht_last_error());              \
    }                                                                                                        \
  } while (0)

/* The last error on this thread contains `text`. */
#define CHECK_ERROR_MENTIONS(text)                                                                  \
  do {                                                                                              \
    if (strstr(ht_last_error(), (text)) != NULL) {                                                  \
      ++g_passed;                                                                                   \
    } else {                                                                                        \
      ++g_failed;                                                                                   \
      fprintf(stderr, "%s:%d: CHECK failed: last error \"%s\" does not mention \"%s\"\n", __FILE__, \
              __LINE__, ht_last_error(), (text));                                                   \
    }                                                                                               \
  } while (0)

/* Stops the test: what follows depends on it. Evaluates the condition once. */
#define REQUIRE(condition)                                                                            \
  do {                                                                                                \
    if (condition) {                                                                                  \
      ++g_passed;                                                                                     \
    } else {                                                                                          \
      fprintf(stderr, "%s:%d: REQUIRE failed: %s (last error: %s); stopping: %d passed, %d failed\n", \
              __FILE__, __LINE__, #condition, ht_last_error(), g_passed, g_failed + 1);               \
      exit(1);                                                                                        \
    }                                                                                                 \
  } while (0)

static int in_ci(void) {
  const char* ci = getenv("CI");
  return ci != NULL && strcmp(ci, "true") == 0;
}

static int file_exists(const char* path) {
  struct stat info;
  return stat(path, &info) == 0;
}

static char g_models[4096];
static char g_shared[4096];

/* As handtrack::ResolveModelDir(""). */
static void find_models(void) {
  const char* env = getenv("HANDTRACK_MODELS");
  const char* cache = getenv("XDG_CACHE_HOME");
  const char* home = getenv("HOME");
  if (env != NULL && *env != '\0') {
    snprintf(g_models, sizeof(g_models), "%s", env);
  } else if (cache != NULL && *cache != '\0') {
    snprintf(g_models, sizeof(g_models), "%s/handtrack/models", cache);
  } else {
    snprintf(g_models, sizeof(g_models), "%s/.cache/handtrack/models", home != NULL ? home : ".");
  }
}

/* The whole file in a malloc'd buffer with a NUL after it, or NULL. */
static unsigned char* read_file(const char* path, size_t* size) {
  FILE* file = fopen(path, "rb");
  unsigned char* bytes = NULL;
  long length;
  if (file == NULL) return NULL;
  if (fseek(file, 0, SEEK_END) == 0 && (length = ftell(file)) >= 0 && fseek(file, 0, SEEK_SET) == 0) {
    bytes = malloc((size_t)length + 1);
    if (bytes != NULL && fread(bytes, 1, (size_t)length, file) != (size_t)length) {
      free(bytes);
      bytes = NULL;
    }
    if (bytes != NULL) bytes[length] = '\0';
    *size = (size_t)length;
  }
  fclose(file);
  return bytes;
}

/* A grey test card with a darker square, for calls that need pixels but no hands. */
typedef struct {
  unsigned char* pixels;
  ht_image image;
} owned_image;

static owned_image make_card(int width, int height) {
  owned_image card;
  int x, y;
  card.pixels = malloc((size_t)width * (size_t)height * 3);
  REQUIRE(card.pixels != NULL);
  for (y = 0; y < height; ++y) {
    for (x = 0; x < width; ++x) {
      const unsigned char value =
          (x > width / 4 && x < width / 2 && y > height / 4 && y < height / 2) ? 40 : 160;
      memset(card.pixels + ((size_t)y * width + x) * 3, value, 3);
    }
  }
  card.image.data = card.pixels;
  card.image.width = width;
  card.image.height = height;
  card.image.stride_bytes = width * 3;
  card.image.format = HT_PIXEL_FORMAT_RGB;
  return card;
}

static ht_landmarker* create_or_die(const ht_options* options) {
  ht_landmarker* landmarker = NULL;
  CHECK_STATUS(ht_landmarker_create(options, &landmarker), HT_OK);
  REQUIRE(landmarker != NULL);
  return landmarker;
}

static ht_options default_options(void) {
  ht_options options;
  ht_options_init(&options);
  options.model_dir = g_models;
  return options;
}

/* ---- Without models ------------------------------------------------------------ */

static void test_defaults(void) {
  ht_options options;
  memset(&options, 0xab, sizeof(options));
  ht_options_init(&options);
  CHECK(options.struct_size == sizeof(ht_options));
  CHECK(options.running_mode == HT_RUNNING_MODE_IMAGE);
  CHECK(options.num_hands == 1);
  CHECK(options.min_hand_detection_confidence == 0.5f);
  CHECK(options.min_hand_presence_confidence == 0.5f);
  CHECK(options.min_tracking_confidence == 0.5f);
  CHECK(options.model_dir == NULL);
  CHECK(options.palm_model_data == NULL && options.palm_model_size == 0);
  CHECK(options.landmark_model_data == NULL && options.landmark_model_size == 0);
  CHECK(options.model_variant == HT_MODEL_FULL);
  CHECK(options.delegate != NULL && strcmp(options.delegate, "auto") == 0);
  CHECK(options.num_threads == 1);
  CHECK(options.precision == HT_PRECISION_AUTO);
  CHECK(options.mirrored == 0);
  CHECK(options.smoothing == HT_SMOOTHING_DEFAULT);
  CHECK(options.result_callback == NULL && options.user_data == NULL);
  ht_options_init(NULL); /* does nothing */
}

static void test_names(void) {
  CHECK(strcmp(ht_status_name(HT_OK), "ok") == 0);
  CHECK(strcmp(ht_status_name(HT_INVALID_ARGUMENT), "invalid_argument") == 0);
  CHECK(strcmp(ht_status_name(HT_NOT_FOUND), "not_found") == 0);
  CHECK(strcmp(ht_status_name(HT_FAILED_PRECONDITION), "failed_precondition") == 0);
  CHECK(strcmp(ht_status_name(HT_RESOURCE_EXHAUSTED), "resource_exhausted") == 0);
  CHECK(strcmp(ht_status_name(HT_INTERNAL), "internal") == 0);
  CHECK(strcmp(ht_status_name((ht_status)99), "unknown") == 0);
  CHECK(strcmp(ht_status_name((ht_status)-1), "unknown") == 0);
  CHECK(strcmp(ht_version(), HT_TEST_VERSION) == 0);
}

static void* read_last_error(void* out) {
  *(const char**)out = ht_last_error();
  return NULL;
}

static void test_null_arguments(void) {
  ht_options options;
  ht_landmarker* landmarker = (ht_landmarker*)&options; /* must come back NULL */
  ht_result* result = (ht_result*)&options;
  ht_image image;
  char* text = (char*)&options;
  ht_backend_info* backends = (ht_backend_info*)&options;
  int count = -1;
  int64_t a = -1, b = -1, c = -1;
  pthread_t thread;
  const char* other_thread_error = NULL;

  ht_options_init(&options);
  memset(&image, 0, sizeof(image));
  CHECK(strcmp(ht_last_error(), "") == 0);

  CHECK_STATUS(ht_landmarker_create(NULL, &landmarker), HT_INVALID_ARGUMENT);
  CHECK(landmarker == NULL);
  CHECK_ERROR_MENTIONS("failed to create hand landmarker: options is NULL");
  CHECK_STATUS(ht_landmarker_create(&options, NULL), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("out is NULL");

  CHECK_STATUS(ht_detect(NULL, &image, &result), HT_INVALID_ARGUMENT);
  CHECK(result == NULL);
  CHECK_ERROR_MENTIONS("failed to detect hands: landmarker is NULL");
  CHECK_STATUS(ht_detect_for_video(NULL, &image, 1, &result), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("landmarker is NULL");
  CHECK_STATUS(ht_detect_async(NULL, &image, 1), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("landmarker is NULL");
  CHECK_STATUS(ht_landmarker_close(NULL), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("landmarker is NULL");
  CHECK_STATUS(ht_landmarker_plan(NULL, &text), HT_INVALID_ARGUMENT);
  CHECK(text == NULL);
  CHECK_STATUS(ht_live_stream_stats(NULL, &a, &b, &c), HT_INVALID_ARGUMENT);
  CHECK(a == 0 && b == 0 && c == 0);
  CHECK_STATUS(ht_list_backends(NULL, &count), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("failed to list backends: out is NULL");
  CHECK(count == 0);
  CHECK_STATUS(ht_list_backends(&backends, NULL), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("count is NULL");
  CHECK(backends == NULL);

  /* NULL-safe frees. */
  ht_landmarker_destroy(NULL);
  ht_result_free(NULL);
  ht_string_free(NULL);
  ht_backends_free(NULL, 0);

  /* The last error is per thread: a fresh thread has none. */
  CHECK(strcmp(ht_last_error(), "") != 0);
  REQUIRE(pthread_create(&thread, NULL, read_last_error, &other_thread_error) == 0);
  pthread_join(thread, NULL);
  CHECK(other_thread_error != NULL && strcmp(other_thread_error, "") == 0);
}

static void test_backends(void) {
  ht_backend_info* backends = NULL;
  int count = 0, i, found_reference = 0;
  CHECK_STATUS(ht_list_backends(&backends, &count), HT_OK);
  REQUIRE(backends != NULL && count >= 1);
  for (i = 0; i < count; ++i) {
    CHECK(backends[i].name != NULL && backends[i].detail != NULL);
    if (i > 0) CHECK(backends[i - 1].priority >= backends[i].priority);
    if (strcmp(backends[i].name, "reference") == 0) {
      found_reference = 1;
      CHECK(backends[i].compiled_in == 1);
      CHECK(backends[i].available == 1);
      CHECK(backends[i].device == 0);
      CHECK(strcmp(backends[i].detail, "ready") == 0);
    }
  }
  CHECK(found_reference);
  ht_backends_free(backends, count);
}

/* ---- With models ---------------------------------------------------------------- */

static void test_create_errors(void) {
  ht_options options = default_options();
  ht_landmarker* landmarker = (ht_landmarker*)&options;
  char missing[4200];

  options.struct_size = sizeof(ht_options) - 8;
  CHECK_STATUS(ht_landmarker_create(&options, &landmarker), HT_INVALID_ARGUMENT);
  CHECK(landmarker == NULL);
  CHECK_ERROR_MENTIONS("failed to create hand landmarker: options.struct_size");
  options.struct_size = 0;
  CHECK_STATUS(ht_landmarker_create(&options, &landmarker), HT_INVALID_ARGUMENT);

  options = default_options();
  options.num_hands = 0;
  CHECK_STATUS(ht_landmarker_create(&options, &landmarker), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("num_hands 0");
  options.num_hands = 9;
  CHECK_STATUS(ht_landmarker_create(&options, &landmarker), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("num_hands 9");

  options = default_options();
  options.min_hand_detection_confidence = 1.5f;
  CHECK_STATUS(ht_landmarker_create(&options, &landmarker), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("confidence");

  options = default_options();
  options.num_threads = 0;
  CHECK_STATUS(ht_landmarker_create(&options, &landmarker), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("num_threads 0");

  options = default_options();
  options.running_mode = (ht_running_mode)7;
  CHECK_STATUS(ht_landmarker_create(&options, &landmarker), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("running_mode 7");
  options = default_options();
  options.model_variant = (ht_model_variant)5;
  CHECK_STATUS(ht_landmarker_create(&options, &landmarker), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("model_variant 5");
  options = default_options();
  options.smoothing = (ht_smoothing)3;
  CHECK_STATUS(ht_landmarker_create(&options, &landmarker), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("smoothing 3");
  options = default_options();
  options.precision = (ht_precision)3;
  CHECK_STATUS(ht_landmarker_create(&options, &landmarker), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("precision 3");

  options = default_options();
  options.delegate = "no-such-backend";
  CHECK_STATUS(ht_landmarker_create(&options, &landmarker), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("no-such-backend");
  CHECK_ERROR_MENTIONS("reference"); /* lists the names it knows */

  options = default_options();
  options.palm_model_size = 100; /* bytes without a pointer */
  CHECK_STATUS(ht_landmarker_create(&options, &landmarker), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("palm_model_data is NULL");

  /* A missing model folder: NotFound naming the file it looked for. */
  options = default_options();
  snprintf(missing, sizeof(missing), "%s/no-such-folder", g_models);
  options.model_dir = missing;
  CHECK_STATUS(ht_landmarker_create(&options, &landmarker), HT_NOT_FOUND);
  CHECK(landmarker == NULL);
  CHECK_ERROR_MENTIONS("failed to load model");
  CHECK_ERROR_MENTIONS(missing);
  CHECK_ERROR_MENTIONS("palm_detection_full.tflite");

  /* Corrupt model bytes. */
  {
    static const uint8_t junk[64] = {1, 2, 3, 4, 5, 6, 7, 8};
    options = default_options();
    options.palm_model_data = junk;
    options.palm_model_size = sizeof(junk);
    CHECK_STATUS(ht_landmarker_create(&options, &landmarker), HT_INVALID_MODEL);
    CHECK_ERROR_MENTIONS("palm_detection_full");
  }

  /* The callback belongs to LIVE_STREAM mode, and only there. */
  options = default_options();
  options.running_mode = HT_RUNNING_MODE_LIVE_STREAM;
  CHECK_STATUS(ht_landmarker_create(&options, &landmarker), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("result_callback");
}

static void count_nothing(void* user_data, const ht_result* result, ht_status status, const char* message,
                          int64_t timestamp_ms) {
  (void)user_data;
  (void)result;
  (void)status;
  (void)message;
  (void)timestamp_ms;
}

static void test_callback_outside_live_stream(void) {
  ht_options options = default_options();
  ht_landmarker* landmarker = NULL;
  options.result_callback = count_nothing;
  CHECK_STATUS(ht_landmarker_create(&options, &landmarker), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("result_callback is only for LIVE_STREAM mode");
}

static void test_modes_and_images(void) {
  ht_options options = default_options();
  ht_landmarker* image_landmarker;
  ht_landmarker* video_landmarker;
  owned_image card = make_card(64, 48);
  ht_image bad;
  ht_result* result = NULL;
  int64_t received = -1, processed = -1, dropped = -1;

  image_landmarker = create_or_die(&options);
  options.running_mode = HT_RUNNING_MODE_VIDEO;
  video_landmarker = create_or_die(&options);

  /* Wrong running mode: failed precondition naming both modes. */
  CHECK_STATUS(ht_detect(video_landmarker, &card.image, &result), HT_FAILED_PRECONDITION);
  CHECK(result == NULL);
  CHECK_ERROR_MENTIONS("VIDEO");
  CHECK_STATUS(ht_detect_for_video(image_landmarker, &card.image, 1, &result), HT_FAILED_PRECONDITION);
  CHECK_ERROR_MENTIONS("IMAGE");
  CHECK_STATUS(ht_detect_async(image_landmarker, &card.image, 1), HT_FAILED_PRECONDITION);
  CHECK_ERROR_MENTIONS("LIVE_STREAM");
  CHECK_STATUS(ht_detect(image_landmarker, &card.image, NULL), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("failed to detect hands: out is NULL");
  CHECK_STATUS(ht_detect(image_landmarker, NULL, &result), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("image is NULL");

  /* Bad images. */
  bad = card.image;
  bad.data = NULL;
  CHECK_STATUS(ht_detect(image_landmarker, &bad, &result), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("failed to detect hands: image.data is NULL");
  bad = card.image;
  bad.stride_bytes = 10;
  CHECK_STATUS(ht_detect(image_landmarker, &bad, &result), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("stride 10");
  bad = card.image;
  bad.width = 0;
  CHECK_STATUS(ht_detect(image_landmarker, &bad, &result), HT_INVALID_ARGUMENT);
  bad = card.image;
  bad.format = (ht_pixel_format)9;
  CHECK_STATUS(ht_detect(image_landmarker, &bad, &result), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("image format 9");

  /* A picture without hands, and the formats with 4 bytes per pixel. */
  CHECK_STATUS(ht_detect(image_landmarker, &card.image, &result), HT_OK);
  REQUIRE(result != NULL);
  CHECK(result->num_hands == 0 && result->hands == NULL);
  CHECK(result->timestamp_ms == 0);
  CHECK(result->palm_detection_ran == 1);
  ht_result_free(result);
  {
    owned_image rgba = make_card(32, 32);
    ht_image view = rgba.image;
    view.format = HT_PIXEL_FORMAT_BGRA;
    view.width = 24; /* 24 x 4 bytes per row inside the 96-byte stride */
    CHECK_STATUS(ht_detect(image_landmarker, &view, &result), HT_OK);
    ht_result_free(result);
    free(rgba.pixels);
  }

  /* VIDEO timestamps must increase. */
  CHECK_STATUS(ht_detect_for_video(video_landmarker, &card.image, 100, &result), HT_OK);
  REQUIRE(result != NULL);
  CHECK(result->timestamp_ms == 100);
  ht_result_free(result);
  CHECK_STATUS(ht_detect_for_video(video_landmarker, &card.image, 100, &result), HT_FAILED_PRECONDITION);
  CHECK(result == NULL);
  CHECK_ERROR_MENTIONS("timestamp 100 ms is not after the previous one");
  CHECK_STATUS(ht_detect_for_video(video_landmarker, &card.image, 50, &result), HT_FAILED_PRECONDITION);
  CHECK_STATUS(ht_detect_for_video(video_landmarker, &card.image, 133, &result), HT_OK);
  ht_result_free(result);

  /* Stats outside LIVE_STREAM: zeros. */
  CHECK_STATUS(ht_live_stream_stats(image_landmarker, &received, &processed, &dropped), HT_OK);
  CHECK(received == 0 && processed == 0 && dropped == 0);
  CHECK_STATUS(ht_live_stream_stats(image_landmarker, &received, NULL, &dropped), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("processed is NULL");

  /* Closed: every detect call fails, the plan still reads, close again is fine. */
  CHECK_STATUS(ht_landmarker_close(image_landmarker), HT_OK);
  CHECK_STATUS(ht_detect(image_landmarker, &card.image, &result), HT_FAILED_PRECONDITION);
  CHECK_ERROR_MENTIONS("failed to detect hands: the landmarker is closed");
  {
    char* plan = NULL;
    CHECK_STATUS(ht_landmarker_plan(image_landmarker, &plan), HT_OK);
    CHECK(plan != NULL && strstr(plan, "palm_detection_full") != NULL);
    ht_string_free(plan);
  }
  CHECK_STATUS(ht_landmarker_close(image_landmarker), HT_OK);
  CHECK_STATUS(ht_landmarker_close(video_landmarker), HT_OK);
  CHECK_STATUS(ht_detect_for_video(video_landmarker, &card.image, 200, &result), HT_FAILED_PRECONDITION);
  CHECK_ERROR_MENTIONS("closed");

  ht_landmarker_destroy(image_landmarker);
  ht_landmarker_destroy(video_landmarker);
  free(card.pixels);
}

static void test_plan(void) {
  ht_options options = default_options();
  ht_landmarker* landmarker;
  char* plan = NULL;
  options.model_variant = HT_MODEL_LITE;
  options.delegate = "reference";
  landmarker = create_or_die(&options);
  CHECK_STATUS(ht_landmarker_plan(landmarker, &plan), HT_OK);
  REQUIRE(plan != NULL);
  CHECK(strlen(plan) > 0);
  CHECK(strstr(plan, "palm_detection_lite") != NULL);
  CHECK(strstr(plan, "hand_landmark_lite") != NULL);
  CHECK(strstr(plan, "reference") != NULL);
  ht_string_free(plan);
  CHECK_STATUS(ht_landmarker_plan(landmarker, NULL), HT_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("out_text is NULL");
  ht_landmarker_destroy(landmarker);
}

/* The same hands, bit for bit (gesture_name is static, so pointers compare too). */
static int same_results(const ht_result* a, const ht_result* b) {
  int h;
  if (a->num_hands != b->num_hands || a->palm_detection_ran != b->palm_detection_ran) return 0;
  for (h = 0; h < a->num_hands; ++h) {
    const ht_hand* x = &a->hands[h];
    const ht_hand* y = &b->hands[h];
    if (x->id != y->id || strcmp(x->handedness, y->handedness) != 0 ||
        x->handedness_index != y->handedness_index ||
        memcmp(&x->handedness_score, &y->handedness_score, sizeof(float)) != 0 ||
        memcmp(&x->presence, &y->presence, sizeof(float)) != 0 ||
        memcmp(x->landmarks, y->landmarks, sizeof(x->landmarks)) != 0 ||
        memcmp(x->world_landmarks, y->world_landmarks, sizeof(x->world_landmarks)) != 0 ||
        x->gesture != y->gesture || x->gesture_name != y->gesture_name ||
        x->finger_count != y->finger_count || x->pinch != y->pinch ||
        memcmp(&x->pinch_distance, &y->pinch_distance, sizeof(float)) != 0) {
      return 0;
    }
  }
  return 1;
}

static void test_models_from_memory(const ht_image* photo, int hands_in_photo) {
  ht_options options = default_options();
  ht_landmarker* from_folder;
  ht_landmarker* from_memory;
  ht_result* expected = NULL;
  ht_result* result = NULL;
  char path[4200], missing[4200];
  size_t palm_size = 0, landmark_size = 0;
  unsigned char* palm;
  unsigned char* landmark;

  options.num_hands = 2;
  from_folder = create_or_die(&options);

  snprintf(path, sizeof(path), "%s/palm_detection_full.tflite", g_models);
  palm = read_file(path, &palm_size);
  snprintf(path, sizeof(path), "%s/hand_landmark_full.tflite", g_models);
  landmark = read_file(path, &landmark_size);
  REQUIRE(palm != NULL && landmark != NULL);
  /* No folder to fall back on: both models must come from the bytes. */
  snprintf(missing, sizeof(missing), "%s/no-such-folder", g_models);
  options.model_dir = missing;
  options.palm_model_data = palm;
  options.palm_model_size = palm_size;
  options.landmark_model_data = landmark;
  options.landmark_model_size = landmark_size;
  from_memory = create_or_die(&options);
  /* The bytes are only read during create: gone now (ASan would see a later read). */
  memset(palm, 0, palm_size);
  memset(landmark, 0, landmark_size);
  free(palm);
  free(landmark);

  CHECK_STATUS(ht_detect(from_folder, photo, &expected), HT_OK);
  CHECK_STATUS(ht_detect(from_memory, photo, &result), HT_OK);
  REQUIRE(expected != NULL && result != NULL);
  CHECK(expected->num_hands == hands_in_photo);
  CHECK(same_results(expected, result));
  ht_result_free(expected);
  ht_result_free(result);

  /* One model from memory, the other from the folder: here the landmark bytes are not a model. */
  {
    ht_landmarker* landmarker = (ht_landmarker*)&options;
    static const uint8_t kNotAModel[] = {'T', 'F', 'L', '3'};
    options.model_dir = g_models;
    options.palm_model_data = NULL;
    options.palm_model_size = 0;
    options.landmark_model_data = kNotAModel;
    options.landmark_model_size = sizeof(kNotAModel);
    CHECK_STATUS(ht_landmarker_create(&options, &landmarker), HT_INVALID_MODEL);
    CHECK(landmarker == NULL);
    CHECK_ERROR_MENTIONS("failed to load model hand_landmark_full from memory");
  }
  ht_landmarker_destroy(from_folder);
  ht_landmarker_destroy(from_memory);
}

/* ---- LIVE_STREAM ---------------------------------------------------------------- */

typedef struct {
  pthread_mutex_t mutex;
  ht_landmarker* landmarker; /* set before the first frame */
  int results;
  int errors;
  int hands;
  int64_t last_timestamp_ms;
  int timestamps_increase;
  int result_matches_timestamp;
  ht_status close_from_callback;
} live_counts;

static void count_results(void* user_data, const ht_result* result, ht_status status, const char* message,
                          int64_t timestamp_ms) {
  live_counts* counts = user_data;
  /* Closing from the callback would wait for itself: refused. */
  const ht_status close_status = ht_landmarker_close(counts->landmarker);
  pthread_mutex_lock(&counts->mutex);
  counts->close_from_callback = close_status;
  if (timestamp_ms <= counts->last_timestamp_ms) counts->timestamps_increase = 0;
  counts->last_timestamp_ms = timestamp_ms;
  if (status == HT_OK && result != NULL && message != NULL && message[0] == '\0') {
    ++counts->results;
    counts->hands += result->num_hands;
    if (result->timestamp_ms != timestamp_ms) counts->result_matches_timestamp = 0;
  } else {
    ++counts->errors;
  }
  pthread_mutex_unlock(&counts->mutex);
}

static void test_live_stream(const ht_image* frame, int hands_in_frame) {
  ht_options options = default_options();
  live_counts counts;
  int64_t received = 0, processed = 0, dropped = 0;
  int64_t t;
  const int frames = 12;

  memset(&counts, 0, sizeof(counts));
  pthread_mutex_init(&counts.mutex, NULL);
  counts.last_timestamp_ms = -1;
  counts.timestamps_increase = 1;
  counts.result_matches_timestamp = 1;
  counts.close_from_callback = HT_OK;
  options.running_mode = HT_RUNNING_MODE_LIVE_STREAM;
  options.result_callback = count_results;
  options.user_data = &counts;
  counts.landmarker = create_or_die(&options);

  for (t = 1; t <= frames; ++t) CHECK_STATUS(ht_detect_async(counts.landmarker, frame, t * 33), HT_OK);
  CHECK_STATUS(ht_detect_async(counts.landmarker, frame, 33), HT_FAILED_PRECONDITION);
  CHECK_ERROR_MENTIONS("timestamp");
  CHECK_STATUS(ht_landmarker_close(counts.landmarker), HT_OK);
  CHECK_STATUS(ht_detect_async(counts.landmarker, frame, 1000), HT_FAILED_PRECONDITION);
  CHECK_ERROR_MENTIONS("closed");

  CHECK_STATUS(ht_live_stream_stats(counts.landmarker, &received, &processed, &dropped), HT_OK);
  CHECK(received == frames);
  CHECK(processed >= 1);
  CHECK(processed + dropped == received);
  pthread_mutex_lock(&counts.mutex);
  CHECK(counts.results + counts.errors == processed);
  CHECK(counts.errors == 0);
  CHECK(counts.timestamps_increase);
  CHECK(counts.result_matches_timestamp);
  CHECK(counts.last_timestamp_ms == frames * 33); /* the last frame is never dropped */
  CHECK(counts.hands == hands_in_frame * counts.results);
  CHECK(counts.close_from_callback == HT_FAILED_PRECONDITION);
  pthread_mutex_unlock(&counts.mutex);
  ht_landmarker_destroy(counts.landmarker);
  pthread_mutex_destroy(&counts.mutex);

  /* Destroy without close: the frames in flight are still delivered, then it stops. */
  memset(&counts, 0, sizeof(counts));
  pthread_mutex_init(&counts.mutex, NULL);
  counts.last_timestamp_ms = -1;
  counts.timestamps_increase = 1;
  counts.result_matches_timestamp = 1;
  counts.landmarker = create_or_die(&options);
  CHECK_STATUS(ht_detect_async(counts.landmarker, frame, 5), HT_OK);
  ht_landmarker_destroy(counts.landmarker);
  CHECK(counts.results == 1 && counts.last_timestamp_ms == 5);
  pthread_mutex_destroy(&counts.mutex);
}

/* ---- Photos ------------------------------------------------------------------------ */

#ifdef HT_TEST_WITH_TURBOJPEG

/* A shared photo decoded to RGB as handtrack's own reader does (TurboJPEG, default DCT). */
static owned_image load_photo(const char* name) {
  owned_image photo;
  char path[4400];
  size_t size = 0;
  unsigned char* jpeg;
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  tjhandle handle = tjInitDecompress();
  snprintf(path, sizeof(path), "%s/data/hands/images/%s", g_shared, name);
  jpeg = read_file(path, &size);
  if (jpeg == NULL) fprintf(stderr, "cannot read %s\n", path);
  REQUIRE(jpeg != NULL && handle != NULL);
  REQUIRE(tjDecompressHeader3(handle, jpeg, (unsigned long)size, &width, &height, &subsampling,
                              &colorspace) == 0);
  photo.pixels = malloc((size_t)width * (size_t)height * 3);
  REQUIRE(photo.pixels != NULL);
  REQUIRE(tjDecompress2(handle, jpeg, (unsigned long)size, photo.pixels, width, 0, height, TJPF_RGB,
                        TJFLAG_LIMITSCANS) == 0);
  tjDestroy(handle);
  free(jpeg);
  photo.image.data = photo.pixels;
  photo.image.width = width;
  photo.image.height = height;
  photo.image.stride_bytes = width * 3;
  photo.image.format = HT_PIXEL_FORMAT_RGB;
  return photo;
}

/* One photo's frame in the golden file (MediaPipe's answers): the hands' labels and landmarks. */
typedef struct {
  int width, height, num_hands;
  char label[8][8];
  float landmarks[8][HT_NUM_LANDMARKS][3];
} golden_frame;

/* Reads a frame of golden/images/tasks_full.json by file name: a scan for the
 * keys of its schema (golden/README.md), enough for this file. */
static int read_golden(const char* json, const char* name, golden_frame* frame) {
  char key[512];
  const char* p;
  int h, k, c;
  snprintf(key, sizeof(key), "\"file\": \"%s\"", name);
  p = strstr(json, key);
  if (p == NULL) return 0;
  memset(frame, 0, sizeof(*frame));
  if ((p = strstr(p, "\"width\":")) == NULL) return 0;
  frame->width = atoi(p + 8);
  if ((p = strstr(p, "\"height\":")) == NULL) return 0;
  frame->height = atoi(p + 9);
  if ((p = strstr(p, "\"num_hands\":")) == NULL) return 0;
  frame->num_hands = atoi(p + 12);
  if (frame->num_hands < 0 || frame->num_hands > 8) return 0;
  for (h = 0; h < frame->num_hands; ++h) {
    const char* label;
    if ((p = strstr(p, "\"label\": \"")) == NULL) return 0;
    label = p + 10;
    for (k = 0; k < 7 && label[k] != '"' && label[k] != '\0'; ++k) frame->label[h][k] = label[k];
    if ((p = strstr(p, "\"landmarks\":")) == NULL) return 0;
    p += 12;
    for (k = 0; k < HT_NUM_LANDMARKS; ++k) {
      for (c = 0; c < 3; ++c) {
        char* end;
        while (*p == ' ' || *p == '\n' || *p == '[' || *p == ']' || *p == ',') ++p;
        frame->landmarks[h][k][c] = strtof(p, &end);
        if (end == p) return 0;
        p = end;
      }
    }
  }
  return 1;
}

static const char* g_golden_json = NULL;

/* Photos with MediaPipe's answers that handtrack matches to 1e-3 (stored upright, no EXIF
 * turn, so that this test's plain decode sees what the browser saw). */
static const char* const kPhotos[] = {"two_hands_heart_torso_01.jpg", "count_one_index_up_webcam_01.jpg",
                                      "victory_palm_facing_01.jpg", "thumbs_up_white_background_01.jpg",
                                      "no_hand_cluttered_desk_01.jpg"};
#define NUM_PHOTOS ((int)(sizeof(kPhotos) / sizeof(kPhotos[0])))

static float max_landmark_error(const ht_hand* hand, float (*golden)[3]) {
  float worst = 0.0f;
  int k;
  for (k = 0; k < HT_NUM_LANDMARKS; ++k) {
    const float dx = fabsf(hand->landmarks[k].x - golden[k][0]);
    const float dy = fabsf(hand->landmarks[k].y - golden[k][1]);
    const float dz = fabsf(hand->landmarks[k].z - golden[k][2]);
    worst = fmaxf(worst, fmaxf(dx, fmaxf(dy, dz)));
  }
  return worst;
}

static void test_photos_against_golden(void) {
  ht_options options = default_options();
  ht_landmarker* landmarker;
  int i, h, g;
  options.num_hands = 2; /* as the golden answers */
  landmarker = create_or_die(&options);
  for (i = 0; i < NUM_PHOTOS; ++i) {
    owned_image photo = load_photo(kPhotos[i]);
    golden_frame golden;
    ht_result* result = NULL;
    int matched[8] = {0};
    REQUIRE(read_golden(g_golden_json, kPhotos[i], &golden));
    CHECK(golden.width == photo.image.width && golden.height == photo.image.height);
    CHECK_STATUS(ht_detect(landmarker, &photo.image, &result), HT_OK);
    REQUIRE(result != NULL);
    CHECK(result->num_hands == golden.num_hands);
    if (result->num_hands != golden.num_hands) fprintf(stderr, "  photo %s\n", kPhotos[i]);
    for (h = 0; h < result->num_hands && h < golden.num_hands; ++h) {
      const ht_hand* hand = &result->hands[h];
      /* The golden hand nearest by the wrist (the order of hands is not part of the contract). */
      int best = -1;
      float best_distance = 1e9f, error;
      for (g = 0; g < golden.num_hands; ++g) {
        const float dx = hand->landmarks[0].x - golden.landmarks[g][0][0];
        const float dy = hand->landmarks[0].y - golden.landmarks[g][0][1];
        if (!matched[g] && dx * dx + dy * dy < best_distance) {
          best_distance = dx * dx + dy * dy;
          best = g;
        }
      }
      REQUIRE(best >= 0);
      matched[best] = 1;
      CHECK(strcmp(hand->handedness, golden.label[best]) == 0);
      CHECK(hand->handedness_index == (strcmp(hand->handedness, "Right") == 0 ? 0 : 1));
      CHECK(hand->handedness_score >= 0.5f && hand->handedness_score <= 1.0f);
      CHECK(hand->presence >= 0.5f && hand->presence <= 1.0f);
      CHECK(hand->id == h);
      error = max_landmark_error(hand, golden.landmarks[best]);
      CHECK(error <= 1e-3f);
      if (error > 1e-3f)
        fprintf(stderr, "  photo %s hand %d: largest landmark error %g\n", kPhotos[i], h, error);
      /* Gestures are filled in, with MediaPipe's names. */
      CHECK(hand->gesture >= HT_GESTURE_NONE && hand->gesture <= HT_GESTURE_I_LOVE_YOU);
      CHECK(hand->gesture_name != NULL && strlen(hand->gesture_name) > 0);
      CHECK(hand->finger_count >= 0 && hand->finger_count <= 5);
      CHECK(hand->pinch == (hand->pinch_distance < 0.3f));
      CHECK(hand->world_landmarks[0].x != 0.0f || hand->world_landmarks[0].y != 0.0f);
    }
    /* Gestures of photos whose label is clear. */
    if (strcmp(kPhotos[i], "count_one_index_up_webcam_01.jpg") == 0 && result->num_hands == 1) {
      CHECK(result->hands[0].gesture == HT_GESTURE_POINTING_UP);
      CHECK(strcmp(result->hands[0].gesture_name, "Pointing_Up") == 0);
      CHECK(result->hands[0].finger_count == 1);
    }
    if (strcmp(kPhotos[i], "victory_palm_facing_01.jpg") == 0 && result->num_hands == 1) {
      CHECK(result->hands[0].gesture == HT_GESTURE_VICTORY);
      CHECK(strcmp(result->hands[0].gesture_name, "Victory") == 0);
      CHECK(result->hands[0].finger_count == 2);
    }
    ht_result_free(result);
    free(photo.pixels);
  }
  ht_landmarker_destroy(landmarker);
}

static void test_video(const ht_image* photo) {
  ht_options options = default_options();
  ht_landmarker* landmarker;
  ht_result* result = NULL;
  int frame, first_id = -1;
  options.running_mode = HT_RUNNING_MODE_VIDEO;
  landmarker = create_or_die(&options); /* num_hands 1: tracking alone once the hand is found */
  for (frame = 0; frame < 4; ++frame) {
    const int64_t t = 1000 + frame * 33;
    CHECK_STATUS(ht_detect_for_video(landmarker, photo, t, &result), HT_OK);
    REQUIRE(result != NULL);
    CHECK(result->timestamp_ms == t);
    CHECK(result->num_hands == 1);
    CHECK(result->palm_detection_ran == (frame == 0));
    if (result->num_hands == 1) {
      if (frame == 0) first_id = result->hands[0].id;
      CHECK(result->hands[0].id == first_id); /* the same hand keeps its id */
      CHECK(strcmp(result->hands[0].handedness, "Right") == 0);
    }
    ht_result_free(result);
  }
  ht_landmarker_destroy(landmarker);
}

typedef struct {
  ht_landmarker* landmarker;
  const ht_image* image;
  const ht_result* expected;
  int runs;
  int same;
  ht_status status;
} detect_job;

static void* detect_repeatedly(void* argument) {
  detect_job* job = argument;
  int i;
  job->same = 1;
  job->status = HT_OK;
  for (i = 0; i < job->runs; ++i) {
    ht_result* result = NULL;
    const ht_status status = ht_detect(job->landmarker, job->image, &result);
    if (status != HT_OK) {
      job->status = status;
      fprintf(stderr, "  thread: %s\n", ht_last_error());
      return NULL;
    }
    if (!same_results(result, job->expected)) job->same = 0;
    ht_result_free(result);
  }
  return NULL;
}

static void test_two_threads(const ht_image* photo) {
  ht_options options = default_options();
  ht_landmarker* landmarker;
  ht_result* expected = NULL;
  pthread_t threads[2];
  detect_job jobs[2];
  int t;
  options.num_hands = 2;
  landmarker = create_or_die(&options);
  CHECK_STATUS(ht_detect(landmarker, photo, &expected), HT_OK);
  REQUIRE(expected != NULL && expected->num_hands == 2);
  for (t = 0; t < 2; ++t) {
    jobs[t].landmarker = landmarker;
    jobs[t].image = photo;
    jobs[t].expected = expected;
    jobs[t].runs = 4;
    REQUIRE(pthread_create(&threads[t], NULL, detect_repeatedly, &jobs[t]) == 0);
  }
  for (t = 0; t < 2; ++t) {
    pthread_join(threads[t], NULL);
    CHECK(jobs[t].status == HT_OK);
    CHECK(jobs[t].same);
  }
  ht_result_free(expected);
  ht_landmarker_destroy(landmarker);
}

#endif /* HT_TEST_WITH_TURBOJPEG */

static int skip_or_fail(const char* why) {
  if (in_ci()) {
    fprintf(stderr, "FAIL: %s (required in CI)\n", why);
    printf("%d passed, %d failed\n", g_passed, g_failed + 1);
    return 1;
  }
  printf("SKIP: %s; %d passed, %d failed\n", why, g_passed, g_failed);
  return g_failed == 0 ? 77 : 1;
}

int main(void) {
  char path[4200];
  const char* shared = getenv("HANDTRACK_SHARED");

  test_defaults();
  test_names();
  test_null_arguments();
  test_backends();

  find_models();
  snprintf(path, sizeof(path), "%s/palm_detection_full.tflite", g_models);
  if (!file_exists(path)) return skip_or_fail("no models in the model folder (scripts/fetch_models.sh)");
  test_create_errors();
  test_callback_outside_live_stream();
  test_modes_and_images();
  test_plan();

  snprintf(g_shared, sizeof(g_shared), "%s", shared != NULL ? shared : HT_TEST_SHARED_DIR);
  snprintf(path, sizeof(path), "%s/golden/images/tasks_full.json", g_shared);
  if (!file_exists(path)) {
    owned_image card = make_card(96, 64);
    test_models_from_memory(&card.image, 0);
    test_live_stream(&card.image, 0);
    free(card.pixels);
    return skip_or_fail("no ../shared photos and golden answers (HANDTRACK_SHARED)");
  }
#ifdef HT_TEST_WITH_TURBOJPEG
  {
    size_t size = 0;
    char* json = (char*)read_file(path, &size);
    owned_image two_hands = load_photo("two_hands_heart_torso_01.jpg");
    owned_image one_hand = load_photo("count_one_index_up_webcam_01.jpg");
    REQUIRE(json != NULL);
    g_golden_json = json;
    test_photos_against_golden();
    test_models_from_memory(&two_hands.image, 2);
    test_video(&one_hand.image);
    test_live_stream(&one_hand.image, 1);
    test_two_threads(&two_hands.image);
    free(two_hands.pixels);
    free(one_hand.pixels);
    free(json);
  }
#else
  {
    owned_image card = make_card(96, 64);
    test_models_from_memory(&card.image, 0);
    test_live_stream(&card.image, 0);
    free(card.pixels);
    printf("note: built without TurboJPEG: the photo checks are left out\n");
  }
#endif
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
