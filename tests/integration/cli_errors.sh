#!/usr/bin/env bash
# Bad input through the CLI gives a one-line error and exit code 1, never a crash:
# corrupt and truncated model files, a wrong input shape, a batch too large for memory,
# an unknown device or model,
# and the cuda device where it is not usable (no GPU, or built without CUDA). Also:
# `tandem devices` lists cuda, and where cuda is usable, `run --device cuda` works.
# Profiles and predictors: corrupt files, unknown devices and bad options are errors
# too, and a small profile -> fit -> predict round trip works (a profile that predates a
# node feature is named, and measured again as a cache); `sweep --sample` writes
# random layers into a profile. `bench --compare`
# rejects an unknown device and compares lenet5 on cpu:0, cpu:1 and auto. Usage errors
# (an unknown option, a missing argument) exit with code 2 and the parser's message.
set -u
tandem="$1"
work="$2"
mkdir -p "$work"
failures=0
checks=0

expect_exit() {  # expect_exit CODE PATTERN COMMAND...: fails unless it exits with CODE and prints PATTERN
  local code="$1" pattern="$2"; shift 2
  local out rc
  out=$("$@" 2>&1); rc=$?
  checks=$((checks + 1))
  if [ "$rc" -eq "$code" ] && grep -q -- "$pattern" <<<"$out"; then
    echo "ok: $* -> $out"
  else
    echo "FAIL: $* (exit $rc, wanted $code and /$pattern/): $out"
    failures=$((failures + 1))
  fi
}

expect_error() { expect_exit 1 "$@"; }        # expect_error PATTERN COMMAND...
expect_usage_error() { expect_exit 2 "$@"; }  # the parser's message for a usage error

expect_success() {  # expect_success PATTERN COMMAND...
  local pattern="$1"; shift
  local out rc
  out=$("$@" 2>&1); rc=$?
  checks=$((checks + 1))
  if [ "$rc" -eq 0 ] && grep -q -- "$pattern" <<<"$out"; then
    echo "ok: $*"
  else
    echo "FAIL: $* (exit $rc, wanted 0 and /$pattern/): $out"
    failures=$((failures + 1))
  fi
}

printf 'definitely not a protobuf \x01\x02\x03' > "$work/corrupt.onnx"
: > "$work/empty.onnx"
"$tandem" zoo export lenet5 -o "$work/lenet5.onnx" >/dev/null
head -c 20000 "$work/lenet5.onnx" > "$work/truncated.onnx"
"$tandem" run lenet5 --output "$work/logits.npy" >/dev/null

expect_error "invalid model" "$tandem" run "$work/corrupt.onnx"
expect_error "invalid model" "$tandem" run "$work/empty.onnx"
expect_error "invalid model" "$tandem" run "$work/truncated.onnx"
expect_error "cannot open\|no such\|not found" "$tandem" run "$work/missing.onnx"
expect_error "must have shape" "$tandem" run lenet5 --input "$work/logits.npy"
expect_error "unknown device" "$tandem" run lenet5 --device tpu
expect_error "not a .npy" "$tandem" run lenet5 --input "$work/corrupt.onnx"
expect_error "value 'input' .* needs .* GB, more than the device" "$tandem" run lenet5 --batch 100000000000
expect_error "value 'input' .* needs .* GB, more than the device" "$tandem" run lenet5 --device reference --batch 100000000000

# cuda: listed whether or not it was built; unusable gives the reason, usable runs.
expect_success "^cuda " "$tandem" devices
if "$tandem" devices | grep -q "^cuda  *yes  *yes "; then
  expect_success "latency on cuda" "$tandem" run lenet5 --device cuda
  expect_success "latency on cuda" "$tandem" run lenet5 --device cuda --tf32 --no-cuda-graphs
else
  expect_error "invalid input: .*'cuda'" "$tandem" run lenet5 --device cuda
  expect_error "invalid input: .*'cuda:1'" "$tandem" bench lenet5 --device cuda:1 --tf32
