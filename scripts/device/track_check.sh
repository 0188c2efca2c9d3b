#!/usr/bin/env bash
# `handtrack track` and `handtrack worker` on the lent GPU machine, on real videos.
#
# That machine has CUDA's driver but none of the project's libraries (FFmpeg, XNNPACK,
# TurboJPEG, libpng, SQLite, libpq, ...). This script carries them as Debian 12
# packages, unpacked there outside / (into /tmp/handtrack-root), with the Release CLI
# built here (CUDA kernels for sm_90 plus PTX, cudart linked statically):
#
#   scripts/device/track_check.sh bundle   # here: fills .carry/track-libs (libs.tar.xz) and
#                                          # .carry/track (CLI, models, videos, session video)
#   run tool: command "bash scripts/device/track_check.sh unpack", carry [".carry/track-libs"]
#   run tool, at once (while the machine is still warm): command
#             "bash scripts/device/track_check.sh run", carry [".carry/track"], timeout_s 600
#
# Or in one call, after `track_check.sh pack` here: command "bash scripts/device/track_check.sh
# unpack && SLIM=1 bash scripts/device/track_check.sh run", carry [".carry/track-libs",
# ".carry/track-one"] (see pack).
#
# Two calls because the libraries alone are about 47 MB (the packages' shared objects, one
# xz archive) and a call carries at most 64 MiB: the first unpacks them into
# /tmp/handtrack-root, which stays while the machine is held (30 s after a call on the
# H200: send the second call at once); `run` refuses to start without it.
#
# Only the packages whose libraries the device machine lacks travel (the carry limit
# is 64 MiB): .carry/track/missing.txt lists the sonames a probe there did not find
# (`bash scripts/device/track_check.sh probe` there prints them); without it, the list
# kept in scripts/device/gpu_machine_missing_sonames.txt (the H200's, 2026-12-03: about
# 53 MB of packages, so that one call carries them; every library the CLI needs is 62 MB,
# too much with the working tree).
#
# `run` makes a 2-minute 640x480 session (asl_sign_book_two_hands_webcam_01.mp4 joined
# 33 times, done here at bundle time), 16 copies of it, and runs
#   handtrack track --jobs 16 --delegate cuda            (GPU: batches across the jobs; precision
#                                                        auto = fp16 there, then --precision fp32)
#   handtrack track --jobs 16 --threads 16 --delegate xnnpack   (the machine's 16 cores)
# on them, with nvidia-smi's utilisation sampled during the GPU run, and checks the
# GPU results of the shared videos against ../shared/golden/videos (compare.py, the
# video issue's bounds) in fp32 and fp16. Logs go to $OUT; a table is printed last.
#
# `rates` runs only the lines of RATE_CASES (see add_rate_cases); RATE_CASES=policy runs the
# batch policies and GPU queue settings listed in policy_cases (16 and 32 jobs), e.g.
#   command "RATE_CASES=policy bash scripts/device/track_check.sh rates", carry [".carry/track"]
# `profile` runs the default GPU case with the host's CPU use sampled (see profile below).
# `agreement` runs only the agreement on the shared videos (PRECISIONS, default "fp32 fp16"),
# then RATE_CASES' lines: a kernel change's results and rate in one short call.
# `startup` times what a run pays once (see startup below).
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
CARRY=$ROOT/.carry/track
LIBS=$ROOT/.carry/track-libs
SESSION_VIDEO=asl_sign_book_two_hands_webcam_01.mp4
SESSION_REPEATS=33
COPIES=${COPIES:-16}
MAX_COPIES=${MAX_COPIES:-$COPIES}
DEVICE_ROOT=/tmp/handtrack-root

# Sonames of every shared library the CLI loads, but the C library and the compiler's
# run-time (the device machine's own are newer and compatible).
needed_sonames() {
  ldd "$1" | awk '$3 ~ /^\// {print $1 " " $3}' |
    grep -v -E '^(libc|libm|libdl|librt|libresolv|libpthread|libstdc\+\+|libgcc_s|ld-linux[^ ]*)\.so'
}

