#!/usr/bin/env bash
# The CUDA backend's tests and the batch-1 Detect timing on the lent GPU machine, small
# enough to travel in the same call as track_check.sh's packages (the carry limit is
# 64 MiB; those are 47 MB), so that one call unpacks them and checks the kernels:
#
#   scripts/device/gpu_quick_check.sh bundle     # here: .carry/quick (binaries, models, tensors, a photo)
#   run tool: command "bash scripts/device/track_check.sh unpack && bash scripts/device/gpu_quick_check.sh run",
#             carry [".carry/track-libs", ".carry/quick"]
#   then, while the machine is still held: track_check.sh run (carry [".carry/track"])
#
# `run`: cuda_backend_test (fused, then unfused), golden_tensors_test, cuda_multi_engine_test
# (device selection, ListGpus, EnginePool take-over with two engines on GPU 0), and whole IMAGE-mode
# Detect calls on a 640x480 one-hand photo (cuda_image_detect --time, median of 2000 after
# 100 warm-up calls) with pre-processing on the GPU (default) and on the host
# (--cuda-setting cuda.preprocess=0), fp32 and fp16. Logs in $OUT; all that `run` prints also
# in $OUT/0_report.txt.
#
# AB_SETTING=KEY (a cuda backend switch, e.g. cuda.fusion; several: KEY1,KEY2) adds an A/B of
# each switch in turn in the same call: the full models' kernels and runs (cuda_model_timing at
# the batches of AB_BATCHES, default 1,8; in AB_PRECISIONS, default fp32,fp16) and the Detect timing, with
# KEY=1 and KEY=0 alternately, twice each. KEY=V1/V2/... (e.g. cuda.split_min_k=64/256/1024)
# takes those values in turn instead of 1 and 0.
#
# PEER_DIR=DIR (holding ../shared/peers' tflite2torch.py and tflite_fb.py, e.g. .carry/peer2,
# carried too) adds the kernels against the torch.compile peer, same call: cuda_model_timing
# at batch 1 and 256 in fp16, the peer's `bench MODEL --batch 1,256 --dtype fp16
# --channels-last --cuda-graphs --compile`, then cuda_model_timing again, for both full models.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
QUICK=$ROOT/.carry/quick
PHOTO=count_one_index_up_webcam_01.jpg

bundle() {
  set -e
  # QUICK_BUILD=build packs the Release build's binaries instead (they then need the libraries
  # that track_check.sh unpacks: `run` finds them there).
  local build=$ROOT/${QUICK_BUILD:-build-cuda}
  local binaries=(cuda_backend_test golden_tensors_test cuda_image_detect cuda_model_timing cuda_landmarker_test
                  cuda_multi_engine_test)
  cmake --build "$build" -j"${JOBS:-2}" --target "${binaries[@]}" raw_image_pack
  rm -rf "$QUICK" && mkdir -p "$QUICK/bin" "$QUICK/models/shared/golden/tensors" "$QUICK/images"
  local binary
  for binary in "${binaries[@]}"; do
    cp "$(find "$build" -maxdepth 2 -type f -name "$binary" | head -1)" "$QUICK/bin/"
    strip "$QUICK/bin/$binary"
  done
  local models=${HANDTRACK_MODELS:-$HOME/.cache/handtrack/models}
  local shared=${HANDTRACK_SHARED:-$ROOT/../shared}
  cp "$models"/{palm_detection_full,hand_landmark_full}.tflite "$QUICK/models/"
  cp "$shared"/golden/tensors/{palm_detection_full,hand_landmark_full}_s1.tdmp "$QUICK/models/shared/golden/tensors/"
  "$(find "$build" -maxdepth 2 -type f -name raw_image_pack | head -1)" "$QUICK/images" \
    "$shared/data/hands/images/$PHOTO"
  # cuda_landmarker_test's photos (it decodes them itself).
  mkdir -p "$QUICK/models/shared/data/hands/images"
  cp "$shared"/data/hands/images/{finger_gun_horizontal_01,two_hands_L_shapes_torso_01}.jpg \
    "$QUICK/models/shared/data/hands/images/"
  # ... and the video whose NVDEC frames it keeps on the GPU.
  mkdir -p "$QUICK/models/shared/data/hands/videos"
  cp "$shared"/data/hands/videos/asl_sign_book_two_hands_webcam_01.mp4 "$QUICK/models/shared/data/hands/videos/"
  # Everything travels compressed: with the packages it must stay under the 64 MiB carry limit.
  # -9: a 64 MiB dictionary, so that the binaries' common CUDA code (about 9 MB each) is stored once.
  XZ_OPT=-9 tar -C "$QUICK" -cJf "$QUICK/quick.tar.xz" bin models images && rm -rf "$QUICK"/{bin,models,images}
  du -sh "$QUICK"
}

SUMMARY=()
step() {  # step NAME SECONDS COMMAND...: its log under $OUT
  local name=$1 seconds=$2
  shift 2
  local start=$SECONDS
  timeout "$seconds" "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  SUMMARY+=("$(printf '%-26s rc=%-3s %4ss  %s' "$name" "$rc" "$((SECONDS - start))" "$(tail -n 1 "$OUT/$name.log")")")
}

