#!/usr/bin/env bash
# The CUDA backend's checks and timings on the lent GPU machine, in one call.
#
# The device machine has nvcc but not the project's -dev packages (gtest,
# libpng, TurboJPEG, FFmpeg, nlohmann-json), so everything is built here (a GPU is not
# needed to compile; the kernels are sm_90 machine code plus compute_75 PTX)
# and carried:
#
#   scripts/device/cuda_check.sh bundle   # here: build build-cuda, fill build-cuda/bundle and .models
#   run tool: command "bash scripts/device/cuda_check.sh run",
#             carry [".models", "build-cuda/bundle"], timeout_s 600
#
# The bundled binaries need only libc and libstdc++ (gtest and cudart are
# linked statically); the timings come from tests/cuda_model_timing.cc, as the
# CLI links image and video libraries the device machine lacks.
#
# `run` writes every log under $OUT and prints a short summary last.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUNDLE=$ROOT/build-cuda/bundle

bundle() {
  set -e
  local build=$ROOT/build-cuda
  # No XNNPACK: the device machine lacks libxnnpack, and the CPU backends are not what is measured there.
  cmake -S "$ROOT" -B "$build" -DHANDTRACK_WITH_XNNPACK=OFF -DHANDTRACK_BUILD_BENCH=OFF >/dev/null
  local binaries=(cuda_backend_test golden_tensors_test runtime_test cuda_model_timing)
  cmake --build "$build" -j2 --target "${binaries[@]}"
  rm -rf "$BUNDLE" && mkdir -p "$BUNDLE/bin"
  for binary in "${binaries[@]}"; do
    cp "$(find "$build" -maxdepth 2 -type f -name "$binary" | head -1)" "$BUNDLE/bin/"
  done
  mkdir -p .models/shared/golden/tensors
  cp "${HANDTRACK_MODELS:-$HOME/.cache/handtrack/models}"/*.tflite .models/
  cp "${HANDTRACK_SHARED:-$ROOT/../shared}"/golden/tensors/*.tdmp .models/shared/golden/tensors/
  du -sh "$BUNDLE" .models
}

SUMMARY=()
# step NAME SECONDS COMMAND...: runs with a time limit, logs to $OUT/NAME.log, records the result.
step() {
  local name=$1 seconds=$2
  shift 2
  local start=$SECONDS
  timeout "$seconds" "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  local last_line
  last_line=$(tail -n 1 "$OUT/$name.log")
  SUMMARY+=("$(printf '%-22s rc=%-3s %4ss  %s' "$name" "$rc" "$((SECONDS - start))" "$last_line")")
  return $rc
}

run() {
  OUT=${OUT:-/tmp/cuda_check}
  mkdir -p "$OUT"
  export HANDTRACK_MODELS=$ROOT/.models HANDTRACK_SHARED=$ROOT/.models/shared
  local bin=$BUNDLE/bin
  # The profilers may be off the PATH.
  export PATH=$PATH:/usr/local/cuda/bin
  local ncu_dir
  for ncu_dir in /opt/nvidia/nsight-compute/*/; do PATH=$PATH:$ncu_dir; done
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm,temperature.gpu --format=csv

  step cuda_backend_test 150 "$bin/cuda_backend_test" --gtest_brief=1
  step golden_tensors_test 90 "$bin/golden_tensors_test" --gtest_brief=1
  step runtime_test 45 "$bin/runtime_test" --gtest_brief=1
  # Every node its own kernel: the same checks.
  HANDTRACK_CUDA_FUSION=0 step unfused_cuda_backend_test 90 "$bin/cuda_backend_test" --gtest_brief=1
  # Median of many runs of ModelRunner::Run: host copies in, graph replay, host copies out.
  step timing_fused 90 "$bin/cuda_model_timing" --warmup 100 --iters 3000
  HANDTRACK_CUDA_FUSION=0 step timing_unfused 90 "$bin/cuda_model_timing" --warmup 100 --iters 3000
  step timing_fused_repeat 90 "$bin/cuda_model_timing" --warmup 100 --iters 3000
  # Out-of-bounds and uninitialized accesses of every kernel; shared-memory races of the GEMM.
  step memcheck 100 compute-sanitizer --tool memcheck --leak-check no --error-exitcode 9 \
    "$bin/cuda_backend_test" --gtest_brief=1 --gtest_filter='AllOps/*:HandModels/*:CudaBackendTest.*'
  step racecheck 60 compute-sanitizer --tool racecheck --error-exitcode 9 "$bin/cuda_backend_test" \
    --gtest_brief=1 --gtest_filter='CudaBackendTest.FusedBlocks*:AllOps/*fully_connected*:AllOps/*conv2d_1x1*'
  # Per-kernel GPU time at the clocks and caches the runs see (one run of each model, in launch order).
  step ncu 90 ncu --metrics gpu__time_duration.sum --csv --print-units base --cache-control none \
    --clock-control none "$bin/cuda_model_timing" --warmup 0 --iters 1

  echo "== failures"
  grep -h -E "FAILED|Failure|error" "$OUT"/*test.log | head -40
  grep -h -E "ERROR SUMMARY" "$OUT"/memcheck.log "$OUT"/racecheck.log
  echo "== timing (ms)"
  cat "$OUT"/timing_fused.log "$OUT"/timing_unfused.log "$OUT"/timing_fused_repeat.log
  echo "== summary"
  printf '%s\n' "${SUMMARY[@]}"
  # At most 8 files come back: one with every log but the profiler's, and the profiler's.
  local log
  for log in "$OUT"/*.log; do
    [[ $log == */ncu.log ]] && continue
    printf '=== %s\n' "$(basename "$log")"
    cat "$log"
    rm "$log"
  done >"$OUT/logs.txt"
}

case "${1:-}" in
  bundle) bundle ;;
  run) run ;;
  *)
    echo "usage: $0 bundle|run" >&2
    exit 2
    ;;
esac
