#!/usr/bin/env bash
# Runs every test of handtrack, in eight stages:
#   1. format: scripts/check_format.sh (clang-format 14 --dry-run -Werror on every
#      C/C++/CUDA file);
#   2. Release build with the tests and -DHANDTRACK_WERROR=ON ($BUILD/), all of ctest but
#      the service tests, which follow on their own (2b: ctest -L service);
#   3. install: `cmake --install $BUILD` ($BUILD-install/), then examples/consumer built
#      against it with CMake (find_package) and with pkg-config, and run on a real model,
#      and the C example (examples/c) built with pkg-config handtrack-c and run on a photo;
#   4. the minimal core in Debug ($BUILD-core/; with clang when it is installed): no
#      handtrack_io, CLI, XNNPACK, CUDA or benchmarks, -DHANDTRACK_WERROR=ON, assertions on;
#      its tests (ctest);
#   5. RelWithDebInfo build (-O1 -g1; with clang when it is installed, which compiles it in
#      about 60 % of gcc's time) under AddressSanitizer + UndefinedBehaviorSanitizer
#      ($BUILD-asan/), the tests of untrusted input: ctest -L sanitize (image and model
#      readers, the CLI's bad-input tour, the service API with two of the shared videos)
#      plus every other test not labelled "slow";
#   6. with clang, a short libFuzzer run of every fuzz target ($BUILD-fuzz/, the reference
#      backend only behind the interpreter), two targets at a time (libFuzzer uses one core),
#      seeded with the real models and the shared photos;
#   7. the browser: scripts/build_web.sh (the three WebAssembly modules, from two folders:
#      $BUILD-wasm-mt/, and $BUILD-wasm-gpu/ for handtrack_st and handtrack_gpu; the npm package web/dist/ and the web app
#      web/build/app/), the mt and gpu modules' tests under node (ctest), the package's tests in headless
#      Chromium (web/tests/run.sh, with the webgpu backend's tests on SwiftShader), and the web
#      app's against the Release build's `handtrack serve` (web/app/tests/run.sh);
#   8. Python: scripts/build_python.sh builds the wheel from the Release build ($BUILD/) and
#      installs it into $BUILD-venv/, then pytest (Debian's) runs bindings/python/tests there.
# Installs missing dependencies (scripts/setup.sh --deps-only) and fetches the models
# first. Exits non-zero when any stage fails; every stage runs regardless.
#
#   scripts/test.sh
# Environment knobs: JOBS (2), FUZZ_SECONDS (30), BUILD (build: the build folders are
# $BUILD, $BUILD-install, $BUILD-consumer, $BUILD-core, $BUILD-asan, $BUILD-fuzz,
# $BUILD-wasm-mt, $BUILD-wasm-gpu, $BUILD-venv and the logs $BUILD-logs).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
readonly JOBS=${JOBS:-2}
readonly FUZZ_SECONDS=${FUZZ_SECONDS:-30}
readonly BUILD=${BUILD:-build}
readonly LOGS=$BUILD-logs
case $BUILD in /*) build_abs=$BUILD ;; *) build_abs=$PWD/$BUILD ;; esac
readonly build_abs
mkdir -p "$LOGS"
results=()
failed=0

note() { echo; echo "==== test.sh: $* [$(date -u +%T), ${SECONDS}s in]"; }
record() {  # record STAGE STATUS
  if [ "$2" -eq 0 ]; then results+=("PASS  $1"); else results+=("FAIL  $1 (exit $2)"); failed=1; fi
}

# Runs ctest in build dir $2 with extra arguments; its log is $LOGS/ctest-$1.log, for the summary.
run_ctest() {  # run_ctest LOG_NAME DIR CTEST_ARGS...
  local log=$LOGS/ctest-$1.log dir=$2
  shift 2
  ctest --test-dir "$dir" --output-on-failure --timeout 1200 "$@" 2>&1 | tee "$log"
  return "${PIPESTATUS[0]}"
}

note "dependencies and models"
scripts/setup.sh --deps-only || { echo "test.sh: installing dependencies failed"; exit 1; }
scripts/fetch_models.sh || { echo "test.sh: the models are needed for the tests"; exit 1; }
models_dir=${HANDTRACK_MODELS:-${XDG_CACHE_HOME:-$HOME/.cache}/handtrack/models}
shared_dir=$(cd .. && pwd)/shared

# Small PNGs of several colour types and bit depths (the shared photos are all JPEG).
write_png_seeds() {
  python3 - "$1" <<'PY'
import struct, sys, zlib
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
def png(name, width, height, depth, color, row, extra=b""):
    raw = b"".join(b"\0" + row for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    open(f"{sys.argv[1]}/seed_{name}.png", "wb").write(data)
png("rgb8", 8, 8, 8, 2, bytes(range(24)))
png("rgba16", 4, 4, 16, 6, bytes(range(32)))
png("grey1", 16, 4, 1, 0, b"\xa5\x5a")
png("palette", 4, 4, 8, 3, bytes([0, 1, 2, 1]), chunk(b"PLTE", bytes(range(9))) + chunk(b"tRNS", b"\x00\x80"))
PY
}

# ---- 1. Format ------------------------------------------------------------------
note "1/8 format (scripts/check_format.sh, clang-format 14)"
scripts/check_format.sh 2>&1 | tee "$LOGS/format.log"
record "format (scripts/check_format.sh)" "${PIPESTATUS[0]}"

# ---- 2. Release -----------------------------------------------------------------
note "2/8 Release build with -Werror and all tests ($BUILD/)"
status=0
# CI has no GPU: there the CUDA kernels are only compiled, for the H200's sm_90 alone (the PTX
# for other GPUs, 75-virtual in the default list, nearly doubles nvcc's time).
cuda_architectures=()
[ "${CI:-}" = true ] && cuda_architectures=(-DCMAKE_CUDA_ARCHITECTURES=90-real)
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DHANDTRACK_BUILD_TESTS=ON -DHANDTRACK_WERROR=ON "${cuda_architectures[@]}" \
  >"$LOGS/configure-release.log" 2>&1 &&
  cmake --build "$BUILD" -j"$JOBS" || status=$?
release_built=$status
if [ "$status" -ne 0 ]; then
  tail -n 30 "$LOGS/configure-release.log"
  record "release build" "$status"
else
  run_ctest release "$BUILD" -j"$JOBS" -LE service
  record "release tests (ctest -LE service)" $?
fi

# ---- 2b. Service --------------------------------------------------------------------
# handtrack serve/worker through real HTTP, with kill -9 crash tests and a PostgreSQL 15 the
# tests start themselves (tests/service/, docs/SERVICE.md). One at a time: they time nothing,
# but each runs its own server and workers.
note "2b/8 service tests: serve, worker, SQLite and PostgreSQL ($BUILD/, ctest -L service)"
if [ "$release_built" -ne 0 ]; then
  record "service tests" 1
else
  run_ctest service "$BUILD" -L service
  record "service tests (ctest -L service)" $?
fi

# ---- 3. Install -------------------------------------------------------------------
# The Release build installed, then examples/consumer built against the install alone, with
# CMake and with pkg-config, and run on a real model. The installed CMake and pkg-config files
# must not point into the source tree (the internal headers of src/ are not installed). Then the
# C API: examples/c/detect.c compiled as C99 against libhandtrack.so with pkg-config handtrack-c
# (libhandtrack.so and the C++ libhandtrack.a share the folder: the C++ consumer above must still
# get the static library) and run on a shared photo.
note "3/8 install ($BUILD-install/) and examples/consumer and examples/c against it ($BUILD-consumer/)"
install_check() {
  local prefix=$build_abs-install consumer=$build_abs-consumer model=$models_dir/palm_detection_full.tflite
  [ "$release_built" -eq 0 ] || { echo "test.sh: no Release build to install"; return 1; }
  rm -rf "$prefix" "$consumer"
  cmake --install "$BUILD" --prefix "$prefix" >"$LOGS/install.log" 2>&1 ||
    { tail -n 30 "$LOGS/install.log"; return 1; }
  if grep -rlF "$PWD" "$prefix/lib/cmake/handtrack" "$prefix/lib/pkgconfig"; then
    echo "test.sh: the installed package files above name the source tree $PWD"
    return 1
  fi
  cmake -S examples/consumer -B "$consumer" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
    >"$LOGS/consumer.log" 2>&1 && cmake --build "$consumer" >>"$LOGS/consumer.log" 2>&1 ||
    { tail -n 30 "$LOGS/consumer.log"; return 1; }
  if grep -F "$PWD/src" "$consumer/CMakeFiles/consumer.dir/flags.make"; then
    echo "test.sh: the consumer is compiled with the source tree's internal headers"
    return 1
  fi
  "$consumer/consumer" "$model" || { echo "test.sh: the CMake consumer failed on $model"; return 1; }
  PKG_CONFIG_PATH=$prefix/lib/pkgconfig make -C examples/consumer OUT="$consumer" >>"$LOGS/consumer.log" 2>&1 ||
    { tail -n 30 "$LOGS/consumer.log"; return 1; }
  "$consumer/consumer-pc" "$model" || { echo "test.sh: the pkg-config consumer failed on $model"; return 1; }
  PKG_CONFIG_PATH=$prefix/lib/pkgconfig make -C examples/c OUT="$consumer" >>"$LOGS/consumer.log" 2>&1 ||
    { tail -n 30 "$LOGS/consumer.log"; return 1; }
  local photo=$shared_dir/data/hands/images/two_hands_heart_torso_01.jpg output
  if [ ! -f "$photo" ]; then
    if [ "${CI:-}" = true ]; then echo "test.sh: $photo is missing in CI"; return 1; fi
    echo "test.sh: no $photo: the C example was built but not run"
    return 0
  fi
  output=$(HANDTRACK_MODELS=$models_dir "$consumer/detect-pc" "$photo") ||
    { echo "test.sh: the C example (examples/c, pkg-config handtrack-c) failed on $photo"; return 1; }
  echo "$output"
  grep -q ': 296x296, 2 hand(s)$' <<<"$output" ||
    { echo "test.sh: the C example did not find the 2 hands of $photo"; return 1; }
}
install_check
record "install, examples/consumer (cmake, pkg-config) and examples/c (pkg-config handtrack-c)" $?

# ---- 4. Minimal core, Debug ---------------------------------------------------------
# The library without handtrack_io, the CLI, XNNPACK or CUDA needs only a C++20 compiler
# and Threads (GoogleTest for the tests); Debug keeps assert() on (no NDEBUG). With clang when
# it is installed (stages 5 and 6 need it anyway): a second compiler's -Werror next to the
# Release build's gcc, and the build in 71 s instead of gcc's 108 s on the 2-core machine.
note "4/8 minimal core, Debug, and its tests ($BUILD-core/)"
clang_compilers=()
command -v clang++ >/dev/null && clang_compilers=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++)
status=0
cmake -S . -B "$BUILD-core" "${clang_compilers[@]}" -DCMAKE_BUILD_TYPE=Debug -DHANDTRACK_BUILD_IO=OFF -DHANDTRACK_BUILD_CLI=OFF \
  -DHANDTRACK_WITH_XNNPACK=OFF -DHANDTRACK_WITH_CUDA=OFF -DHANDTRACK_BUILD_BENCH=OFF -DHANDTRACK_BUILD_TESTS=ON \
  -DHANDTRACK_WERROR=ON >"$LOGS/configure-core.log" 2>&1 || status=$?
if [ "$status" -eq 0 ] && grep -E 'Found (PNG|ZLIB|nlohmann_json)|turbojpeg|libav(format|codec)|libswscale' "$LOGS/configure-core.log"; then
  echo "test.sh: the minimal core looked for the image, video or JSON libraries (above)"
  status=1
fi
[ "$status" -eq 0 ] && { cmake --build "$BUILD-core" -j"$JOBS" || status=$?; }
if [ "$status" -ne 0 ]; then
  tail -n 30 "$LOGS/configure-core.log"
  record "minimal core Debug build" "$status"
else
  run_ctest core "$BUILD-core" -j"$JOBS"
  record "minimal core Debug tests (ctest)" $?
fi

# ---- 5. Sanitizers ------------------------------------------------------------
note "5/8 ASan+UBSan build and the untrusted-input tests ($BUILD-asan/)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
# The CUDA backend is compiled and its tests run by the Release stage; nvcc takes no host sanitizers.
# -O1 -g1 (line tables: enough for the sanitizers' stack traces), as AddressSanitizer's own
# documentation suggests: at -O2 -g this was CI's longest build (13 of its 49 minutes). clang
# when there is one (stage 6 needs it anyway): on this code it compiles the sanitized build in
# 55-65 % of gcc's time (server.cc 19.9 s against 31.4 s); the Release build stays gcc's.
cmake -S . -B "$BUILD-asan" "${clang_compilers[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHANDTRACK_SANITIZE=address,undefined \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DHANDTRACK_WITH_CUDA=OFF -DHANDTRACK_BUILD_TESTS=ON -DHANDTRACK_BUILD_BENCH=OFF >"$LOGS/configure-asan.log" 2>&1 &&
  cmake --build "$BUILD-asan" -j"$JOBS" || status=$?
if [ "$status" -ne 0 ]; then
  tail -n 30 "$LOGS/configure-asan.log"
  record "sanitizer build" "$status"
else
  # "sanitize"-labelled tests always; the rest too unless labelled "slow" (too slow under ASan).
  # The service API test is there for its parsers and routes: two shared videos as sessions
  # (the one it serves ranges of and the one with the overlay) instead of all eight, whose
  # tracking under ASan made it 4.5 of the stage's 6 test minutes; Release runs all eight.
  HANDTRACK_SERVICE_VIDEOS=hand_enters_thumbs_up_face_01.mp4,two_hands_zoom_gesture_with_overlays_01.mp4 \
    run_ctest asan "$BUILD-asan" -j"$JOBS" -LE slow
  record "sanitizer tests (ctest -LE slow)" $?
fi

# ---- 6. Fuzzing -----------------------------------------------------------------
note "6/8 libFuzzer, ${FUZZ_SECONDS}s per target ($BUILD-fuzz/)"
if ! command -v clang++ >/dev/null; then
  echo "test.sh: clang++ is not installed: skipping fuzzing"
  results+=("SKIP  fuzzing (no clang++)")
else
  status=0
  # The fuzzed parsers need only the reference backend behind the interpreter (no XNNPACK or
  # wasm kernels to compile), -O1 and line tables: this build had become CI's slowest.
  CC=clang CXX=clang++ cmake -S . -B "$BUILD-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHANDTRACK_FUZZ=ON \
    -DHANDTRACK_SANITIZE=address,undefined -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link \
    -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link -DHANDTRACK_WITH_CUDA=OFF -DHANDTRACK_BUILD_TESTS=OFF -DHANDTRACK_BUILD_BENCH=OFF \
    -DHANDTRACK_WITH_XNNPACK=OFF -DHANDTRACK_WITH_WASM_BACKEND=OFF \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
    >"$LOGS/configure-fuzz.log" 2>&1 || status=$?
  targets=()
  if [ "$status" -eq 0 ]; then
    mapfile -t targets < <(cmake --build "$BUILD-fuzz" --target help | sed -n 's/^\.\.\. \([a-z0-9_]*_fuzz\)$/\1/p')
    [ ${#targets[@]} -gt 0 ] && cmake --build "$BUILD-fuzz" -j"$JOBS" --target "${targets[@]}" || status=$?
  else
    tail -n 30 "$LOGS/configure-fuzz.log"
  fi
  record "fuzz build (${targets[*]:-no targets})" "$status"
  # One target: seeds, then libFuzzer; its exit status goes to $LOGS/fuzz-TARGET.status.
  fuzz_target() {
    local target=$1 corpus=$BUILD-fuzz/corpus/$1 artifacts=$BUILD-fuzz/artifacts max_len=()
    mkdir -p "$corpus" "$artifacts"
    # Seeds by what the target reads; libFuzzer adds what it finds to the copy.
    case $target in
      *tflite*|*model*) cp -n "$models_dir"/*.tflite "$corpus/" 2>/dev/null; max_len=(-max_len=6000000) ;;
      *serve*)  # a selector byte, then a query string, a Range header, a live frame, a token, an id, a path
        printf '\000model=lite&num_hands=2&smoothing=on&name=clip%%20one.mp4&overlay=true' >"$corpus/seed_options"
        printf '\001bytes=100-199' >"$corpus/seed_range"
        printf '\002RGBA\002\000\000\000\001\000\000\000\041\000\000\000\000\000\000\000%s' 12345678 >"$corpus/seed_frame"
        printf '\003Bearer abc\nabc' >"$corpus/seed_token"
        printf '\0040123456789abcdef0123456789abcdef' >"$corpus/seed_id"
        printf '\005/engine/models/hand_landmark_full.tflite' >"$corpus/seed_static" ;;
      *image*)
        cp -n "$shared_dir"/data/hands/images/*.jpg "$corpus/" 2>/dev/null
        write_png_seeds "$corpus" ;;
    esac
    echo "test.sh: fuzzing $target for ${FUZZ_SECONDS}s ($(find "$corpus" -type f | wc -l) inputs in the corpus)"
    "$BUILD-fuzz/fuzz/$target" -max_total_time="$FUZZ_SECONDS" -timeout=30 -rss_limit_mb=2560 \
      -artifact_prefix="$artifacts/$target-" -print_final_stats=1 "${max_len[@]}" "$corpus" \
      >"$LOGS/fuzz-$target.log" 2>&1
    echo $? >"$LOGS/fuzz-$target.status"
  }
  # libFuzzer runs on one core: $JOBS targets at a time, each for its full FUZZ_SECONDS.
  for ((first = 0; first < ${#targets[@]}; first += JOBS)); do
    for target in "${targets[@]:first:JOBS}"; do
      rm -f "$LOGS/fuzz-$target.status"
      fuzz_target "$target" &
    done
    wait
  done
  for target in "${targets[@]}"; do
    status=$(cat "$LOGS/fuzz-$target.status" 2>/dev/null || echo 1)
    echo "test.sh: $target:"
    grep -E "^(stat::number_of_executed_units|Done |$target: )" "$LOGS/fuzz-$target.log" | tail -n 3
    [ "$status" -eq 0 ] || tail -n 40 "$LOGS/fuzz-$target.log"
    record "fuzz $target" "$status"
  done
fi

# ---- 7. Browser -----------------------------------------------------------------
# Both WebAssembly modules, the package and the web app (scripts/build_web.sh installs
# Emscripten, Chromium and the npm packages when missing), the wasm backend's op and golden
# tensor tests under node for each module, then the package and the web app in headless Chromium.
note "7/8 browser: scripts/build_web.sh, the modules' tests under node, web/tests/run.sh and web/app/tests/run.sh in Chromium"
status=0
env WEB_BUILD="$BUILD-wasm" JOBS="$JOBS" scripts/build_web.sh >"$LOGS/build-web.log" 2>&1 || status=$?
[ "$status" -eq 0 ] || tail -n 40 "$LOGS/build-web.log"
record "web build (scripts/build_web.sh)" "$status"
if [ "$status" -eq 0 ]; then
  # handtrack_st is linked in the gpu folder, from the objects its tests run on.
  for module in mt gpu; do
    run_ctest "wasm-$module" "$BUILD-wasm-$module"
    record "wasm module $module under node (ctest)" $?
  done
  # The browser's golden video test on the first 64 frames of each shared video (every video,
  # and every hand that enters or leaves early; 45 % of the frames: it was the stage's longest
  # test at 250 s). HANDTRACK_WEB_VIDEO_FRAMES= (empty) runs every frame.
  HANDTRACK_WEB_VIDEO_FRAMES=${HANDTRACK_WEB_VIDEO_FRAMES-64} HANDTRACK_GPU_BUILD="$BUILD-wasm-gpu" web/tests/run.sh 2>&1 |
    tee "$LOGS/web-tests.log"
  record "browser tests in Chromium (web/tests/run.sh)" "${PIPESTATUS[0]}"
  # The web app (docs/WEBAPP.md) against the Release build's `handtrack serve`.
  if [ "$release_built" -ne 0 ]; then
    record "web app tests (no Release build)" 1
  else
    HANDTRACK_CLI="$build_abs/bin/handtrack" web/app/tests/run.sh 2>&1 | tee "$LOGS/webapp-tests.log"
    record "web app tests in Chromium (web/app/tests/run.sh)" "${PIPESTATUS[0]}"
  fi
fi

# ---- 8. Python ------------------------------------------------------------------
# The wheel built from the Release build's CMake folder (only the module compiles there) and
# installed into a virtual environment of Debian's Python, then pytest in it: agreement with
# MediaPipe and the CLI, MediaPipe scripts run with their import changed, bad input, threads,
# LIVE_STREAM, track(), and the FastAPI example under a real uvicorn.
note "8/8 Python: scripts/build_python.sh $BUILD-venv, pytest bindings/python/tests"
if [ "$release_built" -ne 0 ]; then
  record "python module" 1
else
  status=0
  env HANDTRACK_CMAKE_BUILD_DIR="$build_abs" JOBS="$JOBS" scripts/build_python.sh "$BUILD-venv" \
    >"$LOGS/build-python.log" 2>&1 || status=$?
  [ "$status" -eq 0 ] || tail -n 40 "$LOGS/build-python.log"
  record "python wheel (scripts/build_python.sh)" "$status"
  if [ "$status" -eq 0 ]; then
    PYTHONDONTWRITEBYTECODE=1 HANDTRACK_CLI="$build_abs/bin/handtrack" "$BUILD-venv/bin/python" -m pytest -p no:cacheprovider -q \
      bindings/python/tests 2>&1 | tee "$LOGS/pytest.log"
    record "python tests (pytest bindings/python/tests)" "${PIPESTATUS[0]}"
  fi
fi

# ---- Summary ----------------------------------------------------------------------
note "summary"
for log in "$LOGS"/ctest-*.log; do
  [ -f "$log" ] || continue
  echo "$(basename "$log" .log):"
  grep -E 'tests passed|Total Test time|^[[:space:]]+[0-9]+ - ' "$log" | sed 's/^/  /'
done
printf '%s\n' "${results[@]}"
if [ "$failed" -ne 0 ]; then
  echo "test.sh: FAILED"
  exit 1
fi
echo "test.sh: all passed"
