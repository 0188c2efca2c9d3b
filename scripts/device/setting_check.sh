#!/usr/bin/env bash
# One CUDA backend setting (a kernel switch, docs/CUDA.md) on the lent GPU machine, in one call:
# its tests, the full models' kernels and whole Detect calls with the setting at each value,
# the torch.compile peer next to the default, then the rest of the backend's tests.
#
#   scripts/device/setting_check.sh bundle   # here: .carry/setting (the test and timing binaries,
#                                            # the libraries they need that the machine lacks,
#                                            # the four models and TFLite's tensors, a photo;
#                                            # about 10 MB)
#   run tool: command "SETTING=cuda.half_row_sums bash scripts/device/setting_check.sh run",
#             carry [".carry/setting", ".carry/peer2"]
#
# `run`, in this order (the most wanted first, for a call cut short by its limit):
#   1. cuda_backend_test --gtest_filter=$TESTS (default: every test), then golden_tensors_test
#      on the full models (TFLite's tensors, fp32 and fp16);
#   2. cuda_model_timing for both full models (fp16, batches BATCHES, default 1,8,16,256) and
#      cuda_image_detect --time (fp16, median of 2000) with SETTING at each of VALUES (default
#      "1 0"), in turn, ROUNDS times (default 2); kernels alone are `device_ms`;
#   3. with .carry/peer2 holding ../shared/peers' tflite2torch.py and tflite_fb.py: ours at the
#      defaults, the peer (`bench MODEL --batch 1,256 --dtype fp16 --channels-last --cuda-graphs
#      --compile`), ours again, for both full models;
#   4. MORE_TESTS (a gtest filter, default none): more of cuda_backend_test;
#   5. CONCURRENT (default none), e.g. "2:128 2:8": for both full models, K runners of batch B
#      replaying their kernels at once (cuda_model_timing --concurrent K --batch B, fp16), next
#      to one runner of K x B: whether independent runs fill the GPU better than one larger one.
# Everything printed also goes to $OUT/setting.log, so a call cut short brings back what it
# measured. The libraries travel with the binaries, so no track_check.sh unpack is needed; the
# 16-session rate with the setting needs track_check.sh's CLI (its environment variable, e.g.
# HANDTRACK_CUDA_HALF_ROW_SUMS, in RATE_CASES).
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
CARRY=$ROOT/.carry/setting
PHOTO=count_one_index_up_webcam_01.jpg
BINARIES=(cuda_backend_test golden_tensors_test cuda_model_timing cuda_image_detect)

