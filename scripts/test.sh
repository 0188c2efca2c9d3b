#!/usr/bin/env bash
# Runs every test of handtrack, in three stages:
#   1. Release build with the tests ($BUILD/), all of ctest;
#   2. RelWithDebInfo build under AddressSanitizer + UndefinedBehaviorSanitizer
#      ($BUILD-asan/), the tests of untrusted input: ctest -L sanitize (image and model
#      readers, the CLI's bad-input tour) plus every other test not labelled "slow";
#   3. with clang, a short libFuzzer run of every fuzz target ($BUILD-fuzz/), seeded
#      with the real models and the shared photos.
# Installs missing dependencies (scripts/setup.sh --deps-only) and fetches the models
# first. Exits non-zero when any stage fails; every stage runs regardless.
#
#   scripts/test.sh
# Environment knobs: JOBS (2), FUZZ_SECONDS (45), BUILD (build: the build folders are
# $BUILD, $BUILD-asan, $BUILD-fuzz and the logs $BUILD-logs).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
readonly JOBS=${JOBS:-2}
readonly FUZZ_SECONDS=${FUZZ_SECONDS:-45}
readonly BUILD=${BUILD:-build}
readonly LOGS=$BUILD-logs
mkdir -p "$LOGS"
results=()
failed=0

note() { echo; echo "==== test.sh: $*"; }
record() {  # record STAGE STATUS
  if [ "$2" -eq 0 ]; then results+=("PASS  $1"); else results+=("FAIL  $1 (exit $2)"); failed=1; fi
}

# Runs ctest in build dir $1 with extra arguments, keeping its log for the summary.
run_ctest() {
  local dir=$1 log
  log=$LOGS/ctest-$(basename "$1").log
  shift
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

# ---- 1. Release ---------------------------------------------------------------
note "1/3 Release build and all tests ($BUILD/)"
status=0
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DHANDTRACK_BUILD_TESTS=ON >"$LOGS/configure-release.log" 2>&1 &&
  cmake --build "$BUILD" -j"$JOBS" || status=$?
if [ "$status" -ne 0 ]; then
  tail -n 30 "$LOGS/configure-release.log"
  record "release build" "$status"
else
  run_ctest "$BUILD" -j"$JOBS"
  record "release tests (ctest)" $?
fi

# ---- 2. Sanitizers ------------------------------------------------------------
note "2/3 ASan+UBSan build and the untrusted-input tests ($BUILD-asan/)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
# The CUDA backend is compiled and its tests run by the Release stage; nvcc takes no host sanitizers.
cmake -S . -B "$BUILD-asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHANDTRACK_SANITIZE=address,undefined \
  -DHANDTRACK_WITH_CUDA=OFF -DHANDTRACK_BUILD_TESTS=ON -DHANDTRACK_BUILD_BENCH=OFF >"$LOGS/configure-asan.log" 2>&1 &&
  cmake --build "$BUILD-asan" -j"$JOBS" || status=$?
if [ "$status" -ne 0 ]; then
  tail -n 30 "$LOGS/configure-asan.log"
  record "sanitizer build" "$status"
else
  # "sanitize"-labelled tests always; the rest too unless labelled "slow" (too slow under ASan).
  run_ctest "$BUILD-asan" -j"$JOBS" -LE slow
  record "sanitizer tests (ctest -LE slow)" $?
fi

# ---- 3. Fuzzing -----------------------------------------------------------------
note "3/3 libFuzzer, ${FUZZ_SECONDS}s per target ($BUILD-fuzz/)"
if ! command -v clang++ >/dev/null; then
  echo "test.sh: clang++ is not installed: skipping fuzzing"
  results+=("SKIP  fuzzing (no clang++)")
else
  status=0
  CC=clang CXX=clang++ cmake -S . -B "$BUILD-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHANDTRACK_FUZZ=ON \
    -DHANDTRACK_SANITIZE=address,undefined -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link \
    -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link -DHANDTRACK_WITH_CUDA=OFF -DHANDTRACK_BUILD_TESTS=OFF -DHANDTRACK_BUILD_BENCH=OFF \
    >"$LOGS/configure-fuzz.log" 2>&1 || status=$?
  targets=()
  if [ "$status" -eq 0 ]; then
    mapfile -t targets < <(cmake --build "$BUILD-fuzz" --target help | sed -n 's/^\.\.\. \([a-z0-9_]*_fuzz\)$/\1/p')
    [ ${#targets[@]} -gt 0 ] && cmake --build "$BUILD-fuzz" -j"$JOBS" --target "${targets[@]}" || status=$?
  else
    tail -n 30 "$LOGS/configure-fuzz.log"
  fi
  record "fuzz build (${targets[*]:-no targets})" "$status"
  for target in "${targets[@]}"; do
    corpus=$BUILD-fuzz/corpus/$target
    artifacts=$BUILD-fuzz/artifacts
    mkdir -p "$corpus" "$artifacts"
    # Seeds by what the target reads; libFuzzer adds what it finds to the copy.
    max_len=()
    case $target in
      *tflite*|*model*) cp -n "$models_dir"/*.tflite "$corpus/" 2>/dev/null; max_len=(-max_len=6000000) ;;
      *image*)
        cp -n "$shared_dir"/data/hands/images/*.jpg "$corpus/" 2>/dev/null
        write_png_seeds "$corpus" ;;
    esac
    echo "test.sh: fuzzing $target for ${FUZZ_SECONDS}s ($(find "$corpus" -type f | wc -l) inputs in the corpus)"
    "$BUILD-fuzz/fuzz/$target" -max_total_time="$FUZZ_SECONDS" -timeout=30 -rss_limit_mb=2560 \
      -artifact_prefix="$artifacts/$target-" -print_final_stats=1 "${max_len[@]}" "$corpus" \
      >"$LOGS/fuzz-$target.log" 2>&1
    status=$?
    grep -E '^(stat::number_of_executed_units|Done )' "$LOGS/fuzz-$target.log" | tail -n 2
    [ "$status" -eq 0 ] || tail -n 40 "$LOGS/fuzz-$target.log"
    record "fuzz $target" "$status"
  done
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
