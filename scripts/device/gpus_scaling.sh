#!/usr/bin/env bash
# Sessions/s of `handtrack track --gpus` with 1, 2, 4 and 8 GPUs (as many as the machine has)
# on the same set of sessions, in one call: issue 14's scaling measurement (docs/CUDA.md,
# "Several GPUs"). Runs on the lent GPU machine after track_check.sh's packages are unpacked
# (the CLI needs FFmpeg there), from the same .carry/track bundle:
#
#   scripts/device/track_check.sh bundle                     # here
#   run tool: "bash scripts/device/track_check.sh unpack", carry [".carry/track-libs"],
#             kind nvidia-h200-x8 (or -x2, -x4; one GPU works too: the 1-GPU row alone)
#   run tool, while the machine is held: "bash scripts/device/gpus_scaling.sh",
#             carry [".carry/track"], timeout_s 600
#
# The sessions: SESSIONS (default 16 per GPU of the largest row) copies of the 2-minute
# session video of track_check.sh; every row runs all of them with --jobs 16 x GPUs (16 jobs
# fill one GPU's batches, issue 13), fp16, frames decoded on the CPU (--hwaccel none: NVDEC
# downloads cost more than they save at 640x480, docs/CUDA.md). sessions/s = sessions / wall
# seconds of the whole command (model loading included); scaling = rate / (rate of 1 GPU x
# GPUs), aiming at 0.9 or more. HT=PATH runs another CLI binary (set LD_LIBRARY_PATH yourself).
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
CARRY=$ROOT/.carry/track
DEVICE_ROOT=/tmp/handtrack-root
OUT=${OUT:-/tmp/gpus_scaling}
mkdir -p "$OUT"
if [[ -z ${HT:-} ]]; then
  if [[ ! -e $DEVICE_ROOT/.complete ]]; then
    echo "failed to run: $DEVICE_ROOT is not there; run 'track_check.sh unpack' first on the same machine" >&2
    exit 1
  fi
  export LD_LIBRARY_PATH=$DEVICE_ROOT/usr/lib/x86_64-linux-gnu:$DEVICE_ROOT/lib/x86_64-linux-gnu
  HT=$CARRY/bin/handtrack
fi
MODELS=${MODELS:-$CARRY/models}
SESSION=${SESSION:-$CARRY/session.mp4}
JOBS_PER_GPU=${JOBS_PER_GPU:-16}
PRECISION=${PRECISION:-fp16}

gpus=$(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null | wc -l)
nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader 2>/dev/null
"$HT" devices --models "$MODELS" >"$OUT/devices.log" 2>&1
cat "$OUT/devices.log"
if [[ $gpus -lt 1 ]]; then
  echo "failed to measure: no GPU (nvidia-smi lists none)" >&2
  exit 1
fi
rows=()
for n in 1 2 4 8; do ((n <= gpus)) && rows+=("$n"); done
largest=${rows[-1]}
SESSIONS=${SESSIONS:-$((JOBS_PER_GPU * largest))}
WORK=/tmp/handtrack-scaling
mkdir -p "$WORK"
for i in $(seq -w 1 "$SESSIONS"); do [[ -e $WORK/s_$i.mp4 ]] || cp "$SESSION" "$WORK/s_$i.mp4"; done

echo "sessions: $SESSIONS copies of $(basename "$SESSION"); --jobs $JOBS_PER_GPU per GPU, $PRECISION"
printf '%-6s %-16s %9s %12s %12s %9s\n' gpus "--gpus" seconds sessions/s frames/s scaling
base=
for n in "${rows[@]}"; do
  list=$(seq -s, 0 $((n - 1)))
  out=$OUT/gpus_$n
  mkdir -p "$out"
  start=$(date +%s.%N)
  timeout 500 "$HT" track --no-progress --gpus "$list" --jobs $((JOBS_PER_GPU * n)) --precision "$PRECISION" \
    --hwaccel none --format csv --output "$out/csv" --summary "$out/summary.json" --models "$MODELS" \
    "$WORK"/s_*.mp4 >"$out/stdout.log" 2>"$out/stderr.log"
  rc=$?
  seconds=$(python3 -c "import time; print(time.time() - $start)")
  line=$(python3 - "$n" "$list" "$rc" "$seconds" "$out/summary.json" "${base:-0}" <<'PY'
import json, sys
n, gpus, rc, seconds, path, base = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5], float(sys.argv[6])
try:
    summary = json.load(open(path))
except Exception as e:
    print(f"{n:<6} {gpus:<16} rc {rc}, no summary ({e})")
    sys.exit()
videos = summary.get("videos", [summary])
failed = sum(1 for v in videos if "error" in v)
frames = sum(v["frames"] for v in videos)
rate = len(videos) / seconds
scaling = f"{rate / (base * n):.2f}" if base > 0 else "1.00"
take_overs = summary.get("engines", {}).get("take_overs", 0)
extra = (f"  ({failed} failed)" if failed else "") + (f"  ({take_overs} take-overs)" if take_overs else "")
print(f"{n:<6} {gpus:<16} {seconds:9.1f} {rate:12.3f} {frames / seconds:12.0f} {scaling:>9}{extra}")
PY
)
  echo "$line"
  [[ -z $base ]] && base=$(awk '{print $4}' <<<"$line")
done
