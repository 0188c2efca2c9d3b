#!/usr/bin/env bash
# The webgpu backend on the lent GPU machine (an NVIDIA H200), in one call: the same WGSL as
# in the browser, run by Dawn for node (the npm package `webgpu`) through Vulkan, next to the
# wasm CPU backend under node and the CUDA backend, in the same call.
#
#   scripts/device/webgpu_check.sh bundle DIR   # here: fill DIR (e.g. /work/main/.carry/webgpu)
#   run tool: command "bash DIR_IN_REPO/webgpu_check.sh run", carry [DIR_IN_REPO, ".gl"], timeout_s 480
#
# `bundle` needs scripts/build_web.sh's outputs (build-wasm-gpu, web/build/wasm) and packs:
# this machine's node (self-contained: libc and libstdc++ only) and the npm package webgpu
# (linux-x64 only), both xz-compressed; the handtrack_gpu and handtrack_st modules; the gpu
# build's backend_op_test and golden_tensors_test; the four models and the golden tensors; one
# photo as raw RGBA (node) and PPM (the CUDA timing); the Release build's (CUDA_BUILD, default
# build) cuda_model_timing and cuda_image_detect with the XNNPACK libraries. The Vulkan loader comes from .gl
# (/work/.library/device/README.md: Debian's libvulkan1 and friends, unpacked there).
#
# `run` prints the adapter, the checks (golden tensors fp32/fp16, every op case), the
# timings (per model: the webgpu backend fp32/fp16, the wasm CPU backend, the CUDA backend
# batch 1 fp32/fp16; whole IMAGE-mode detects of a 640x480 photo on each) and a table last;
# every log goes under $OUT.
set -u
readonly kWebgpuPackage=0.6.2
readonly kPhoto=count_one_index_up_webcam_01.jpg

