#!/usr/bin/env python3
"""Differential test: seeded random single-node ONNX models, each run by tandem on the
reference device and on every device given, with the same seeded input.

The fixed cases of the op harness and the ONNX node tests cover the shapes their
authors thought of; these draw kernel sizes, strides, dilations, pads (explicit or
auto_pad), groups, ceil_mode, transposes, axes and sizes at random, large enough
that the cpu backend splits work across its threads and takes its Winograd and
blocked-layout paths. A model passes when both devices accept it and agree to 1e-4
(relative to the output's largest magnitude), or both reject it with exit code 1. A
crash, a hang, an error on one device only, or a shape or value mismatch fails it.
The model files of failures are kept in --workdir. A device that is not usable here
(`tandem devices`) makes the script exit with 77 (skipped).

Usage: random_ops_vs_reference.py --tandem build/tools/tandem [--devices cpu,cpu:1]
       [--count 80] [--seed 1] [--workdir DIR]
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from zoo_vs_onnxruntime import unusable_devices

EXIT_SKIPPED = 77
TOLERANCE = 1e-4


class Draw:
    """One random model: op, input shape, node inputs, initializers, attributes."""

    def __init__(self, rng, nrng):
        self.rng, self.nrng = rng, nrng

    def weights(self, name, shape):
        return numpy_helper.from_array(self.nrng.standard_normal(shape).astype(np.float32), name)

    def window(self, dims, big):
        """Kernel, strides and pads of a 2-D window, and an input size that holds it."""
        r = self.rng
        kernel = [r.randint(1, 5) for _ in range(dims)]
        strides = [r.randint(1, 3) for _ in range(dims)]
        pads = [r.randint(0, k - 1) for k in kernel] * 2
        size = [r.randint(k, 56 if big else 16) for k in kernel]
        return kernel, strides, pads, size

    def conv(self):
        r = self.rng
        big = r.random() < 0.5
        group = r.choice([1, 1, 2, 4])
        c_in, c_out = group * r.randint(1, 24 if big else 6), group * r.randint(1, 24 if big else 6)
        kernel, strides, pads, size = self.window(2, big)
        dilations = [r.randint(1, 2) for _ in kernel]
        size = [max(s, (k - 1) * d + 1) for s, k, d in zip(size, kernel, dilations)]
        inits = [self.weights("w", (c_out, c_in // group, *kernel))]
        if r.random() < 0.5:
            inits.append(self.weights("b", (c_out,)))
        attrs = dict(kernel_shape=kernel, strides=strides, dilations=dilations, group=group)
        if r.random() < 0.3:
            attrs["auto_pad"] = r.choice(["SAME_UPPER", "SAME_LOWER", "VALID"])
        else:
            attrs["pads"] = pads
        return "Conv", [r.randint(1, 3), c_in, *size], ["x"] + [t.name for t in inits], inits, attrs

    def pool(self):
        r = self.rng
        big = r.random() < 0.5
        op = r.choice(["MaxPool", "AveragePool"])
        kernel, strides, pads, size = self.window(2, big)
        attrs = dict(kernel_shape=kernel, strides=strides, pads=pads, ceil_mode=r.randint(0, 1))
        if op == "AveragePool":
            attrs["count_include_pad"] = r.randint(0, 1)
        elif r.random() < 0.3:
            attrs["dilations"] = [r.randint(1, 2) for _ in kernel]
            size = [max(s, (k - 1) * d + 1) for s, k, d in zip(size, kernel, attrs["dilations"])]
        return op, [r.randint(1, 3), r.randint(1, 96 if big else 20), *size], ["x"], [], attrs

    def global_pool(self):
        r = self.rng
        shape = [r.randint(1, 3), r.randint(1, 300), r.randint(1, 14), r.randint(1, 14)]
        return r.choice(["GlobalAveragePool", "GlobalMaxPool"]), shape, ["x"], [], {}

    def gemm(self):
        r = self.rng
        m, k, n = r.randint(1, 9), r.randint(1, 300), r.randint(1, 300)
        trans_a, trans_b = r.randint(0, 1), r.randint(0, 1)
        inits = [self.weights("b", (n, k) if trans_b else (k, n)),
                 self.weights("c", r.choice([(n,), (m, n), (1, n), (m, 1)]))]
        attrs = dict(transA=trans_a, transB=trans_b, alpha=r.choice([1.0, 0.5]), beta=r.choice([1.0, 0.0, 0.3]))
        return "Gemm", [k, m] if trans_a else [m, k], ["x", "b", "c"], inits, attrs

    def lrn(self):
        r = self.rng
        shape = [r.randint(1, 2), r.randint(1, 64), r.randint(1, 14), r.randint(1, 14)]
        return "LRN", shape, ["x"], [], dict(size=r.choice([1, 2, 3, 4, 5]), alpha=1e-2, beta=0.75, bias=1.0)

    def softmax(self):
        r = self.rng
        shape = [r.randint(1, 6) for _ in range(r.randint(1, 4))]
        return r.choice(["Softmax", "LogSoftmax"]), shape, ["x"], [], dict(axis=r.randint(-len(shape), len(shape) - 1))

    def transpose(self):
        r = self.rng
        rank = r.randint(1, 5)
        perm = list(range(rank))
        r.shuffle(perm)
        return "Transpose", [r.randint(1, 7) for _ in range(rank)], ["x"], [], dict(perm=perm)

    def reduce(self):
        r = self.rng
        rank = r.randint(1, 4)
        axes = sorted(r.sample(range(rank), r.randint(1, rank)))
        op = r.choice(["ReduceMean", "ReduceMax", "ReduceMin"])
        return op, [r.randint(1, 8) for _ in range(rank)], ["x"], [], dict(axes=axes, keepdims=r.randint(0, 1))

    def any(self):
        kinds = [self.conv, self.conv, self.conv, self.pool, self.pool, self.global_pool, self.gemm, self.lrn,
                 self.softmax, self.transpose, self.reduce]
        return self.rng.choice(kinds)()


def model_of(op, shape, inputs, inits, attrs):
    node = helper.make_node(op, inputs, ["y"], **attrs)
    graph = helper.make_graph([node], op.lower(), [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def run(tandem, model, device, output):
    """(exit code, last stderr line); exit code None for a run past 120 s."""
    try:
        proc = subprocess.run([tandem, "run", model, "--device", device, "--output", output],
                              capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return None, "no result after 120 s"
    lines = proc.stderr.strip().splitlines()
    return proc.returncode, lines[-1] if lines else ""


def compare(tandem, path, device, workdir):
    """'' when `device` agrees with the reference on the model at `path`, else why not."""
    want_path, got_path = os.path.join(workdir, "want.npy"), os.path.join(workdir, "got.npy")
    want_rc, want_err = run(tandem, path, "reference", want_path)
    got_rc, got_err = run(tandem, path, device, got_path)
    if got_rc not in (0, 1):
        return f"{device} exited with {got_rc}: {got_err}"
    if want_rc != got_rc:
        return f"reference exited with {want_rc} ({want_err}), {device} with {got_rc} ({got_err})"
    if got_rc == 1:
        return ""
    want, got = np.load(want_path), np.load(got_path)
    if want.shape != got.shape:
        return f"shape {got.shape} on {device}, {want.shape} on reference"
    if want.size == 0:
        return ""
    error = float(np.max(np.abs(want - got)) / max(1.0, float(np.max(np.abs(want)))))
    return "" if error <= TOLERANCE else f"relative error {error:.3g} on {device}"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tandem", required=True)
    p.add_argument("--devices", default="cpu,cpu:1", help="comma-separated devices compared with reference")
    p.add_argument("--count", type=int, default=80, help="models to draw (default 80)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workdir", help="where model files go (failures are kept); default a temporary folder")
    args = p.parse_args()
    devices = [d for d in args.devices.split(",") if d]
    missing = unusable_devices(args.tandem, devices)
    if missing:
        print(f"not usable here: {'; '.join(missing)}; skipped")
        return EXIT_SKIPPED
    workdir = args.workdir or tempfile.mkdtemp(prefix="tandem-random-ops-")
    os.makedirs(workdir, exist_ok=True)
    draw = Draw(random.Random(args.seed), np.random.default_rng(args.seed))
    failures = accepted = 0
    for i in range(args.count):
        op, shape, inputs, inits, attrs = draw.any()
        path = os.path.join(workdir, f"random_{args.seed}_{i}_{op}.onnx")
        onnx.save(model_of(op, shape, inputs, inits, attrs), path)
        problems = [why for why in (compare(args.tandem, path, d, workdir) for d in devices) if why]
        accepted += os.path.exists(os.path.join(workdir, "want.npy"))
        if problems:
            failures += 1
            print(f"FAIL {os.path.basename(path)}: {op} {shape} {attrs}: {'; '.join(problems)}")
        else:
            os.remove(path)
        for scratch in ("want.npy", "got.npy"):
            if os.path.exists(os.path.join(workdir, scratch)):
                os.remove(os.path.join(workdir, scratch))
    print(f"total: {args.count} random models on {', '.join(devices)}, {accepted} run, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
