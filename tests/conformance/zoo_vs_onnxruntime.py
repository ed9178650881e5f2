#!/usr/bin/env python3
"""Whole-model conformance: every zoo model, exported to ONNX by tandem, run by tandem
(on each device) and by onnxruntime (CPU provider) on the same seeded input.

The error is the max relative error  max|tandem - ort| / max|ort|  over the whole
output; a run passes when it is at most the tolerance (default 1e-4; 3e-3 is the bound
with --tf32, which lets cuda use TF32 tensor cores). Prints a table and the pass count,
and exits non-zero when any run fails. When a requested device's backend is not usable
here (`tandem devices`; e.g. cuda without a GPU) it says why and exits with 77, which
CTest reports as skipped.

Usage: zoo_vs_onnxruntime.py --tandem build/tools/tandem [--models a,b] [--devices
reference,cpu] [--batches 1,4] [--threads 2] [--tolerance 1e-4] [--tf32] [--workdir DIR]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort

EXIT_SKIPPED = 77  # CTest's SKIP_RETURN_CODE for the cuda suites

ZOO_MODELS = ["lenet5", "alexnet", "alexnet_lrn", "vgg16", "resnet18", "resnet50",
              "mobilenetv2", "googlenet", "squeezenet1_1"]


def csv_list(text):
    return [item for item in text.split(",") if item]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tandem", required=True, help="path to the tandem binary")
    p.add_argument("--models", type=csv_list, default=ZOO_MODELS, help="comma-separated zoo models (default: all)")
    p.add_argument("--devices", type=csv_list, default=["reference", "cpu"], help="comma-separated tandem devices")
    p.add_argument("--batches", type=lambda s: [int(b) for b in csv_list(s)], default=[1, 4])
    p.add_argument("--threads", type=int, default=0, help="tandem --threads (0: tandem's default)")
    p.add_argument("--tolerance", type=float, default=1e-4, help="largest allowed max relative error (default 1e-4)")
    p.add_argument("--tf32", action="store_true", help="pass --tf32 to tandem run (cuda: TF32 tensor-core math)")
    p.add_argument("--workdir", help="where models, inputs and outputs go (default: a temporary folder)")
    return p.parse_args()


def run_tandem(tandem, args):
    """Runs tandem; returns (ok, seconds, last line of its error output)."""
    start = time.monotonic()
    proc = subprocess.run([tandem] + args, capture_output=True, text=True)
    seconds = time.monotonic() - start
    lines = (proc.stderr or proc.stdout).strip().splitlines()
    return proc.returncode == 0, seconds, (lines[-1] if lines else f"exit code {proc.returncode}")


def backend_status(tandem):
    """{backend: (usable, detail)} from the first table of `tandem devices`."""
    proc = subprocess.run([tandem, "devices"], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"zoo_vs_onnxruntime: `tandem devices` failed: {(proc.stderr or proc.stdout).strip()}")
    status = {}
    for line in proc.stdout.splitlines()[1:]:
        if not line.strip():
            break
        name, _built, usable, *detail = line.split(None, 3)
        status[name] = (usable == "yes", detail[0] if detail else "")
    return status


def unusable_devices(tandem, devices):
    """'device: why' for each requested device whose backend tandem lists as unusable."""
    status = backend_status(tandem)
    reasons = []
    for device in devices:
        usable, detail = status.get(device.split(":")[0], (True, ""))
        if not usable:
            reasons.append(f"{device}: {detail}")
    return reasons


def onnx_with_batch(model_path, batch):
    """The model's bytes with the batch dimension of its inputs and outputs set to
    `batch` (tandem exports zoo models at batch 1); intermediate shapes are dropped
    so that onnxruntime infers them again."""
    model = onnx.load(model_path)
    for value in list(model.graph.input) + list(model.graph.output):
        dims = value.type.tensor_type.shape.dim
        if dims:
            dims[0].dim_value = batch
    del model.graph.value_info[:]
    return model.SerializeToString()


def ort_session(model_path, batch, threads=0):
    """An onnxruntime CPU session with all graph optimizations, sequential execution
    and, when threads > 0, that many intra-op threads and one inter-op thread."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    if threads > 0:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    return ort.InferenceSession(onnx_with_batch(model_path, batch), options, providers=["CPUExecutionProvider"])


