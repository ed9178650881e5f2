#!/usr/bin/env bash
# The prepared scripts for the GPU machine: every check that needs a GPU, in two sets
# of about 9 minutes each (one set per call; each part has its own time limit).
#
#   bench/gpu_checks.sh BUNDLE_DIR OUT_DIR [SET]       (from the repository root)
#
# BUNDLE_DIR holds the executables unit_tests, onnx_node_tests and tandem packed by
# ../shared/device/bundle.sh (run as BUNDLE_DIR/run EXE ARGS...), and, for the ONNX node
# tests, onnx-testdata.tar.xz (libonnx-testdata's data/ folder; docs/gpu-checks.md).
# SET `backend` (the default): the cuda backend and the heterogeneous benchmark.
#   env        nvidia-smi, `tandem devices`, the Python packages
#   unit       unit tests Cuda* and the op harness on cuda
#   node       ONNX node tests on cuda
#   zoo        zoo models vs onnxruntime on cuda, strict float32 (1e-4), batch 1 and 4
#   zoo_tf32   the same with --tf32 (3e-3), batch 4
#   bench      bench/compare_pytorch_cuda.py (eager and CUDA graphs, one round, to fit
#              the time; torch.compile compiles per model, batch and precision, which
#              takes longer than all of this), then bench/compare_devices.py (cpu, cuda
#              and auto with the measured oracle on lenet5, alexnet and resnet18 at
#              batch 1 and 4); their tables go into OUT_DIR/benchmarks.md (a copy of
#              docs/benchmarks.md; copy it back to keep the sections)
# SET `predictors`: the layer study and the predictors on cuda (issue 4).
#   env        as above
#   crossover  `tandem crossover --devices cpu,cuda` over every default layer and
#              parameter; OUT_DIR/crossover.json and crossover-svg.tar.gz (the plots)
#   predictors `tandem profile` of the 9 zoo models on cuda at batch 1, 2, 4 and 8 (the
#              host<->GPU link fit included), `tandem sweep --devices cuda --sample 40`
#              added to a copy, and `tandem fit` on both; OUT_DIR/predictors.tar.gz holds
#              the profiles, the sweep table and both fit reports, for refitting later
#              on any machine
# A summary table is printed last and kept in OUT_DIR/summary.txt. At most 8 files go
# to OUT_DIR; scratch files go to a temporary folder.
#
# Environment: PYTHON (default python3, with torch, torchvision, onnx, onnxruntime),
# BENCH_ARGS (replaces the PyTorch benchmark's default scope, e.g. "--configs
# eager,graphs,compile --models resnet18"), HETERO_ARGS (the same for the
# heterogeneous one), and the limits in seconds UNIT_S, NODE_S, ZOO_S, ZOO_TF32_S,
# BENCH_S (defaults 100, 60, 90, 60, 220: with env's 20, 9 minutes), CROSSOVER_S,
# PREDICTORS_S (defaults 200, 330). Narrowing the `predictors` set: PREDICTOR_MODELS
# (default: the whole zoo; names separated by spaces), SWEEP_SAMPLE (random layers per
# kind, default 40), CROSSOVER_ARGS (e.g. "--layers fc --quick"). For a dry run of that
# set on a machine without a GPU: GPU_DEVICE=cpu:1 HOST_DEVICE=cpu:0 CHECK_THREADS=1,2
# (two CPU devices stand in for cpu and cuda; tests/integration/gpu_checks_dry_run.sh).
set -u -o pipefail

[ $# -eq 2 ] || [ $# -eq 3 ] || { echo "usage: $0 BUNDLE_DIR OUT_DIR [backend|predictors]" >&2; exit 2; }
set_name=${3:-backend}
case $set_name in backend | predictors) ;; *) echo "unknown set '$set_name': backend or predictors" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
bundle=$(cd "$1" && pwd) || exit 2
mkdir -p "$2" && out=$(cd "$2" && pwd) || exit 2
[ -x "$bundle/run" ] || { echo "$bundle/run missing: not a bundle from ../shared/device/bundle.sh" >&2; exit 2; }
python=${PYTHON:-python3}
scratch=$(mktemp -d)
gpu=${GPU_DEVICE:-cuda} host=${HOST_DEVICE:-cpu} threads=${CHECK_THREADS:-}
export root bundle out python scratch gpu host threads PYTHONUNBUFFERED=1
trap 'rm -rf "$scratch"' EXIT

# The bundled tandem as one executable path, for the Python scripts.
printf '#!/usr/bin/env bash\nexec "%s/run" tandem "$@"\n' "$bundle" > "$scratch/tandem"
chmod +x "$scratch/tandem"

summary=("part|result|seconds|detail")

