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
#             carry [".models", "build-cuda/bundle.tar.xz"], timeout_s 600
#   scripts/device/cuda_check.sh compare DIR   # here, on what came back: compare.py on DIR/detect_*.json
#
# `bundle` also decodes the shared photos with handtrack's own decoders into
# .models/images/*.ppm (raw_image_pack), and `run` runs HandLandmarker on them
# there (cuda_image_detect: IMAGE mode, num_hands 2, delegate cuda, fp32 and
# fp16), writing detect_<precision>.json in the golden schema, and times whole
# Detect calls on count_one_index_up_webcam_01.jpg.
#
# The bundled binaries need only libc and libstdc++ (gtest and cudart are
# linked statically); the timings come from tests/cuda_model_timing.cc, as the
# CLI links image and video libraries the device machine lacks. The op table
# runs in backend_op_test (BackendOp/cuda/fp32.* and BackendOp/cuda/fp16.*);
# cuda_backend_test has the CUDA backend's own tests. The library reads no
# environment variables: the unfused runs pass --cuda-setting cuda.fusion=0,
# which these binaries put into the backend settings they use.
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
  local binaries=(backend_op_test cuda_backend_test golden_tensors_test runtime_test cuda_model_timing
    cuda_image_detect)
  cmake --build "$build" -j2 --target "${binaries[@]}" raw_image_pack
  rm -rf "$BUNDLE" && mkdir -p "$BUNDLE/bin"
  for binary in "${binaries[@]}"; do
    cp "$(find "$build" -maxdepth 2 -type f -name "$binary" | head -1)" "$BUNDLE/bin/"
    strip "$BUNDLE/bin/$binary"  # the carry limit is 64 MiB in all
  done
  mkdir -p .models/shared/golden/tensors
  cp "${HANDTRACK_MODELS:-$HOME/.cache/handtrack/models}"/*.tflite .models/
  cp "${HANDTRACK_SHARED:-$ROOT/../shared}"/golden/tensors/*.tdmp .models/shared/golden/tensors/
  # The PyTorch peer (../shared/peers), timed in the same call for a side-by-side table.
  mkdir -p .models/peers && cp "${HANDTRACK_SHARED:-$ROOT/../shared}"/peers/{tflite2torch,tflite_fb}.py .models/peers/
  rm -rf .models/images
  "$(find "$build" -maxdepth 2 -type f -name raw_image_pack | head -1)" .models/images \
    "${HANDTRACK_SHARED:-$ROOT/../shared}"/data/hands/images/*
  # The carry limit is 64 MiB in all: the photos travel compressed.
  tar -C .models -czf .models/images.tar.gz images && rm -rf .models/images
  # The binaries (about 7 MB each, statically linked) travel compressed too: 35 MB -> 3 MB.
  tar -C "$build" -cJf "$build/bundle.tar.xz" bundle
  du -sh "$build/bundle.tar.xz" .models
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
  [[ -d $BUNDLE ]] || tar -C "$ROOT/build-cuda" -xJf "$ROOT/build-cuda/bundle.tar.xz"
  local bin=$BUNDLE/bin
  # The profilers may be off the PATH.
  export PATH=$PATH:/usr/local/cuda/bin
  local ncu_dir
  for ncu_dir in /opt/nvidia/nsight-compute/*/; do PATH=$PATH:$ncu_dir; done
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm,temperature.gpu --format=csv

  # Every op case on cuda (fp32 and fp16) and on the fake CPU backend, against the reference.
  step backend_op_test 150 "$bin/backend_op_test" --gtest_brief=1
  step cuda_backend_test 150 "$bin/cuda_backend_test" --gtest_brief=1
  step golden_tensors_test 90 "$bin/golden_tensors_test" --gtest_brief=1
  step runtime_test 45 "$bin/runtime_test" --gtest_brief=1
  # Every node its own kernel: the same checks.
  step unfused_backend_op_test 90 "$bin/backend_op_test" --gtest_brief=1 --cuda-setting cuda.fusion=0 \
    --gtest_filter='BackendOp/cuda/*'
  step unfused_cuda_backend_test 90 "$bin/cuda_backend_test" --gtest_brief=1 --cuda-setting cuda.fusion=0
  # Median of many runs of ModelRunner::Run: host copies in, graph replay, host copies out.
  step timing_fused 90 "$bin/cuda_model_timing" --warmup 100 --iters 3000
  step timing_unfused 90 "$bin/cuda_model_timing" --warmup 100 --iters 3000 --cuda-setting cuda.fusion=0
  step timing_fused_repeat 90 "$bin/cuda_model_timing" --warmup 100 --iters 3000
  # The photos through the whole pipeline, for compare.py (run here afterwards), and
  # whole Detect calls on a 640x480 one-hand photo, batch 1.
  tar -C "$ROOT/.models" -xzf "$ROOT/.models/images.tar.gz"
  local precision
  for precision in fp32 fp16; do
    step "detect_$precision" 120 "$bin/cuda_image_detect" --images "$ROOT/.models/images" \
      --output "$OUT/detect_$precision.json" --delegate cuda --precision "$precision" --num-hands 2 \
      --time "$ROOT/.models/images/count_one_index_up_webcam_01.jpg.ppm" --warmup 100 --iters 2000
  done
  # Out-of-bounds and uninitialized accesses of every kernel; shared-memory races of the GEMM.
  # PyTorch (cuDNN, channels-last, CUDA graphs) on the same GPU, frames per second.
  local model
  for model in hand_landmark_full palm_detection_full; do
    # Batched: frames/s with host copies (ModelRunner::Run) and of the kernels alone (TimeDeviceKernels,
    # inputs resident on the device as the peer's are), next to the peer in the same call.
    step "batch_$model" 120 "$bin/cuda_model_timing" --delegate cuda --model "$model" --batch 1,32,256 \
      --precision fp32,fp16 --warmup 20 --iters 200
    step "torch_$model" 120 python3 "$ROOT/.models/peers/tflite2torch.py" bench "$ROOT/.models/$model.tflite" \
      --batch 1,32,256 --dtype fp32,fp16 --channels-last --cuda-graphs
  done
  step memcheck_ops 120 compute-sanitizer --tool memcheck --leak-check no --error-exitcode 9 \
    "$bin/backend_op_test" --gtest_brief=1 --gtest_filter='BackendOp/cuda/*'
  step memcheck 120 compute-sanitizer --tool memcheck --leak-check no --error-exitcode 9 \
    "$bin/cuda_backend_test" --gtest_brief=1 \
    --gtest_filter='HandModels/*:CudaBackendTest.*:LargeBatch/*in8x56x56x24*'
  step racecheck_ops 45 compute-sanitizer --tool racecheck --error-exitcode 9 "$bin/backend_op_test" \
    --gtest_brief=1 --gtest_filter='BackendOp/cuda/fp32.*fully_connected*:BackendOp/cuda/fp32.*conv2d_1x1*'
  step racecheck 45 compute-sanitizer --tool racecheck --error-exitcode 9 "$bin/cuda_backend_test" \
    --gtest_brief=1 --gtest_filter='CudaBackendTest.FusedBlocks*'
  # Per-kernel GPU time at the clocks and caches the runs see (one run of each model, in launch order).
  step ncu 90 ncu --metrics gpu__time_duration.sum --csv --print-units base --cache-control none \
    --clock-control none "$bin/cuda_model_timing" --warmup 0 --iters 1

  echo "== failures"
  grep -h -E "FAILED|Failure|error" "$OUT"/*test.log | head -40
  grep -h -E "ERROR SUMMARY" "$OUT"/memcheck*.log "$OUT"/racecheck*.log
  echo "== timing (ms)"
  cat "$OUT"/timing_fused.log "$OUT"/timing_unfused.log "$OUT"/timing_fused_repeat.log
  grep -h "^detect " "$OUT"/detect_*.log
  cat "$OUT"/batch_*.log "$OUT"/torch_*.log
  echo "== summary"
  printf '%s\n' "${SUMMARY[@]}"
  # At most 8 files come back: one with every log but the profiler's, the profiler's, the detect JSONs.
  local log
  for log in "$OUT"/*.log; do
    [[ $log == */ncu.log ]] && continue
    printf '=== %s\n' "$(basename "$log")"
    cat "$log"
    rm "$log"
  done >"$OUT/logs.txt"
}

# compare DIR: the core issue's bounds on each detect_<precision>.json that came back.
compare() {
  local shared=${HANDTRACK_SHARED:-$ROOT/../shared} json rc=0
  for json in "$1"/detect_*.json; do
    echo "== $(basename "$json")"
    python3 "$shared/tools/compare.py" "$shared/golden/images/tasks_full.json" "$json" \
      --require 'count_agreement>=0.95' --require 'recall>=0.97' --require 'precision>=0.97' \
      --require 'ne_median<=0.01' --require 'ne_p90<=0.03' --require 'handedness_agreement>=0.97' \
      --require 'world_err_median_mm<=3' || rc=1
  done
  return $rc
}

case "${1:-}" in
  bundle) bundle ;;
  run) run ;;
  compare) compare "$2" ;;
  *)
    echo "usage: $0 bundle|run|compare DIR" >&2
    exit 2
    ;;
esac