fi

# profile -> fit -> predict, and their errors.
expect_success "measured" "$tandem" profile lenet5 --devices cpu,cuda --batch 1 --repeats 3 --min-seconds 0.05 \
  -o "$work/profile.json"
expect_success "predictor written" "$tandem" fit "$work/profile.json" -o "$work/predictor.json" --no-eval
expect_success "sum of node times" "$tandem" predict lenet5 -p "$work/predictor.json" --device cpu --load 0
expect_error "invalid input" "$tandem" fit "$work/corrupt.onnx" -o "$work/p.json"
# A profile written before a node feature existed: fit says so, profile measures its runs again.
sed '/"input_reuse_bytes":/d' "$work/profile.json" > "$work/before_feature.json"
expect_success "before the feature(s) input_reuse_bytes" "$tandem" fit "$work/before_feature.json" \
  -o "$work/p.json" --no-eval
expect_success "dropped its [0-9]* run(s) to measure them again" "$tandem" profile lenet5 --repeats 3 --min-seconds 0.05 \
  -o "$work/before_feature.json"
expect_error "invalid input" "$tandem" predict lenet5 -p "$work/corrupt.onnx" --device cpu
expect_error "unknown device" "$tandem" profile lenet5 --devices tpu -o "$work/bad.json"
echo '{"format": "tandem-profile", "version": 1, "devices": {}, "runs": [], "links": []}' > "$work/old.json"
expect_success "older tandem" "$tandem" profile lenet5 --repeats 3 --min-seconds 0.05 -o "$work/old.json"
expect_usage_error "no-such-option" "$tandem" profile lenet5 --no-such-option -o "$work/bad.json"
expect_usage_error "output is required" "$tandem" profile lenet5
expect_error "interleave must be at least 1" "$tandem" profile lenet5 --interleave 0 -o "$work/bad.json"
expect_success "taking turns" "$tandem" profile lenet5 --devices cpu:0,cpu:1 --batch 1,2 --repeats 3 --min-seconds 0.05 \
  --interleave 4 --force -o "$work/turns.json"
expect_error "cannot write" "$tandem" profile lenet5 -o "$work/no/such/dir/p.json"
# --all-runs: the medians come from every timed run.
expect_success "measured" "$tandem" profile lenet5 --all-runs --repeats 3 --min-seconds 0 -o "$work/all_runs.json"
expect_success '"quiet_repeats": 3' cat "$work/all_runs.json"

# sweep --sample: random layers into a profile that fit trains on; bad counts are usage errors.
expect_success "added 2 sweep runs" "$tandem" sweep --devices cpu --sample 1 --seed 5 --layers fc,bn --min-time 0.01 \
  -o "$work/sampled.csv" --profile "$work/sampled.json"
expect_success "fc,[0-9]" cat "$work/sampled.csv"
# Held-out predictions as CSV: a sweep's source holds commas, so it is quoted.
expect_success "predictor written" "$tandem" fit "$work/profile.json" "$work/sampled.json" -o "$work/p2.json" \
  --holdout-share 0.9 --floor-us 0 --predictions "$work/predictions.csv"
expect_success '^shape_holdout,cpu,[A-Za-z]*,"sweep/[a-z]*/batch=[0-9]*,[^"]*",' cat "$work/predictions.csv"
expect_usage_error "sample" "$tandem" sweep --sample 0 -o "$work/sampled.csv"
expect_usage_error "excludes" "$tandem" sweep --sample 2 --quick -o "$work/sampled.csv"

# plan: a placement over two cpu devices from that predictor, and its errors.
expect_success "predicted end to end" "$tandem" plan lenet5 --devices cpu:0,cpu:1 -p "$work/predictor.json" \
  -o "$work/plan.json" --svg "$work/plan.svg" --explain