bundle() {
  set -e
  local build=$ROOT/${QUICK_BUILD:-build} stage binary
  cmake --build "$build" -j"${JOBS:-2}" --target "${BINARIES[@]}" raw_image_pack
  stage=$(mktemp -d)
  mkdir -p "$stage/bin" "$stage/lib" "$stage/models" "$stage/images"
  for binary in "${BINARIES[@]}"; do
    cp "$(find "$build" -maxdepth 2 -type f -name "$binary" | head -1)" "$stage/bin/"
    strip "$stage/bin/$binary"
  done
  # The binaries' libraries that the lent machine lacks (track_check.sh's list): XNNPACK,
  # pthreadpool and cpuinfo, about 2 MB instead of the CLI's 47.
  local missing=$ROOT/.carry/track/missing.txt
  [[ -s $missing ]] || missing=$ROOT/scripts/device/gpu_machine_missing_sonames.txt
  for binary in "$stage"/bin/*; do ldd "$binary"; done | awk '$3 ~ /^\// {print $1 " " $3}' | sort -u |
    grep -F -w -f "$missing" | while read -r soname path; do cp -L "$path" "$stage/lib/$soname"; done
  # All four models: the backend test runs the lite ones too (its fallback and model cases).
  cp "${HANDTRACK_MODELS:-$HOME/.cache/handtrack/models}"/{palm_detection,hand_landmark}_{full,lite}.tflite "$stage/models/"
  # TFLite's tensors for golden_tensors_test (the full models, fp32 and fp16 on the GPU) and for
  # the backend test's model cases (all four).
  mkdir -p "$stage/models/shared/golden/tensors"
  cp "${HANDTRACK_SHARED:-$ROOT/../shared}"/golden/tensors/{palm_detection,hand_landmark}_{full,lite}_s1.tdmp \
    "$stage/models/shared/golden/tensors/"
  "$(find "$build" -maxdepth 2 -type f -name raw_image_pack | head -1)" "$stage/images" \
    "${HANDTRACK_SHARED:-$ROOT/../shared}/data/hands/images/$PHOTO"
  rm -rf "$CARRY" && mkdir -p "$CARRY"
  XZ_OPT=-9 tar -C "$stage" -cJf "$CARRY/t.tar.xz" bin lib models images
  ls "$stage/lib"
  rm -rf "$stage"
  du -sh "$CARRY"
}

timing() {  # timing LABEL MODEL BATCHES [SETTING]: one line per batch, prefixed with LABEL
  timeout 90 "$CARRY/bin/cuda_model_timing" --delegate cuda --model "$2" --batch "$3" --precision fp16 \
    --warmup 30 --iters 300 ${4:+--cuda-setting "$4"} 2>&1 | grep -v '^#' | sed "s/^/$1 /"
}

detect() {  # detect LABEL [SETTING]
  timeout 60 "$CARRY/bin/cuda_image_detect" --delegate cuda --precision fp16 --num-hands 2 --time \
    "$CARRY/images/$PHOTO.ppm" --warmup 100 --iters 2000 ${2:+--cuda-setting "$2"} 2>&1 |
    grep '^detect' | sed "s/^/$1 /"
}

run() {
  [[ -z ${OUT:-} ]] || exec > >(tee -a "$OUT/setting.log") 2>&1
  [[ -n ${SETTING:-} ]] || { echo "failed to run: SETTING (a cuda backend setting) is not set" >&2; return 2; }
  tar -C "$CARRY" -xJf "$CARRY/t.tar.xz"
  export LD_LIBRARY_PATH=$CARRY/lib HANDTRACK_MODELS=$CARRY/models HANDTRACK_SHARED=$CARRY/models/shared
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
  local bin=$CARRY/bin round value model
  echo "== tests: ${TESTS:-*}"
  timeout "${TESTS_LIMIT:-150}" "$bin/cuda_backend_test" --gtest_brief=1 --gtest_filter="${TESTS:-*}" 2>&1 |
    tail -n 15
  echo "== golden_tensors_test, the full models on the GPU (fp32, fp16)"
  timeout 90 "$bin/golden_tensors_test" --gtest_brief=1 --gtest_filter='*full_cuda*' 2>&1 | tail -n 6
  echo "== both full models' kernels and Detect, fp16, $SETTING at each of ${VALUES:-1 0}"
  for round in $(seq "${ROUNDS:-2}"); do
    for value in ${VALUES:-1 0}; do
      for model in palm_detection_full hand_landmark_full; do
        timing "$SETTING=$value round$round" "$model" "${BATCHES:-1,8,16,256}" "$SETTING=$value"
      done
      detect "$SETTING=$value round$round" "$SETTING=$value"
    done
  done
  local peer=$ROOT/.carry/peer2
  if [[ -f $peer/tflite2torch.py ]]; then
    echo "== the torch.compile peer (ours at the defaults, the peer, ours again)"
    for model in palm_detection_full hand_landmark_full; do
      timing "ours-before $model" "$model" 1,256
      timeout 200 python3 "$peer/tflite2torch.py" bench "$HANDTRACK_MODELS/$model.tflite" --batch 1,256 \
        --dtype fp16 --channels-last --cuda-graphs --compile 2>&1 | grep -v '^#' | tail -n 4 | sed "s/^/peer $model /"
      timing "ours-after $model" "$model" 1,256
    done
  fi
  if [[ -n ${MORE_TESTS:-} ]]; then
    echo "== more tests: $MORE_TESTS"
    timeout "${MORE_TESTS_LIMIT:-150}" "$bin/cuda_backend_test" --gtest_brief=1 --gtest_filter="$MORE_TESTS" 2>&1 |
      tail -n 15
  fi
  local pair
  for pair in ${CONCURRENT:-}; do
    for model in palm_detection_full hand_landmark_full; do
      timing "one-runner $model" "$model" "$((${pair%%:*} * ${pair#*:}))"
      timeout 90 "$bin/cuda_model_timing" --delegate cuda --model "$model" --batch "${pair#*:}" --precision fp16 \
        --iters 300 --concurrent "${pair%%:*}" 2>&1 | grep -v '^#'
    done
  done
}

case "${1:-}" in
  bundle) bundle ;;
  run) run ;;
  *)
    echo "usage: $0 bundle|run" >&2
    exit 2
    ;;
esac
