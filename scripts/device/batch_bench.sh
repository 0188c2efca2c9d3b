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
  cmake --build "$build" -j2 --target cuda_model_timing
  rm -rf "$BUNDLE" && mkdir -p "$BUNDLE/bin"
  cp "$(find "$build" -maxdepth 2 -type f -name cuda_model_timing | head -1)" "$BUNDLE/bin/"
  strip "$BUNDLE/bin/cuda_model_timing"
  mkdir -p .models/peers
  local model
  for model in "${MODELS[@]}"; do cp "${HANDTRACK_MODELS:-$HOME/.cache/handtrack/models}/$model.tflite" .models/; done
  cp "${HANDTRACK_SHARED:-$ROOT/../shared}"/peers/{tflite2torch,tflite_fb}.py .models/peers/
  du -sh "$BUNDLE" .models
}

run() {
  OUT=${OUT:-/tmp/batch_bench}
  mkdir -p "$OUT"
  export HANDTRACK_MODELS=$ROOT/.models
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  local model
  for model in "${MODELS[@]}"; do
    echo "== handtrack cuda $model"
    timeout 120 "$BUNDLE/bin/cuda_model_timing" --delegate cuda --model "$model" --batch 1,32,256 \
      --precision fp32,fp16 --warmup 20 --iters 200 2>&1 | tee -a "$OUT/handtrack.log"
    echo "== torch $model"
    timeout 150 python3 "$ROOT/.models/peers/tflite2torch.py" bench "$ROOT/.models/$model.tflite" \
      --batch 1,32,256 --dtype fp32,fp16 --channels-last --cuda-graphs 2>&1 | tee -a "$OUT/torch.log"
  done
}

case "${1:-}" in
  bundle) bundle ;;
  run) run ;;
  *) echo "usage: $0 bundle|run" >&2; exit 2 ;;
esac