bundle() {
  set -e
  # The ffmpeg command joins the session video (not a build dependency, so not in setup.sh).
  if ! command -v ffmpeg >/dev/null; then
    local sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends ffmpeg >/dev/null
  fi
  local build=$ROOT/build
  cmake --build "$build" -j2 --target handtrack_cli
  rm -rf "$CARRY/bin" "$CARRY/debs" "$CARRY/models" "$CARRY/videos" "$CARRY/golden" "$CARRY/tools" "$LIBS"
  mkdir -p "$CARRY"/{bin,models,videos,golden,tools} "$LIBS/debs"
  cp "$build/bin/handtrack" "$CARRY/bin/" && strip "$CARRY/bin/handtrack"
  needed_sonames "$build/bin/handtrack" | awk '{print $1}' >"$CARRY/sonames.txt"
  local libs
  # The list the probe printed on the lent H200 on 2026-12-03 (93 sonames), unless a newer probe's is there.
  [[ -s $CARRY/missing.txt ]] || cp "$ROOT/scripts/device/gpu_machine_missing_sonames.txt" "$CARRY/missing.txt"
  if [[ -s $CARRY/missing.txt ]]; then
    libs=$(needed_sonames "$build/bin/handtrack" | grep -F -w -f "$CARRY/missing.txt" | awk '{print $2}')
  else
    libs=$(needed_sonames "$build/bin/handtrack" | awk '{print $2}')
  fi
  local packages
  # dpkg knows some libraries by their /lib path (Debian 12 merged /lib into /usr/lib).
  packages=$(for lib in $libs; do
    local real
    real=$(readlink -f "$lib")
    dpkg -S "$real" 2>/dev/null || dpkg -S "${real#/usr}"
  done | cut -d: -f1 | sort -u)
  (cd "$LIBS/debs" && apt-get download $packages >/dev/null)
  # Only their shared objects travel, as one xz archive: 47 MB instead of the packages' 53, so
  # that gpu_quick_check.sh's bundle fits in the same call (64 MiB with the working tree).
  local unpacked
  unpacked=$(mktemp -d)
  local deb
  for deb in "$LIBS"/debs/*.deb; do dpkg -x "$deb" "$unpacked"; done
  (cd "$unpacked" && find . -name '*.so*' \( -type f -o -type l \) | tar -cf - -T - | xz -9 -T2 >"$LIBS/libs.tar.xz")
  rm -rf "$unpacked" "$LIBS/debs"
  local models=${HANDTRACK_MODELS:-$HOME/.cache/handtrack/models}
  cp "$models"/{palm_detection_full,hand_landmark_full}.tflite "$CARRY/models/"
  local shared=${HANDTRACK_SHARED:-$ROOT/../shared}
  cp "$shared"/data/hands/videos/*.mp4 "$CARRY/videos/"
  cp "$shared"/golden/videos/*.json "$CARRY/golden/"
  cp "$shared"/tools/compare.py "$CARRY/tools/"
  # The 2-minute session: the same stream joined end to end (no re-encoding).
  local list
  list=$(mktemp)
  for _ in $(seq "$SESSION_REPEATS"); do echo "file '$shared/data/hands/videos/$SESSION_VIDEO'"; done >"$list"
  ffmpeg -v error -y -f concat -safe 0 -i "$list" -c copy "$CARRY/session.mp4"
  rm -f "$list"
  du -sh "$LIBS" "$CARRY" "$CARRY"/*
}

# Here, after bundle: .carry/track in one xz archive (.carry/track-one, about 14 MB: the CLI, the
# models, the session video, which xz shrinks to its one shared video, the shared videos and
# goldens), so that one call carrying [".carry/track-libs", ".carry/track-one"] (63 MiB with the
# working tree in session 49, of the 64 MiB a call carries; without the videos and goldens when
# they do not fit) runs `unpack` and then `run` or `rates`: one machine start instead of two
# calls that must follow within 30 s (session 49 saw more starts fail than succeed). Only
# bin/handtrack travels this way, not other CLIs kept there.
pack() {
  local one=$ROOT/.carry/track-one
  local tree
  tree=$(git -C "$ROOT" ls-files -z | xargs -0 stat -c %s | awk '{s += $1} END {print s}')
  # What is left for the archive; without the shared videos and goldens (agreement) when needed.
  local room=$((64 * 1048576 - tree - $(stat -c %s "$LIBS/libs.tar.xz") - 256 * 1024))
  local skip
  for skip in '^$' '^track/(videos|golden)'; do
    rm -rf "$one" && mkdir -p "$one"
    (cd "$ROOT/.carry" && { find track -path track/bin -prune -o -print | grep -E -v "$skip"; echo track/bin
      echo track/bin/handtrack; } | tar --no-recursion -cf - -T -) | xz -9 -T2 >"$one/track.tar.xz"
    if (($(stat -c %s "$one/track.tar.xz") <= room)); then
      [[ $skip == '^$' ]] || echo "without the shared videos and goldens: 'run' cannot check agreement"
      echo "$one/track.tar.xz: $(du -h "$one/track.tar.xz" | cut -f1), $((room / 1024)) KiB were free"
      return 0
    fi
  done
  echo "failed to pack: .carry/track does not fit one call beside the libraries" >&2
  rm -rf "$one"
  return 1
}

# On the device machine, first call: the libraries unpacked outside /, and .carry/track from
# .carry/track-one's archive when that was carried instead (see pack).
unpack() {
  rm -rf "$DEVICE_ROOT" && mkdir -p "$DEVICE_ROOT"
  tar -C "$DEVICE_ROOT" -xJf "$LIBS/libs.tar.xz" || return 1
  if [[ -f $ROOT/.carry/track-one/track.tar.xz ]]; then
    rm -rf "$CARRY" && tar -C "$ROOT/.carry" -xJf "$ROOT/.carry/track-one/track.tar.xz" || return 1
    echo "unpacked $CARRY from .carry/track-one"
  fi
  touch "$DEVICE_ROOT/.complete"
  echo "unpacked $(find "$DEVICE_ROOT" -name '*.so*' | wc -l) shared objects into $DEVICE_ROOT"
}

# On the device machine: the sonames of sonames.txt that its loader cannot find.
probe() {
  local soname
  while read -r soname; do
    ldconfig -p | grep -q "[[:space:]]$soname " || echo "$soname"
  done <"$CARRY/sonames.txt"
}

SUMMARY=()
step() {  # step NAME TIMEOUT_SECONDS COMMAND...: runs it with its log under $OUT
  local name=$1 limit=$2
  shift 2
  local start=$SECONDS rc
  timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
  rc=$?
  SUMMARY+=("$(printf '%-28s rc=%-3s %4ss  %s' "$name" "$rc" "$((SECONDS - start))" "$(tail -n 1 "$OUT/$name.log" | cut -c1-110)")")
}

# Frames per second of a track run over the 16 copies: all frames (from the summary)
# over the wall time of the whole command, decoding and model loading included.
track_rate() {  # track_rate NAME DELEGATE [more track options]
  local name=$1 delegate=$2
  shift 2
  local out=$OUT/$name
  mkdir -p "$out"
  local start rc
  start=$(date +%s.%N)
  # The first $COPIES copies (prepare made at least that many, see MAX_COPIES).
  local inputs=("$WORK"/copy_*.mp4)
  inputs=("${inputs[@]:0:$COPIES}")
  timeout 400 "$HT" track --no-progress --jobs "$COPIES" --delegate "$delegate" --format csv \
    --output "$out/csv" --summary "$out/summary.json" --models "$CARRY/models" "$@" "${inputs[@]}" \
    >"$out/stdout.log" 2>"$out/stderr.log"
  rc=$?
  local seconds
  seconds=$(python3 -c "import time; print(time.time() - $start)")
  python3 - "$name" "$rc" "$seconds" "$out/summary.json" "$start" <<'EOF'
import json, os, sys
name, rc, seconds, path = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
# From the summary's writing to the process's end: the engine's and the process's teardown.
after_summary = float(sys.argv[5]) + seconds - os.stat(path).st_mtime if os.path.exists(path) else 0
try:
    summary = json.load(open(path))
    videos = summary.get("videos", [summary])  # one input: the summary itself
except Exception as e:
    print(f"{name}: rc {rc}, no summary ({e})")
    sys.exit()
frames = sum(v["frames"] for v in videos)
decoders = sorted({v.get("decoder", "?") + (" frames on the GPU" if v.get("frames_on_gpu") else "")
                   for v in videos})
split = {k: sum(v.get("processing_split_seconds", {}).get(k, 0) for v in videos)
         for k in ("decoder_wait", "landmarker", "open", "start", "close", "other")}
busy = sum(split.values()) or 1
shares = ", ".join(f"{k} {100 * t / busy:.0f} %" for k, t in split.items())
engine = summary.get("engine", {})
engine_start = engine.get("start_seconds", 0)  # EnginePool::Create's time
engine = {m: e for m, e in engine.items() if isinstance(e, dict)}  # the models
def per_run(e, key):
    return f"{1000 * e.get(key, 0) / max(e['runs'], 1):.2f}"
batches = "; ".join(f"{m} {e['runs']} runs of {e['frames'] / max(e['runs'], 1):.1f} frames in "
                    f"{e.get('slots', 0) / max(e['runs'], 1):.1f} slots (max {e['max_frames_per_run']}, "
                    f"{per_run(e, 'run_seconds')} ms each, {per_run(e, 'device_seconds')} ms of it on the GPU; host: "
                    f"copies {per_run(e, 'copy_seconds')}, launch {per_run(e, 'launch_seconds')}, wait "
                    f"{per_run(e, 'wait_seconds')} ms; a frame queued "
                    f"{1000 * e.get('queue_seconds', 0) / max(e['frames'], 1):.2f} ms before its run; a call took "
                    f"{1000 * e.get('call_seconds', 0) / max(e.get('calls', 0), 1):.2f} ms; "
                    f"at most {e.get('max_concurrent_runs', '?')} runs at once)"
                    for m, e in engine.items())
# A job's time in the landmarker less its time in the models' calls: its own host work per frame
# (uploads, decoding the models' outputs, tracking), where the calls of one job do not overlap.
in_calls = sum(e.get('call_seconds', 0) for e in engine.values())
host = f"{1000 * (split['landmarker'] - in_calls) / max(frames, 1):.2f} ms" if in_calls else "?"
# The decoding threads' own time (they run beside the jobs): per frame, and as a share of the jobs' time.
decoding = {k: sum(v.get("decoder_seconds", {}).get(k, 0) for v in videos) for k in ("decode", "download", "convert")}
decoding_text = (", ".join(f"{k} {1000 * t / max(frames, 1):.2f}" for k, t in decoding.items()) +
                 f" ms, busy {100 * sum(decoding.values()) / busy:.0f} % of the job time")
# The jobs' own span (each from its landmarker's creation to its last frame) against the command's
# wall time: what is left is the process's start (the engine) and end.
opens = sorted(v.get("processing_split_seconds", {}).get("open", 0) for v in videos) or [0]
# The run on one line, in seconds since the process started (the summary's process_seconds and each
# video's timeline_seconds): when the engine was ready, the videos opened and ended.
steps = summary.get("process_seconds", {})
lines = [v.get("timeline_seconds") for v in videos if v.get("timeline_seconds")]
first_pictures = sorted(v.get("open_split_seconds", {}).get("first_picture", 0) for v in videos) or [0]
timeline = (f"timeline: command {steps.get('track', 0):.2f}, engine {steps.get('engine_start', 0):.2f}-"
            f"{steps.get('engine_ready', 0):.2f}, opened {min(t['opened'] for t in lines):.2f}-"
            f"{max(t['opened'] for t in lines):.2f} (first pictures {first_pictures[0]:.2f}-{first_pictures[-1]:.2f}), "
            f"ended {min(t['ended'] for t in lines):.2f}-{max(t['ended'] for t in lines):.2f}, "
            f"summary {steps.get('summary', 0):.2f} s; " if lines and steps else "")
jobs_seconds = max((v["frames"] / v["processing_fps"] for v in videos if v.get("processing_fps")), default=0)
print(f"{name}: rc {rc}, {len(videos)} inputs, {frames} frames in {seconds:.1f} s: {frames / seconds:.0f} frames/s"
      f" ({timeline}longest job {jobs_seconds:.2f} s, so {seconds - jobs_seconds:.2f} s outside the jobs: engine start"
      f" {engine_start:.2f}, after the summary {after_summary:.2f};"
      f" per job: open {split['open'] / max(len(videos), 1):.2f} s ({opens[0]:.2f}-{opens[-1]:.2f}), start {split['start'] / max(len(videos), 1):.2f},"
      f" close {split['close'] / max(len(videos), 1):.2f}, other {split['other'] / max(len(videos), 1):.2f};"
      f" instances {'/'.join(str(e.get('instances', '?')) for e in engine.values())};"
      f" decoder {', '.join(decoders)}; job time: {shares}; decoding thread per frame: {decoding_text};"
      f" landmarker host work per frame {host}; {batches})")
EOF
}

# The libraries, the CLI and the 16 copies, for run and rates.
prepare() {
  # A line of RATE_CASES that sets COPIES=N (N sessions, --jobs N) needs N copies made here.
  local wanted
  wanted=$(grep -o 'COPIES=[0-9]*' <<<"${RATE_CASES:-}" | cut -d= -f2 | sort -n | tail -n 1)
  if [[ -n $wanted ]] && ((wanted > MAX_COPIES)); then MAX_COPIES=$wanted; fi
  OUT=${OUT:-/tmp/out}
  mkdir -p "$OUT"
  if [[ ! -e $DEVICE_ROOT/.complete ]]; then
    echo "failed to run: $DEVICE_ROOT is not there; run 'track_check.sh unpack' first on the same machine" >&2
    return 1
  fi
  export LD_LIBRARY_PATH=$DEVICE_ROOT/usr/lib/x86_64-linux-gnu:$DEVICE_ROOT/lib/x86_64-linux-gnu
  HT=$CARRY/bin/handtrack
  WORK=/tmp/handtrack-work
  mkdir -p "$WORK"
  local i
  # MAX_COPIES (default COPIES): copies for cases that set a larger COPIES (hard links: the
  # same bytes either way, and the page cache holds one).
  rm -f "$WORK"/copy_*.mp4
  for i in $(seq -w 1 "$((MAX_COPIES > COPIES ? MAX_COPIES : COPIES))"); do
    ln "$CARRY/session.mp4" "$WORK/copy_$i.mp4" 2>/dev/null || cp "$CARRY/session.mp4" "$WORK/copy_$i.mp4"
  done
  # The host CPU, for the xnnpack rows: its own kernels (depthwise, residual) take AVX-512F, or
  # AVX2 for the residual one, and the rates of different CPUs do not compare.
  echo "host CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), $(nproc) cores," \
    "$(grep -qw avx512f /proc/cpuinfo && echo AVX-512F || echo 'no AVX-512F')," \
    "$(grep -qw avx2 /proc/cpuinfo && echo AVX2 || echo 'no AVX2')"
}

# Appends to RATES the rate of each line of RATE_CASES (`track_rate NAME DELEGATE [OPTIONS]`,
# an environment assignment may precede it).
# Each rate is printed (and kept in $OUT/rates.txt) as soon as it is measured: a call cut off
# by its time limit still reports the cases before.
add_rate_cases() {
  local line
  while IFS= read -r line; do
    [[ -n $line ]] || continue
    RATES+=("$(eval "$line")")
    printf '%s\n' "${RATES[-1]}" | tee -a "$OUT/rates.txt"
  done <<<"${RATE_CASES:-}"
}

# RATE_CASES=policy: the batch policies, GPU queue and host wait settings not yet measured (2026-12-05),
# fp16 with CPU decoding, then NVDEC on this CLI and on $CARRY/bin/handtrack_nvdec when carried.
policy_cases() {
  cat <<'CASES'
track_rate wait2000 cuda --precision fp16 --hwaccel none
track_rate wait500 cuda --precision fp16 --hwaccel none --batch-wait-us 500
track_rate wait250 cuda --precision fp16 --hwaccel none --batch-wait-us 250
track_rate wait0_runs1 cuda --precision fp16 --hwaccel none --batch-wait-us 0 --max-concurrent-runs 1
track_rate wait0_runs2 cuda --precision fp16 --hwaccel none --batch-wait-us 0 --max-concurrent-runs 2
track_rate wait250_runs2 cuda --precision fp16 --hwaccel none --batch-wait-us 250 --max-concurrent-runs 2
CUDA_DEVICE_MAX_CONNECTIONS=32 track_rate connections32 cuda --precision fp16 --hwaccel none
HANDTRACK_CUDA_SYNC=blocking track_rate sync_blocking cuda --precision fp16 --hwaccel none
HANDTRACK_CUDA_SYNC=yield track_rate sync_yield cuda --precision fp16 --hwaccel none
COPIES=32 track_rate jobs32 cuda --precision fp16 --hwaccel none
track_rate nvdec cuda --precision fp16
CASES
  [[ -x $CARRY/bin/handtrack_nvdec ]] &&
    echo 'HT=$CARRY/bin/handtrack_nvdec track_rate nvdec_branch cuda --precision fp16'
}

# Only the rates of RATE_CASES, one `track_rate NAME DELEGATE [OPTIONS]` per line (an
# environment assignment may precede it), e.g. to try a setting without the whole run:
#   RATE_CASES='track_rate fp16 cuda --precision fp16 --hwaccel none' track_check.sh rates
rates() {
  if [[ ${RATE_CASES:-} == policy ]]; then
    RATE_CASES=$(policy_cases)
  fi
  prepare || return 1
  RATES=()
  add_rate_cases
}

# Agreement on the shared videos through the GPU path, in each of PRECISIONS (default fp32 and
# fp16): track's golden output against ../shared/golden/videos (compare.py --by-index).
agreement_runs() {
  local precision video
  for precision in ${PRECISIONS:-fp32 fp16}; do
    mkdir -p "$OUT/golden_$precision"
    step "track_golden_$precision" 300 "$HT" track --no-progress --delegate cuda --precision "$precision" \
      --models "$CARRY/models" --format golden --output "$OUT/golden_$precision" "$CARRY"/videos/*.mp4
    for video in "$CARRY"/videos/*.mp4; do
      local name
      name=$(basename "$video" .mp4)
      python3 "$CARRY/tools/compare.py" --by-index "$CARRY/golden/$name.tasks_full.json" \
        "$OUT/golden_$precision/$name.json" --json >"$OUT/golden_$precision/$name.compare.json" 2>&1
    done
  done
}

# One line per precision: each shared video's count agreement / median NE.
agreement_table() {
  python3 - "$OUT" <<'EOF'
import glob, json, os, sys
out = sys.argv[1]
for precision in ("fp32", "fp16"):
    rows = []
    for path in sorted(glob.glob(os.path.join(out, f"golden_{precision}", "*.compare.json"))):
        try:
            with open(path) as f:
                d = json.load(f)
            rows.append((os.path.basename(path)[:-13], d.get("count_agreement"), d.get("ne_median")))
        except Exception as e:
            rows.append((os.path.basename(path), "error", str(e)[:60]))
    if rows:
        print(precision, " ".join(f"{n[:12]}:{c}/{m}" for n, c, m in rows))
EOF
}

# `startup` (after unpack): the fixed part of a run's time. `devices` (CUDA's start alone), then
# 16 jobs over 16 links to one 3.6 s shared clip, where the start and end weigh most, with and
# without CUDA_MODULE_LOADING=EAGER (every kernel loaded with the context instead of at its
# first launch), then the 2-minute session both ways.
startup() {
  prepare || return 1
  local start
  start=$(date +%s.%N)
  "$HT" devices --models "$CARRY/models" >"$OUT/devices.log" 2>&1
  echo "devices: rc $?, $(python3 -c "import time; print(f'{time.time() - $start:.2f}')") s"
  local session_work=$WORK i
  WORK=/tmp/handtrack-short
  rm -rf "$WORK" && mkdir -p "$WORK"
  for i in $(seq -w 1 "$COPIES"); do ln -s "$CARRY/videos/$SESSION_VIDEO" "$WORK/copy_$i.mp4"; done
  track_rate short_1 cuda --precision fp16
  CUDA_MODULE_LOADING=EAGER track_rate short_eager cuda --precision fp16
  track_rate short_2 cuda --precision fp16
  WORK=$session_work
  CUDA_MODULE_LOADING=EAGER track_rate session_eager cuda --precision fp16
  track_rate session cuda --precision fp16
}

# `agreement` (after unpack): only the agreement runs (PRECISIONS), then RATE_CASES' lines.
agreement() {
  prepare || return 1
  agreement_runs
  printf '%s\n' "${SUMMARY[@]}"
  agreement_table
  RATES=()
  add_rate_cases
}

run() {
  prepare || return 1
  step devices 60 "$HT" devices --models "$CARRY/models"
  if [[ -n ${COMPARE_WITH:-} ]]; then
    # A/B: the CLI of an earlier build ($COMPARE_WITH, carried in .carry/track/bin) against this
    # one, alternately, twice each, on the GPU path only.
    RATES=()
    local round binary
    for round in 1 2; do
      for binary in "$CARRY/bin/$COMPARE_WITH" "$CARRY/bin/handtrack"; do
        HT=$binary
        RATES+=("$(track_rate "rate_$(basename "$binary")_$round" cuda --precision fp16 --hwaccel none)")
      done
    done
    printf '%s\n' "${RATES[@]}"
    return 0
  fi
  agreement_runs
  # Throughput: GPU (with utilisation sampled), then the 16 cores.
  nvidia-smi dmon -s u -d 1 >"$OUT/dmon_cuda.log" 2>&1 &
  local dmon=$!
  RATES=()
  # The issue's command as it stands: --precision auto, fp16 on cuda (as MediaPipe's GPU delegate).
  RATES+=("$(track_rate rate_cuda_default cuda)")
  kill "$dmon" 2>/dev/null
  RATES+=("$(track_rate rate_cuda_fp32 cuda --precision fp32)")
  # The same with the models' inputs made on the host (float32 crops copied up), for comparison.
  # What each part of the GPU path brings: decoding on the CPU, smaller batches, crops on the host.
  RATES+=("$(track_rate rate_cuda_fp16_cpu_decode cuda --precision fp16 --hwaccel none)")
  if [[ -z ${SLIM:-} ]]; then  # SLIM=1: without these three (short of device time)
    RATES+=("$(track_rate rate_cuda_fp16_batch16 cuda --precision fp16 --batch 16)")
    # Not MediaPipe's rule (off by default): palm detection every 8th frame while one hand is missing.
    RATES+=("$(track_rate rate_cuda_fp16_palm_interval8 cuda --precision fp16 --palm-detection-interval 8)")
    RATES+=("$(HANDTRACK_CUDA_PREPROCESS=0 track_rate rate_cuda_fp16_host_preprocess cuda --precision fp16 \
      --hwaccel none)")
  fi
  add_rate_cases  # more lines in the same call, e.g. a setting against its default
  RATES+=("$(track_rate rate_xnnpack xnnpack --threads "$COPIES")")
  # The service's worker on the same sessions (uploaded through `handtrack serve`'s API first).
  RATES+=("$(timeout 500 python3 "$ROOT/scripts/device/worker_rate.py" "$HT" /tmp/handtrack-worker-rate \
    "$WORK"/copy_*.mp4 -- --workers "$COPIES" --delegate cuda --models "$CARRY/models" 2>&1 | tail -n 1)")
  printf '%s\n' "${SUMMARY[@]}" "${RATES[@]}"
  agreement_table
  python3 - "$OUT" <<'EOF'
import os, statistics, sys
out = sys.argv[1]
util = [int(l.split()[1]) for l in open(os.path.join(out, "dmon_cuda.log")) if l.strip() and l.split()[0].isdigit()]
if util:
    print(f"GPU utilisation during the default (fp16) run: median {statistics.median(util)} %, max {max(util)} %, {len(util)} samples")
EOF
}

# `profile` (after unpack): the default GPU case (fp16, 16 copies) with the host's CPU use
# sampled from /proc/stat every 0.5 s: the share of the cores busy, and of them in the kernel
# (the lent machine has no Nsight Systems for a timeline).
profile() {
  prepare || return 1
  local stop=$OUT/cpu.stop
  python3 - "$stop" >"$OUT/cpu.log" 2>&1 </dev/null <<'EOF' &
import os, sys, time
def read():
    fields = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return sum(fields), fields[3] + fields[4], fields[2]
samples = []
last = read()
while not os.path.exists(sys.argv[1]):
    time.sleep(0.5)
    now = read()
    total = now[0] - last[0]
    if total > 0:
        samples.append((1 - (now[1] - last[1]) / total, (now[2] - last[2]) / total))
    last = now
busy = sorted(b for b, _ in samples)
kernel = sorted(k for _, k in samples)
if busy:
    print(f"CPU busy: median {100 * busy[len(busy) // 2]:.0f} %, max {100 * busy[-1]:.0f} % of "
          f"{os.cpu_count()} cores; in the kernel: median {100 * kernel[len(kernel) // 2]:.0f} %; "
          f"{len(samples)} samples")
EOF
  track_rate profile_fp16 cuda --precision fp16
  touch "$stop"
  wait
  cat "$OUT/cpu.log"
}

case ${1:-} in
  bundle) bundle ;;
  pack) pack ;;
  profile) profile ;;
  probe) probe ;;
  unpack) unpack ;;
  run) run ;;
  rates) rates ;;
  agreement) agreement ;;
  startup) startup ;;
  *) echo "usage: $0 bundle|pack|probe|unpack|run|rates|agreement|startup|profile" >&2; exit 2 ;;
esac