expect_success '"format": "tandem-plan"' cat "$work/plan.json"
expect_success "plan table (2 batch sizes)" "$tandem" plan lenet5 --devices cpu:0,cpu:1 -p "$work/predictor.json" \
  --batch 1,2 -o "$work/plans.json" --explain
expect_success "plan written" "$tandem" plan lenet5 --devices cpu:0,cpu:1 -p "$work/predictor.json" \
  --profile "$work/turns.json" -o "$work/plan_measured.json"
expect_success "profiled nodes' measured times" cat "$work/plan_measured.json"
expect_error "cannot read profile" "$tandem" plan lenet5 --devices cpu:0,cpu:1 -p "$work/predictor.json" \
  --profile "$work/no_such_profile.json"
expect_success "latency with plan" "$tandem" run lenet5 --plan "$work/plan.json" --output "$work/planned.npy"
expect_success "latency with plan" "$tandem" run lenet5 --plan "$work/plans.json" --batch 2
expect_error "invalid input" "$tandem" run lenet5 --plan "$work/corrupt.onnx"
expect_error "has no node" "$tandem" run alexnet --plan "$work/plan.json"
expect_success "predicted start" "$tandem" run lenet5 --plan "$work/plan.json" --layers --layer-runs 3
expect_success "plan(cpu:0,cpu:1)" "$tandem" bench lenet5 --plan "$work/plan.json" --repeats 5
expect_success "plan(cpu:0,cpu:1)  2" "$tandem" bench lenet5 --plan "$work/plans.json" --batch 2 --repeats 5
expect_error "invalid input" "$tandem" bench lenet5 --plan "$work/corrupt.onnx"
expect_success "latency with the auto plan" "$tandem" run lenet5 --device auto --devices cpu:0,cpu:1 \
  --profile "$work/auto.json"
expect_success "auto(cpu:0,cpu:1)" "$tandem" bench lenet5 --device auto --devices cpu:0,cpu:1 --profile "$work/auto.json" \
  --repeats 20
expect_error "unknown device" "$tandem" run lenet5 --device auto --devices cpu,tpu --profile "$work/auto.json"
expect_error "unknown device" "$tandem" plan lenet5 --devices cpu,tpu -p "$work/predictor.json" -o "$work/x.json"
expect_error "strategy" "$tandem" plan lenet5 --devices cpu:0,cpu:1 -p "$work/predictor.json" --strategy magic \
  -o "$work/x.json"
expect_error "strategy" "$tandem" bench lenet5 --device auto --devices cpu:0,cpu:1 --profile "$work/auto.json" \
  --strategy magic
expect_success "auto(cpu:0,cpu:1)" "$tandem" bench lenet5 --device auto --devices cpu:0,cpu:1 --split-cores \
  --strategy heft --profile "$work/auto.json" --repeats 5
expect_error "expected DEVICE=CORES" "$tandem" run lenet5 --device cpu:1 --cores 2-3
expect_error "not among the devices" "$tandem" run lenet5 --device cpu:1 --cores cpu:0=0
expect_error "not one of this machine's cores" "$tandem" run lenet5 --device cpu:1 --cores cpu:1=4095

# bench --compare: an unknown device is an error; a tiny lenet5 comparison works.
expect_error "unknown device" "$tandem" bench --compare cpu:0,tpu,auto lenet5 --batch 1 --profile "$work/auto.json"
expect_error "besides auto" "$tandem" bench --compare auto lenet5 --batch 1 --profile "$work/auto.json"
expect_success "auto/oracle" "$tandem" bench --compare cpu:0,cpu:1,auto lenet5 --batch 1 --profile "$work/auto.json" \
  --threads 1 --repeats 5 --warmup 1 --oracle-budget 0.5 --json "$work/compare.json" --markdown "$work/compare.md"
expect_success '"auto_over_oracle"' cat "$work/compare.json"
expect_success "| lenet5 | 1 |" cat "$work/compare.md"

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