def seeded_input(session, seed):
    """Standard-normal float32 input with the session's input shape."""
    shape = session.get_inputs()[0].shape
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def max_relative_error(got, want):
    return float(np.max(np.abs(got.astype(np.float64) - want)) / max(np.max(np.abs(want)), 1e-30))


def record(rows, row):
    """Keeps a result row and prints it at once (the slow runs show progress)."""
    rows.append(row)
    print_row(row)


def check_model(model, args, workdir, rows):
    model_path = os.path.join(workdir, f"{model}.onnx")
    ok, seconds, message = run_tandem(args.tandem, ["zoo", "export", model, "-o", model_path])
    if not ok:
        record(rows, (model, "-", "export", "-", seconds, f"FAIL: {message}"))
        return
    for batch in args.batches:
        try:
            session = ort_session(model_path, batch)
        except Exception as e:  # onnx or onnxruntime rejects the exported file
            record(rows, (model, batch, "onnxruntime", "-", 0.0, f"FAIL: {type(e).__name__}: {e}"))
            continue
        input_path = os.path.join(workdir, f"{model}_b{batch}_input.npy")
        x = seeded_input(session, seed=1000 * ZOO_MODELS.index(model) + batch)
        np.save(input_path, x)
        want = session.run(None, {session.get_inputs()[0].name: x})[0].astype(np.float64)
        for device in args.devices:
            output_path = os.path.join(workdir, f"{model}_b{batch}_{device.replace(':', '_')}.npy")
            command = ["run", model_path, "--device", device, "--batch", str(batch),
                       "--input", input_path, "--output", output_path]
            if args.threads > 0:
                command += ["--threads", str(args.threads)]
            if args.tf32:
                command.append("--tf32")
            ok, seconds, message = run_tandem(args.tandem, command)
            if not ok:
                record(rows, (model, batch, device, "-", seconds, f"FAIL: {message}"))
                continue
            got = np.load(output_path)
            if got.shape != want.shape:
                record(rows, (model, batch, device, "-", seconds, f"FAIL: shape {got.shape}, expected {want.shape}"))
                continue
            error = max_relative_error(got, want)
            verdict = "pass" if error <= args.tolerance else "FAIL"
            record(rows, (model, batch, device, f"{error:.2e}", seconds, verdict))


def print_row(row):
    model, batch, device, error, seconds, verdict = row
    seconds = f"{seconds:.1f}" if isinstance(seconds, float) else seconds
    print(f"{model:<14} {batch!s:>5} {device:<10} {error:>12} {seconds:>9} {verdict}", flush=True)


def main():
    args = parse_args()
    unknown = [m for m in args.models if m not in ZOO_MODELS]
    if unknown:
        sys.exit(f"zoo_vs_onnxruntime: unknown model(s) {', '.join(unknown)}; known: {', '.join(ZOO_MODELS)}")
    unusable = unusable_devices(args.tandem, args.devices)
    if unusable:
        print("zoo_vs_onnxruntime: skipped: not usable here: " + "; ".join(unusable))
        return EXIT_SKIPPED
    print(f"tandem vs onnxruntime {ort.__version__} (CPU provider); error = max|tandem - ort| / max|ort|, "
          f"tolerance {args.tolerance:g}; TF32 {'on' if args.tf32 else 'off'}")
    print_row(("model", "batch", "device", "max rel err", "tandem s", "result"))
    start = time.monotonic()
    rows = []
    with tempfile.TemporaryDirectory(prefix="tandem-zoo-") as scratch:
        workdir = args.workdir or scratch
        os.makedirs(workdir, exist_ok=True)
        for model in args.models:
            check_model(model, args, workdir, rows)
    failed = [r for r in rows if r[5] != "pass"]
    print(f"\n{len(rows) - len(failed)} of {len(rows)} runs pass; total {time.monotonic() - start:.0f} s")
    if failed:
        print("failed: " + ", ".join(f"{r[0]} batch {r[1]} {r[2]}" for r in failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
