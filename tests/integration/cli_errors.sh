#!/usr/bin/env bash
# Bad input through the CLI gives a one-line error and exit code 1, never a crash:
# corrupt and truncated model files, a wrong input shape, an unknown device or model.
set -u
tandem="$1"
work="$2"
mkdir -p "$work"
failures=0

expect_error() {  # expect_error PATTERN COMMAND...
  local pattern="$1"; shift
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -eq 1 ] && grep -q -- "$pattern" <<<"$out"; then
    echo "ok: $* -> $out"
  else
    echo "FAIL: $* (exit $rc, wanted 1 and /$pattern/): $out"
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

echo "$((7 - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