# The CUDA libraries tandem needs that neither the bundle nor the machine's toolkit
# folder (where bundle.sh's run script looks) provides.
cuda_libraries_missing() {
  local cuda_lib
  cuda_lib=$(dirname "$(command -v nvcc 2>/dev/null || echo /nonexistent/bin/nvcc)")/../lib64
  LD_LIBRARY_PATH="$bundle/lib:$cuda_lib:${LD_LIBRARY_PATH:-}" ldd "$bundle/bin/tandem" | awk '/not found/ {print $1}'
}

# Where cuDNN or cuBLAS come only with PyTorch's wheels (nvidia/*/lib), use those.
if [ -n "$(cuda_libraries_missing)" ]; then
  wheel_libs=$("$python" -c 'import glob, os, nvidia
print(":".join(sorted({os.path.dirname(p) for d in nvidia.__path__ for p in glob.glob(d + "/*/lib/lib*.so*")})))' \
    2>/dev/null)
  echo "libraries missing for tandem: $(cuda_libraries_missing | tr '\n' ' ')- adding PyTorch's: ${wheel_libs:-none found}"
  export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$wheel_libs"
fi

# run_part NAME SECONDS DETAIL_PATTERN COMMAND...: runs COMMAND (a program or one of
# the functions below) under a time limit with its output in OUT_DIR/NAME.log; the
# summary row gets the last line matching DETAIL_PATTERN. Exit 77 means skipped (the
# device is not usable).
run_part() {
  local name=$1 limit=$2 pattern=$3; shift 3
  local log="$out/$name.log" start rc result detail
  echo "== $name (limit ${limit} s): $*"
  start=$(date +%s)
  timeout --kill-after=15 "$limit" bash -c '"$@"' run_part "$@" > "$log" 2>&1
  rc=$?
  case $rc in
    0) result=pass ;;
    77) result=skipped ;;
    124 | 137) result="TIMEOUT" ;;
    *) result="FAIL (exit $rc)" ;;
  esac
  detail=$(grep -E -- "$pattern" "$log" | tail -n 1 | cut -c 1-110)
  summary+=("$name|$result|$(($(date +%s) - start))|${detail:-see $name.log}")
  echo "   $result"
}

environment() {
  nvidia-smi || echo "nvidia-smi not available"
  echo
  echo "tandem's CUDA libraries (none may be 'not found'):"
  local cuda_lib
  cuda_lib=$(dirname "$(command -v nvcc 2>/dev/null || echo /nonexistent/bin/nvcc)")/../lib64
  LD_LIBRARY_PATH="$bundle/lib:$cuda_lib:${LD_LIBRARY_PATH:-}" ldd "$bundle/bin/tandem" | grep -E "cud|cublas|not found"
  echo
  "$bundle/run" tandem devices
  echo
  "$python" -c 'import torch, torchvision, onnx, onnxruntime
print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version())
print("torchvision", torchvision.__version__, "onnx", onnx.__version__, "onnxruntime", onnxruntime.__version__)'
}

# ONNX node test data: the bundle's archive, else the system's libonnx-testdata.
node_test_data() {
  if [ -f "$bundle/onnx-testdata.tar.xz" ]; then
    tar -C "$scratch" -xJf "$bundle/onnx-testdata.tar.xz" && echo "$scratch/data"
  elif [ -d /usr/share/libonnx-testdata/data ]; then
    echo /usr/share/libonnx-testdata/data
  fi
}

node_tests() {
  local data
  data=$(node_test_data)
  if [ -z "$data" ]; then
    echo "no ONNX node test data: put onnx-testdata.tar.xz into the bundle (docs/gpu-checks.md)"
    return 3
  fi
  "$bundle/run" onnx_node_tests --device cuda \
    --data "$data/node" --data "$data/pytorch-converted" --data "$data/pytorch-operator"
}

zoo() {  # zoo WORKDIR [ARGS...]
  local workdir=$1; shift
  "$python" "$root/tests/conformance/zoo_vs_onnxruntime.py" --tandem "$scratch/tandem" --devices cuda \
    --workdir "$scratch/$workdir" "$@"
}

bench() {
  cp "$root/docs/benchmarks.md" "$out/benchmarks.md"
  # shellcheck disable=SC2086  # BENCH_ARGS is a list of options
  "$python" "$root/bench/compare_pytorch_cuda.py" --tandem "$scratch/tandem" --doc "$out/benchmarks.md" \
    ${BENCH_ARGS:---configs eager,graphs --rounds 1 --repeats 30 --warmup 5}
  local rc=$?
  # The heterogeneous benchmark (issue 5): cpu, cuda and auto with the measured oracle.
  # shellcheck disable=SC2086  # HETERO_ARGS is a list of options
  "$python" "$root/bench/compare_devices.py" --tandem "$scratch/tandem" --compare cpu,cuda,auto \
    --profile "$scratch/hetero-profile.json" --out "$out/benchmarks.md" \
    ${HETERO_ARGS:---models lenet5,alexnet,resnet18 --batches 1,4 --oracle-budget 2 --repeats 10 --warmup 2}
  return $((rc ? rc : $?))
}

