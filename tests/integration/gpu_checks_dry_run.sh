#!/usr/bin/env bash
# The GPU machine's prepared script (bench/gpu_checks.sh) runs its `predictors` set
# end to end with two CPU devices standing in for cpu and cuda, narrowed to seconds, so
# that the script cannot rot between the rare sessions lent a GPU: both parts pass and
# bring back the files docs/gpu-checks.md promises. With the real devices and no GPU,
# both parts report themselves skipped.
set -u
tandem="$1"
work="$2"
root="$(cd "$(dirname "$0")/../.." && pwd)"
rm -rf "$work" && mkdir -p "$work/bundle/bin"
ln -s "$tandem" "$work/bundle/bin/tandem"
printf '#!/usr/bin/env bash\nexe=$1; shift\nexec "$(dirname "$0")/bin/$exe" "$@"\n' > "$work/bundle/run"
chmod +x "$work/bundle/run"
failures=0

expect_row() {  # expect_row SUMMARY PART RESULT
  if grep -Eq "^$2 +$3 " "$1"; then echo "ok: $2 $3"; else echo "FAIL: $2 is not $3 in $1:"; cat "$1"; failures=$((failures + 1)); fi
}

GPU_DEVICE=cpu:1 HOST_DEVICE=cpu:0 CHECK_THREADS=1,2 PREDICTOR_MODELS=lenet5 SWEEP_SAMPLE=1 \
  CROSSOVER_ARGS="--layers fc --params f_in --quick" "$root/bench/gpu_checks.sh" "$work/bundle" "$work/out" predictors
expect_row "$work/out/summary.txt" crossover pass
expect_row "$work/out/summary.txt" predictors pass
for file in summary.txt env.log crossover.log crossover.json crossover-svg.tar.gz predictors.log predictors.tar.gz; do
  [ -s "$work/out/$file" ] || { echo "FAIL: $file missing"; failures=$((failures + 1)); }
done
tar -tzf "$work/out/predictors.tar.gz" | grep -q "predictors/fit-sweep.json" ||
  { echo "FAIL: predictors.tar.gz lacks fit-sweep.json"; failures=$((failures + 1)); }
grep -q "fit-sweep: cpu:1 within 10%" "$work/out/summary.txt" ||
  { echo "FAIL: no fit figure in the summary"; failures=$((failures + 1)); }

if ! "$tandem" devices | awk '$1 == "cuda" && $3 == "yes" { found = 1 } END { exit !found }'; then
  "$root/bench/gpu_checks.sh" "$work/bundle" "$work/skipped" predictors
  expect_row "$work/skipped/summary.txt" crossover skipped
  expect_row "$work/skipped/summary.txt" predictors skipped
fi

"$root/bench/gpu_checks.sh" "$work/bundle" "$work/bad" nonsense 2> "$work/bad.err"
[ $? -eq 2 ] && grep -q "unknown set" "$work/bad.err" || { echo "FAIL: an unknown set is not a usage error"; failures=$((failures + 1)); }

echo "gpu_checks dry run: $failures failure(s)"
[ "$failures" -eq 0 ]
