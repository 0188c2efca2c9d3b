#!/usr/bin/env bash
# Batched inference on the lent GPU machine: hand_landmark_full and
# palm_detection_full on cuda at batch 1/32/256, fp32 and fp16
# (ModelRunner::Options::batch, timed by tests/cuda_model_timing.cc), next to
# the PyTorch peer (tflite2torch.py, cuDNN, channels-last, CUDA graphs) at the
# same batches, in one call:
#
#   scripts/device/batch_bench.sh bundle   # here: build cuda_model_timing into build-cuda/batch_bundle, fill .models
#   run tool: command "bash scripts/device/batch_bench.sh run",
#             carry [".models", "build-cuda/batch_bundle"], timeout_s 400
#
# cuda_model_timing links gtest-free and cudart statically: it needs only libc
# and libstdc++ on the device machine.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUNDLE=$ROOT/build-cuda/batch_bundle
MODELS=(hand_landmark_full palm_detection_full)

bundle() {
  set -e
  local build=$ROOT/build-cuda
  cmake -S "$ROOT" -B "$build" -DHANDTRACK_WITH_XNNPACK=OFF -DHANDTRACK_BUILD_BENCH=OFF >/dev/null
  local binaries=(cuda_model_timing backend_op_test cuda_backend_test golden_tensors_test)
  cmake --build "$build" -j2 --target "${binaries[@]}"
  rm -rf "$BUNDLE" && mkdir -p "$BUNDLE/bin"
  local binary
  for binary in "${binaries[@]}"; do
    cp "$(find "$build" -maxdepth 2 -type f -name "$binary" | head -1)" "$BUNDLE/bin/"
    strip "$BUNDLE/bin/$binary"
  done
  mkdir -p .models/shared/golden/tensors
  cp "${HANDTRACK_SHARED:-$ROOT/../shared}"/golden/tensors/*.tdmp .models/shared/golden/tensors/
  mkdir -p .models/peers
  local model
  for model in "${MODELS[@]}"; do cp "${HANDTRACK_MODELS:-$HOME/.cache/handtrack/models}/$model.tflite" .models/; done
  cp "${HANDTRACK_SHARED:-$ROOT/../shared}"/peers/{tflite2torch,tflite_fb}.py .models/peers/
  du -sh "$BUNDLE" .models
}

run() {
  OUT=${OUT:-/tmp/batch_bench}
  mkdir -p "$OUT"
  export HANDTRACK_MODELS=$ROOT/.models HANDTRACK_SHARED=$ROOT/.models/shared
  export PATH=$PATH:/usr/local/cuda/bin
  local ncu_dir
  for ncu_dir in /opt/nvidia/nsight-compute/*/; do PATH=$PATH:$ncu_dir; done
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  # Correctness first: the op table on cuda (backend_op_test), the large-batch kernels and the
  # models against TFLite, fp32 and fp16.
  timeout 100 "$BUNDLE/bin/backend_op_test" --gtest_brief=1 --gtest_filter='BackendOp/cuda/*' 2>&1 | tail -n 20 |
    tee "$OUT/tests.log"
  timeout 150 "$BUNDLE/bin/cuda_backend_test" --gtest_brief=1 \
    --gtest_filter='LargeBatch/*:HandModels/*:CudaBackendTest.*' 2>&1 | tail -n 40 | tee -a "$OUT/tests.log"
  timeout 90 "$BUNDLE/bin/golden_tensors_test" --gtest_brief=1 2>&1 | tail -n 5 | tee -a "$OUT/tests.log"
  local model
  for model in "${MODELS[@]}"; do
    echo "== handtrack cuda $model"
    timeout 120 "$BUNDLE/bin/cuda_model_timing" --delegate cuda --model "$model" --batch 1,32,256 \
      --precision fp32,fp16 --warmup 20 --iters 200 2>&1 | tee -a "$OUT/handtrack.log"
    echo "== torch $model"
    timeout 150 python3 "$ROOT/.models/peers/tflite2torch.py" bench "$ROOT/.models/$model.tflite" \
      --batch 1,32,256 --dtype fp32,fp16 --channels-last --cuda-graphs 2>&1 | tee -a "$OUT/torch.log"
  done
  # Per-kernel time of one batch-256 fp16 run of each model (profile: ncu serializes kernels).
  if [[ ${PROFILE:-1} == 1 ]]; then
    for model in "${MODELS[@]}"; do
      timeout 150 ncu --metrics gpu__time_duration.sum --csv --print-units base --cache-control none \
        --clock-control none "$BUNDLE/bin/cuda_model_timing" --delegate cuda --model "$model" --batch 256 \
        --precision fp16 --warmup 0 --iters 1 >"$OUT/ncu_$model.csv" 2>&1
      echo "== ncu $model: $(grep -c gpu__time_duration "$OUT/ncu_$model.csv") kernels"
    done
  fi
}

case "${1:-}" in
  bundle) bundle ;;
  run) run ;;
  *) echo "usage: $0 bundle|run" >&2; exit 2 ;;
esac