# Exits 77 (skipped) unless every device named is usable here (`tandem devices`).
require_usable() {
  local device backend
  for device in "$@"; do
    backend=${device%%:*}
    "$bundle/run" tandem devices | awk -v b="$backend" '$1 == b && $2 == "yes" && $3 == "yes" { found = 1 } END { exit !found }' ||
      { echo "device $device is not usable here:"; "$bundle/run" tandem devices; exit 77; }
  done
}

# The --threads option of the parts that compare or profile CPU devices, when set.
thread_option() { [ -n "$threads" ] && echo "--threads $threads"; }

crossover() {
  require_usable "$host" "$gpu"
  # shellcheck disable=SC2046,SC2086  # thread_option and CROSSOVER_ARGS are lists of options
  "$bundle/run" tandem crossover --devices "$host,$gpu" $(thread_option) ${CROSSOVER_ARGS:-} \
    --svg-dir "$scratch/crossover" --json "$out/crossover.json"
  local rc=$?
  tar -C "$scratch" -czf "$out/crossover-svg.tar.gz" crossover && echo "plots: crossover-svg.tar.gz ($(ls "$scratch/crossover" | wc -l) files)"
  return $rc
}

predictors() {
  require_usable "$gpu"
  local dir="$scratch/predictors" models
  mkdir -p "$dir"
  models=${PREDICTOR_MODELS:-$("$bundle/run" tandem zoo list | awk 'NR > 1 { print $1 }')}
  # shellcheck disable=SC2086  # the zoo's names, one word each
  "$bundle/run" tandem profile $models --devices "$gpu" --batch 1,2,4,8 -o "$dir/profile.json" || return
  "$bundle/run" tandem fit "$dir/profile.json" -o "$dir/predictor.json" --json "$dir/fit-profile.json" || return
  cp "$dir/profile.json" "$dir/profile-sweep.json"
  "$bundle/run" tandem sweep --devices "$gpu" --sample "${SWEEP_SAMPLE:-40}" -o "$dir/sweep.csv" --profile "$dir/profile-sweep.json" || return
  "$bundle/run" tandem fit "$dir/profile-sweep.json" -o "$dir/predictor-sweep.json" --json "$dir/fit-sweep.json"
  local rc=$?
  tar -C "$scratch" -czf "$out/predictors.tar.gz" predictors
  for report in fit-profile fit-sweep; do
    "$python" -c 'import json, sys
path, report, device = sys.argv[1:]
d = json.load(open(path))["devices"][device]
print("{}: {} within 10%: {:.1f}%, within 20%: {:.1f}%, MAPE {:.1f}%".format(
    report, device, 100 * d["within_10pct"], 100 * d["within_20pct"], d["mape"]))' \
      "$dir/$report.json" "$report" "$gpu"
  done
  return $rc
}

# Prints the rows of cells separated by '|' as columns padded to their widest cell.
print_columns() {
  awk -F'|' '{ for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > width[i]) width[i] = length($i) }
               if (NF > columns) columns = NF }
             END { for (r = 1; r <= NR; r++) { line = ""
                     for (i = 1; i <= columns; i++) line = line sprintf("%-" width[i] + 2 "s", cell[r, i])
                     sub(/ +$/, "", line); print line } }'
}

export -f environment node_test_data node_tests zoo bench require_usable thread_option crossover predictors
run_part env 20 "^cuda " environment
if [ "$set_name" = backend ]; then
  run_part unit "${UNIT_S:-100}" "\[  PASSED  \] [0-9]|\[  SKIPPED \] [0-9]|FAILED TESTS" \
    "$bundle/run" unit_tests --gtest_color=no \
    --gtest_filter='Cuda*:*OpHarness*/cuda_*:OpHarnessCoverage.*'
  run_part node "${NODE_S:-60}" "^total:|no test ran|skipped|no ONNX node test data" node_tests
  run_part zoo "${ZOO_S:-90}" "runs pass|skipped" zoo zoo_strict --tolerance 1e-4
  run_part zoo_tf32 "${ZOO_TF32_S:-60}" "runs pass|skipped" zoo zoo_tf32 --tf32 --tolerance 3e-3 --batches 4
  run_part bench "${BENCH_S:-220}" "^wrote|^total|Error|not usable|cells" bench
else
  run_part crossover "${CROSSOVER_S:-200}" "^plots|not usable|^tandem:" crossover
  run_part predictors "${PREDICTORS_S:-330}" "^fit-|not usable|^tandem:" predictors
fi

echo
printf '%s\n' "${summary[@]}" | print_columns | tee "$out/summary.txt"