bundle() {
  set -e
  local root dir
  root=$(cd "$(dirname "$0")/../.." && pwd)
  dir=$1
  local shared=${HANDTRACK_SHARED:-$root/../shared}
  local models=${HANDTRACK_MODELS:-$HOME/.cache/handtrack/models}
  rm -rf "$dir" && mkdir -p "$dir/pack/models/golden" "$dir/pack/wasm" "$dir/pack/tests"
  cp "$0" "$dir/webgpu_check.sh"
  xz -T2 -6 -c "$(command -v node)" >"$dir/node.xz"
  local npm_dir
  npm_dir=$(mktemp -d)
  npm install --no-audit --no-fund --prefix "$npm_dir" "webgpu@$kWebgpuPackage" >/dev/null
  # Only the linux-x64 Dawn: the package ships five platforms.
  find "$npm_dir/node_modules/webgpu/dist" -mindepth 1 -maxdepth 1 ! -name linux-x64 -exec rm -rf {} +
  tar -C "$npm_dir" -cJf "$dir/node_modules.tar.xz" node_modules
  rm -rf "$npm_dir"
  cp "$root"/web/build/wasm/handtrack_{gpu,st}.{js,wasm} "$dir/pack/wasm/"
  cp "$root"/build-wasm-gpu/tests/{backend_op_test,golden_tensors_test,webgpu_sampling_test}.{js,wasm} "$dir/pack/tests/"
  cp "$root/tests/wasm_node_run.js" "$root/web/tools/node-bench.mjs" "$dir/pack/"
  cp "$models"/*.tflite "$dir/pack/models/"
  cp "$shared"/golden/tensors/*_s1.tdmp "$dir/pack/models/golden/"
  ffmpeg -loglevel error -y -i "$shared/data/hands/images/$kPhoto" -f rawvideo -pix_fmt rgba "$dir/pack/photo.rgba"
  ffmpeg -loglevel error -y -i "$shared/data/hands/images/$kPhoto" -c:v ppm -f image2 "$dir/pack/photo.ppm"
  ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=s=x:p=0 \
    "$shared/data/hands/images/$kPhoto" >"$dir/pack/photo.size"
  tar -C "$dir" -cJf "$dir/pack.tar.xz" pack && rm -rf "$dir/pack"
  # The CUDA timings of the same call: the Release build's two timing binaries and the
  # libraries the GPU machine lacks (XNNPACK and its two helpers; the rest is libc/libstdc++).
  local cuda_build=$root/${CUDA_BUILD:-build}
  if [[ -x $cuda_build/tests/cuda_model_timing && -x $cuda_build/tests/cuda_image_detect ]]; then
    mkdir -p "$dir/bundle/bin" "$dir/bundle/lib"
    cp "$cuda_build"/tests/{cuda_model_timing,cuda_image_detect} "$dir/bundle/bin/"
    strip "$dir"/bundle/bin/*
    ldd "$dir/bundle/bin/cuda_model_timing" | awk '/libXNNPACK|libpthreadpool|libcpuinfo/ {print $3}' |
      xargs -r cp -L -t "$dir/bundle/lib/"
    tar -C "$dir" -cJf "$dir/cuda.tar.xz" bundle && rm -rf "$dir/bundle"
  else
    echo "webgpu_check: no CUDA timing binaries in $cuda_build/tests: the CUDA backend is not timed" >&2
  fi
  du -sh "$dir"/*
}

SUMMARY=()
# step NAME SECONDS COMMAND...: runs with a time limit, logs to $OUT/NAME.log, records the result.
step() {
  local name=$1 seconds=$2
  shift 2
  local start=$SECONDS
  timeout "$seconds" "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  SUMMARY+=("$(printf '%-24s rc=%-3s %4ss  %s' "$name" "$rc" "$((SECONDS - start))" "$(tail -n 1 "$OUT/$name.log" | cut -c1-150)")")
  return $rc
}

run() {
  OUT=${OUT:-/tmp/webgpu_check}
  mkdir -p "$OUT"
  local dir work
  dir=$(cd "$(dirname "$0")" && pwd)
  work=/tmp/webgpu_check_work
  rm -rf "$work" && mkdir -p "$work/bin"
  xz -dc "$dir/node.xz" >"$work/bin/node" && chmod +x "$work/bin/node"
  tar -C "$work" -xJf "$dir/node_modules.tar.xz"
  tar -C "$work" -xJf "$dir/pack.tar.xz"
  local repo
  repo=$(cd "$dir/../.." && pwd)
  [[ -f $dir/cuda.tar.xz ]] && tar -C "$work" -xJf "$dir/cuda.tar.xz"
  export LD_LIBRARY_PATH=$work/bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export PATH=$work/bin:$PATH NODE_PATH=$work/node_modules
  local pack=$work/pack size
  size=$(cat "$pack/photo.size")
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv
  node --version
  ldconfig -p | grep -c libvulkan || echo "no libvulkan"

  local model
  # The golden test reads $HANDTRACK_MODELS and $HANDTRACK_SHARED/golden/tensors.
  mkdir -p "$pack/shared/golden" && ln -sfn "$pack/models/golden" "$pack/shared/golden/tensors"
  local preload_shared=()
  for model in palm_detection_full palm_detection_lite hand_landmark_full hand_landmark_lite; do
    preload_shared+=(--preload "$pack/models/$model.tflite" --preload "$pack/shared/golden/tensors/${model}_s1.tdmp")
  done
  export HANDTRACK_MODELS=$pack/models HANDTRACK_SHARED=$pack/shared
  # Dawn finds the NVIDIA driver through the Vulkan loader; name the ICD if it does not.
  if ! node "$pack/node-bench.mjs" --module "$pack/wasm/handtrack_gpu.js" --webgpu --models "$pack/models" \
      --warmup 0 --runs 1 2>&1 | grep -q '"what":"adapter","vendor"'; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    echo "no adapter at first: VK_DRIVER_FILES=$VK_DRIVER_FILES"
  fi

  step golden_tensors_webgpu 120 node "$pack/wasm_node_run.js" "$pack/tests/golden_tensors_test.js" --webgpu \
    "${preload_shared[@]}" --gtest_filter='*webgpu*:*_wasm' --gtest_brief=1
  step backend_op_test_webgpu 120 node "$pack/wasm_node_run.js" "$pack/tests/backend_op_test.js" --webgpu \
    --gtest_filter='*webgpu*' --gtest_brief=1
  # Pre-processing on the GPU: the sampling shader against the CPU samplers' bits on this GPU.
  step webgpu_sampling_test 60 node "$pack/wasm_node_run.js" "$pack/tests/webgpu_sampling_test.js" --webgpu
  # Which features Dawn offers here (shader-f16 decides whether fp16 runs in half floats).
  step dawn_features 30 node --input-type=module -e "
    const dawn = await import('$work/node_modules/webgpu/index.js');
    for (const flags of [[], ['enable-dawn-features=allow_unsafe_apis']]) {
      const adapter = await dawn.create(flags).requestAdapter();
      console.log(JSON.stringify(flags), adapter ? [...adapter.features].sort().join(' ') : 'no adapter');
    }
    process.exit(0);"
  local precision
  for precision in fp32 fp16; do
    step "webgpu_$precision" 120 node "$pack/node-bench.mjs" --module "$pack/wasm/handtrack_gpu.js" --webgpu \
      --precision "$precision" --models "$pack/models" --rgba "$pack/photo.rgba" --size "$size" --warmup 50 --runs 500
  done
  # Each dispatch's time (node-bench --profile): where the kernels' time goes.
  step webgpu_fp32_profile 180 node "$pack/node-bench.mjs" --module "$pack/wasm/handtrack_gpu.js" --webgpu \
    --models "$pack/models" --rgba "$pack/photo.rgba" --size "$size" --warmup 20 --runs 200 --profile
  # The detect with the models' inputs made on the CPU and copied up as floats (no GPU pre-processing).
  step webgpu_fp32_no_preprocess 120 node "$pack/node-bench.mjs" --module "$pack/wasm/handtrack_gpu.js" --webgpu \
    --setting webgpu.preprocess=0 --models "$pack/models" --rgba "$pack/photo.rgba" --size "$size" --warmup 50 --runs 500
  # Without split sums, for comparison.
  step webgpu_fp32_no_split_k 120 node "$pack/node-bench.mjs" --module "$pack/wasm/handtrack_gpu.js" --webgpu \
    --setting webgpu.split_k=0 --models "$pack/models" --warmup 50 --runs 500
  # Without the tiled products (conv2d_x4 instead: the defaults before them). With split sums off
  # (above) the tiled products take those layers too.
  step webgpu_fp32_no_gemm 120 node "$pack/node-bench.mjs" --module "$pack/wasm/handtrack_gpu.js" --webgpu \
    --setting webgpu.gemm=0 --models "$pack/models" --warmup 50 --runs 500
  step wasm_cpu_node 150 node "$pack/node-bench.mjs" --module "$pack/wasm/handtrack_st.js" --delegate wasm \
    --models "$pack/models" --rgba "$pack/photo.rgba" --size "$size" --warmup 10 --runs 100
  if [[ -x $work/bundle/bin/cuda_model_timing ]]; then
    step cuda_models 90 "$work/bundle/bin/cuda_model_timing" --delegate cuda --model palm_detection_full,hand_landmark_full \
      --batch 1 --precision fp32,fp16 --warmup 100 --iters 2000
    mkdir -p "$work/images" && cp "$pack/photo.ppm" "$work/images/photo.ppm"
    for precision in fp32 fp16; do
      step "cuda_detect_$precision" 90 "$work/bundle/bin/cuda_image_detect" --images "$work/images" \
        --output "$OUT/cuda_detect_$precision.json" --delegate cuda --precision "$precision" --num-hands 2 \
        --time "$work/images/photo.ppm" --warmup 100 --iters 1000
    done
  fi

  echo "== checks"
  grep -h -E "FAILED|Failure|PASSED|SKIPPED" "$OUT"/golden_tensors_webgpu.log "$OUT"/backend_op_test_webgpu.log \
    "$OUT"/webgpu_sampling_test.log | head -30
  echo "== timings"
  cat "$OUT"/dawn_features.log
  grep -h '"what"' "$OUT"/webgpu_*.log "$OUT"/wasm_cpu_node.log
  cat "$OUT"/cuda_models.log 2>/dev/null
  grep -h "^detect " "$OUT"/cuda_detect_*.log 2>/dev/null
  echo "== summary"
  printf '%s\n' "${SUMMARY[@]}"
  local log
  for log in "$OUT"/*.log; do
    printf '=== %s\n' "$(basename "$log")"
    cat "$log"
    rm "$log"
  done >"$OUT/logs.txt"
}

case "${1:-}" in
  bundle) bundle "${2:?bundle DIR}" ;;
  run) run ;;
  *)
    echo "usage: $0 bundle DIR | run" >&2
    exit 2
    ;;
esac
