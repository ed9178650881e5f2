#!/usr/bin/env bash
# The one prepared script for the GPU machine: every check of the cuda backend that
# needs a GPU, in one go, in about 9 minutes (each part has its own time limit).
#
#   bench/gpu_checks.sh BUNDLE_DIR OUT_DIR       (from the repository root)
#
# BUNDLE_DIR holds the executables unit_tests, onnx_node_tests and tandem packed by
# ../shared/device/bundle.sh (run as BUNDLE_DIR/run EXE ARGS...), and, for the ONNX node
# tests, onnx-testdata.tar.xz (libonnx-testdata's data/ folder; docs/gpu-checks.md).
# Parts, each with its full log OUT_DIR/<part>.log:
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
# A summary table is printed last and kept in OUT_DIR/summary.txt. At most 8 files go
# to OUT_DIR; scratch files go to a temporary folder.
#
# Environment: PYTHON (default python3, with torch, torchvision, onnx, onnxruntime),
# BENCH_ARGS (replaces the PyTorch benchmark's default scope, e.g. "--configs
# eager,graphs,compile --models resnet18"), HETERO_ARGS (the same for the
# heterogeneous one), and the limits in seconds UNIT_S, NODE_S, ZOO_S, ZOO_TF32_S,
# BENCH_S (defaults 100, 60, 90, 60, 220: with env's 20, 9 minutes).
set -u -o pipefail

[ $# -eq 2 ] || { echo "usage: $0 BUNDLE_DIR OUT_DIR" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
bundle=$(cd "$1" && pwd) || exit 2
mkdir -p "$2" && out=$(cd "$2" && pwd) || exit 2
[ -x "$bundle/run" ] || { echo "$bundle/run missing: not a bundle from ../shared/device/bundle.sh" >&2; exit 2; }
python=${PYTHON:-python3}
scratch=$(mktemp -d)
export root bundle out python scratch PYTHONUNBUFFERED=1
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

# Prints the rows of cells separated by '|' as columns padded to their widest cell.
print_columns() {
  awk -F'|' '{ for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > width[i]) width[i] = length($i) }
               if (NF > columns) columns = NF }
             END { for (r = 1; r <= NR; r++) { line = ""
                     for (i = 1; i <= columns; i++) line = line sprintf("%-" width[i] + 2 "s", cell[r, i])
                     sub(/ +$/, "", line); print line } }'
}

export -f environment node_test_data node_tests zoo bench
run_part env 20 "^cuda " environment
run_part unit "${UNIT_S:-100}" "\[  PASSED  \] [0-9]|\[  SKIPPED \] [0-9]|FAILED TESTS" \
  "$bundle/run" unit_tests --gtest_color=no \
  --gtest_filter='Cuda*:*OpHarness*/cuda_*:OpHarnessCoverage.*'
run_part node "${NODE_S:-60}" "^total:|no test ran|skipped|no ONNX node test data" node_tests
run_part zoo "${ZOO_S:-90}" "runs pass|skipped" zoo zoo_strict --tolerance 1e-4
run_part zoo_tf32 "${ZOO_TF32_S:-60}" "runs pass|skipped" zoo zoo_tf32 --tf32 --tolerance 3e-3 --batches 4
run_part bench "${BENCH_S:-220}" "^wrote|^total|Error|not usable|cells" bench

echo
printf '%s\n' "${summary[@]}" | print_columns | tee "$out/summary.txt"
