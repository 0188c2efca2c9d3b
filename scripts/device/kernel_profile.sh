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
# CUDA_SETTINGS="KEY=VALUE ..." passes backend settings to every run (e.g. to profile a kernel
# switched off: cuda.fusion_pooled_residual=0). DETAIL=REGEX adds, per model and batch, the
# limiter metrics of the first DETAIL_COUNT (default 6) kernels whose names match: time, DRAM,
# L1 and L2 throughput, shared-memory bank conflicts, instructions, achieved occupancy.
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
SETTING_ARGS=()
for setting in ${CUDA_SETTINGS:-}; do SETTING_ARGS+=(--cuda-setting "$setting"); done
DETAIL_METRICS=gpu__time_duration.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed,\
l1tex__throughput.avg.pct_of_peak_sustained_active,lts__throughput.avg.pct_of_peak_sustained_elapsed,\
sm__throughput.avg.pct_of_peak_sustained_elapsed,sm__warps_active.avg.pct_of_peak_sustained_active,\
l1tex__data_bank_conflicts_pipe_lsu_mem_shared.sum,smsp__inst_executed.sum,dram__bytes.sum,\
sm__pipe_fma_cycles_active.avg.pct_of_peak_sustained_active,launch__registers_per_thread
# ncu (options "$@") on cuda_model_timing's runs of $model at $batch, CSV into $1.
# --warmup 0 --iters 1: the first run, one timed run and the kernels-only replays.
profile_run() {
  local csv=$1
  shift
  timeout 240 "$NCU" --csv --clock-control none "$@" "$QUICK/bin/cuda_model_timing" --delegate cuda \
    --model "$model" --batch "$batch" --precision "${PRECISION:-fp16}" --warmup 0 --iters 1 \
    "${SETTING_ARGS[@]}" >"$csv" 2>"${csv%.csv}.err"
}
# Prints ncu's CSV ($2): mode "families" sums each kernel family per run, "detail" lists each
# kernel's metrics.
summarise() {
  python3 - "$@" <<'EOF'
import collections, csv, re, sys
mode, path = sys.argv[1], sys.argv[2]
rows = [r for r in csv.reader(open(path)) if len(r) > 10]
# The families count runs from the second kernel row on, so they need two.
if len(rows) < (2 if mode == "detail" else 3):
    print("  no kernel rows")
    sys.exit()
header, body = rows[0], rows[1:]
name_at, value_at = header.index("Kernel Name"), header.index("Metric Value")
def family(row):
    return re.sub(r"\(.*", "", row[name_at]).replace("void ", "").replace("unnamed>::", "").strip()
if mode == "detail":
    id_at, metric_at = header.index("ID"), header.index("Metric Name")
    kernels = collections.OrderedDict()
    for r in body:
        kernels.setdefault(r[id_at], [family(r), {}])[1][r[metric_at]] = r[value_at]
    short = {"gpu__time_duration.sum": "time", "dram__throughput.avg.pct_of_peak_sustained_elapsed": "dram%",
             "l1tex__throughput.avg.pct_of_peak_sustained_active": "l1%",
             "lts__throughput.avg.pct_of_peak_sustained_elapsed": "l2%",
             "sm__throughput.avg.pct_of_peak_sustained_elapsed": "sm%",
             "sm__warps_active.avg.pct_of_peak_sustained_active": "occupancy%",
             "l1tex__data_bank_conflicts_pipe_lsu_mem_shared.sum": "bank_conflicts",
             "smsp__inst_executed.sum": "instructions", "dram__bytes.sum": "dram_bytes",
             "sm__pipe_fma_cycles_active.avg.pct_of_peak_sustained_active": "fma%",
             "launch__registers_per_thread": "registers"}
    for name, metrics in kernels.values():
        print("  " + name[:70])
        print("     " + "  ".join(f"{short.get(k, k)}={v}" for k, v in metrics.items()))
    sys.exit()
unit_at = header.index("Metric Unit")
scale = {"ns": 1e-3, "nsecond": 1e-3, "us": 1.0, "usecond": 1.0, "ms": 1e3, "msecond": 1e3}
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
}
for model in hand_landmark_full palm_detection_full; do
  for batch in ${BATCHES:-8}; do
    log=$OUT/${model}_b${batch}.csv
    profile_run "$log" --metrics gpu__time_duration.sum
    echo "== $model, batch $batch, ${PRECISION:-fp16} ${CUDA_SETTINGS:-} (ncu rc $?)"
    summarise families "$log"
    if [[ -n "${DETAIL:-}" ]]; then
      detail=$OUT/${model}_b${batch}_detail.csv
      profile_run "$detail" --kernel-name "regex:$DETAIL" --launch-count "${DETAIL_COUNT:-6}" \
        --metrics "$DETAIL_METRICS"
      echo "  -- the first ${DETAIL_COUNT:-6} kernels matching $DETAIL (ncu rc $?)"
      summarise detail "$detail"
    fi
  done
done