# The A/B of one kernel setting, KEY (values 1 and 0) or KEY=V1/V2/...: the full models' kernels at
# AB_BATCHES and whole Detect calls, with each value in turn, twice each. Logs named after the key.
ab_switch() {
  local key=${1%%=*} values="1 0" round value precision precisions=${AB_PRECISIONS:-fp32,fp16}
  local name=${key#cuda.}
  if [[ $1 == *=* ]]; then
    values=${1#*=}
    values=${values//\// }
  fi
  for round in 1 2; do
    for value in $values; do
      step "ab_${name}_models_${value}_round$round" 240 "$QUICK/bin/cuda_model_timing" --delegate cuda \
        --model palm_detection_full,hand_landmark_full --batch "${AB_BATCHES:-1,8}" --precision "$precisions" \
        --warmup 30 --iters 300 --cuda-setting "$key=$value"
      for precision in ${precisions//,/ }; do
        step "ab_${name}_detect_${precision}_${value}_round$round" 60 "$QUICK/bin/cuda_image_detect" \
          --delegate cuda --precision "$precision" --num-hands 2 --time "$QUICK/images/$PHOTO.ppm" --warmup 100 \
          --iters 2000 --cuda-setting "$key=$value"
      done
    done
  done
  echo "== A/B of $key (values $values in turn; two rounds)"
  grep -H "" "$OUT"/ab_"${name}"_models_*.log | grep -v "^.*:#"
  grep -H "^detect" "$OUT"/ab_"${name}"_detect_*.log
}

run() {
  tar -C "$QUICK" -xJf "$QUICK/quick.tar.xz"
  local bin=$QUICK/bin
  export HANDTRACK_MODELS=$QUICK/models HANDTRACK_SHARED=$QUICK/models/shared
  # Binaries of the Release build (QUICK_BUILD=build) need the libraries track_check.sh unpacked.
  if [[ -e /tmp/handtrack-root/.complete ]]; then
    export LD_LIBRARY_PATH=/tmp/handtrack-root/usr/lib/x86_64-linux-gnu:/tmp/handtrack-root/lib/x86_64-linux-gnu
  fi
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  # Only the full models travel (the carry limit): the tests of the lite ones are left out here
  # (cuda_check.sh runs them all). "*_lite*", not "*lite*": the golden tests and CudaModelTest are
  # all named MatchesTflite..., which "*lite*" also left out (none of them ran here until
  # 2026-12-04); CudaModelTest's lite cases are its parameters 1 and 3.
  local full_only='-*_lite*:CudaFallbackTest.*:*CudaModelTest.*/1:*CudaModelTest.*/3'
  step cuda_backend_test 150 "$bin/cuda_backend_test" --gtest_brief=1 --gtest_filter="$full_only"
  step unfused_cuda_backend_test 120 "$bin/cuda_backend_test" --gtest_brief=1 --cuda-setting cuda.fusion=0 \
    --gtest_filter="$full_only"
  step golden_tensors_test 90 "$bin/golden_tensors_test" --gtest_brief=1 --gtest_filter="$full_only"
  step cuda_landmarker_test 90 "$bin/cuda_landmarker_test" --gtest_brief=1
  HANDTRACK_TEST_PPM=$QUICK/images/$PHOTO.ppm step cuda_multi_engine_test 120 "$bin/cuda_multi_engine_test"
  local precision preprocess
  for precision in fp32 fp16; do
    for preprocess in 1 0; do
      step "detect_${precision}_preprocess$preprocess" 60 "$bin/cuda_image_detect" --delegate cuda \
        --precision "$precision" --num-hands 2 --time "$QUICK/images/$PHOTO.ppm" --warmup 100 --iters 2000 \
        --cuda-setting "cuda.preprocess=$preprocess"
    done
  done
  local setting settings=${AB_SETTING:-}
  for setting in ${settings//,/ }; do
    ab_switch "$setting"
  done
  if [[ -n "${PEER_DIR:-}" ]]; then
    local model
    for model in palm_detection_full hand_landmark_full; do
      step "peer_ours_${model}_1" 90 "$bin/cuda_model_timing" --delegate cuda --model "$model" --batch 1,256 \
        --precision fp16 --warmup 30 --iters 300
      step "peer_torch_${model}" 240 python3 "$PEER_DIR/tflite2torch.py" bench "$QUICK/models/$model.tflite" \
        --batch 1,256 --dtype fp16 --channels-last --cuda-graphs --compile
      step "peer_ours_${model}_2" 90 "$bin/cuda_model_timing" --delegate cuda --model "$model" --batch 1,256 \
        --precision fp16 --warmup 30 --iters 300
    done
    echo "== against the torch.compile peer (ours, the peer, ours again)"
    grep -H -v "^#" "$OUT"/peer_*.log | grep -E "fp16|float16|batch" | cut -c1-220
  fi
  echo "== failures"
  grep -h -E "FAILED|Failure" "$OUT"/*test.log | head -40
  echo "== detect"
  grep -H "^detect" "$OUT"/detect_*.log
  echo "== summary"
  printf '%s\n' "${SUMMARY[@]}"
}

case "${1:-}" in
  bundle) bundle ;;
  run)
    # Everything run prints (the A/B tables, the peer, the summary) also goes to one file that
    # sorts first in $OUT: the device returns only a handful of files, which the logs of a
    # long call outnumber.
    OUT=${OUT:-/tmp/gpu_quick}
    mkdir -p "$OUT"
    run 2>&1 | tee "$OUT/0_report.txt"
    ;;
  *)
    echo "usage: $0 bundle|run" >&2
    exit 2
    ;;
esac
