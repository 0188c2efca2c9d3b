#!/usr/bin/env bash
# Per-kernel GPU time of the full models at small batches, on the lent GPU machine, where the
# 16-session `track` run spends its GPU time (runs of 5-10 frames; docs/CUDA.md, "Palm outputs
# without copies, and what bounds 16 sessions").
#
#   here:     QUICK_BUILD=build bash scripts/device/gpu_quick_check.sh bundle
#   run tool: command "bash scripts/device/track_check.sh unpack && bash scripts/device/kernel_profile.sh",
#             carry [".carry/track-libs", ".carry/quick"]
#
# Nsight Compute (`ncu`, on that machine) times every kernel of cuda_model_timing's runs
# (`--clock-control none --metrics gpu__time_duration.sum`: one kernel at a time with the caches
# flushed, so the sums are above a graph replay's time, but their shares say which kernels to
# shorten). BATCHES (default "8") and PRECISION (default fp16) choose the runs; per model and
# batch it prints each kernel family's share, launches per run and microseconds per launch.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
QUICK=$ROOT/.carry/quick
OUT=${OUT:-/tmp/kernel_profile}
mkdir -p "$OUT"
tar -C "$QUICK" -xJf "$QUICK/quick.tar.xz"
export HANDTRACK_MODELS=$QUICK/models
if [[ -e /tmp/handtrack-root/.complete ]]; then
  export LD_LIBRARY_PATH=/tmp/handtrack-root/usr/lib/x86_64-linux-gnu:/tmp/handtrack-root/lib/x86_64-linux-gnu
fi
NCU=$(command -v ncu || echo /usr/local/cuda/bin/ncu)
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for model in hand_landmark_full palm_detection_full; do
  for batch in ${BATCHES:-8}; do
    log=$OUT/${model}_b${batch}.csv
    # --warmup 0 --iters 1: the first run, one timed run and the kernels-only replays.
    timeout 240 "$NCU" --csv --clock-control none --metrics gpu__time_duration.sum \
      "$QUICK/bin/cuda_model_timing" --delegate cuda --model "$model" --batch "$batch" \
      --precision "${PRECISION:-fp16}" --warmup 0 --iters 1 >"$log" 2>"$OUT/${model}_b${batch}.err"
    echo "== $model, batch $batch, ${PRECISION:-fp16} (ncu rc $?)"
    python3 - "$log" <<'EOF'
import collections, csv, re, sys
rows = [r for r in csv.reader(open(sys.argv[1])) if len(r) > 10]
if len(rows) < 3:
    print("  no kernel rows")
    sys.exit()
header, body = rows[0], rows[1:]
name_at, unit_at, value_at = header.index("Kernel Name"), header.index("Metric Unit"), header.index("Metric Value")
scale = {"ns": 1e-3, "nsecond": 1e-3, "us": 1.0, "usecond": 1.0, "ms": 1e3, "msecond": 1e3}
def family(row):
    return re.sub(r"\(.*", "", row[name_at]).replace("void ", "").replace("unnamed>::", "").strip()
# The runs (the first, the timed one, and the kernels-only replays) all start with the model's
# first step, the kernel after the input's conversion: count those.
runs = sum(1 for r in body if family(r) == family(body[1]))
families = collections.defaultdict(lambda: [0, 0.0])
for r in body:
    families[family(r)][0] += 1
    families[family(r)][1] += float(r[value_at].replace(",", "")) * scale.get(r[unit_at], 1.0)
total = sum(t for _, t in families.values())
print(f"  {len(body) / runs:.0f} kernels per run, {total / runs:.0f} us per run ({runs} runs; serialised, caches flushed)")
for name, (count, us) in sorted(families.items(), key=lambda kv: -kv[1][1])[:12]:
    print(f"  {100 * us / total:5.1f} %  {count / runs:5.1f} x {us / count:6.1f} us  {name[:90]}")
EOF
  done
done
