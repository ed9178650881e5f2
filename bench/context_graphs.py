#!/usr/bin/env python3
"""How a depthwise conv's time depends on what ran before it (predictors.md, the
input_reuse_bytes feature; crossover.md, context_c).

  .venv/bin/python bench/context_graphs.py --tandem build/tools/tandem

Writes small ONNX graphs, 1x1 conv -> depthwise 3x3 conv -> 1x1 conv, and profiles
them with `tandem profile` (per-node medians, the graphs taking turns):

  expand:  the first conv widens 16 -> 96 channels (MobileNetV2's expand conv reads a
           sixth of what it writes), against 96 -> 96 (the sweep's context before
           context_c), at (N, 96, 112, 112), stride 2; MobileNetV2 profiled with them
  stream:  a Relu over a separate 128 MB input runs first (reads and writes 128 MB, as
           the sweep's cache stream reads before a layer), against none, at
           (N, 160, 49, 49) after a 24 -> 160 conv, stride 1

and prints the depthwise node's median, p10 and p90 in µs.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

STREAM_MB = 128


def conv_chain(path, c_in, c, size, stride, stream_mb=0):
    """x (N, c_in, size, size) -> 1x1 conv + Relu -> depthwise 3x3 -> 1x1 conv to 24."""
    rng = np.random.default_rng(0)

    def weights(name, shape):
        return numpy_helper.from_array((rng.standard_normal(shape) * 0.1).astype(np.float32), name)

    inits = [weights("w1", (c, c_in, 1, 1)), weights("b1", (c,)), weights("w2", (c, 1, 3, 3)), weights("b2", (c,)),
             weights("w3", (24, c, 1, 1)), weights("b3", (24,))]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", c_in, size, size])]
    outputs = []
    nodes = []
    if stream_mb:
        floats = stream_mb * (1 << 20) // 4
        # (N, floats / N): the profiled batch N is 2, so the tensor is stream_mb in all.
        inputs.append(helper.make_tensor_value_info("big", TensorProto.FLOAT, ["N", floats // 2]))
        nodes.append(helper.make_node("Relu", ["big"], ["big_out"], name="stream"))
        outputs.append(helper.make_tensor_value_info("big_out", TensorProto.FLOAT, None))
    nodes += [
        helper.make_node("Conv", ["x", "w1", "b1"], ["a"], kernel_shape=[1, 1], name="before"),
        helper.make_node("Relu", ["a"], ["a_relu"]),
        helper.make_node("Conv", ["a_relu", "w2", "b2"], ["d"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                         strides=[stride, stride], group=c, name="depthwise"),
        helper.make_node("Conv", ["d", "w3", "b3"], ["y"], kernel_shape=[1, 1], name="after"),
    ]
    outputs.append(helper.make_tensor_value_info("y", TensorProto.FLOAT, None))
    graph = helper.make_graph(nodes, os.path.basename(path), inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)


def depthwise_times(tandem, models, batch, workdir):
    """model -> [(node name, median, p10, p90)] of its depthwise convs, from one profile."""
    out = os.path.join(workdir, f"profile_b{batch}.json")
    subprocess.run([tandem, "profile", *models, "--devices", "cpu", "--batch", str(batch), "-o", out, "--force"],
                   check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        profile = json.load(f)
    times = {}
    for run in profile["runs"]:
        for node in run["nodes"]:
            f = node["features"]
            if f["op"] == "Conv" and f["groups"] > 1 and f["groups"] == f["in_channels"]:
                us = node["us"]
                times.setdefault(run["model"], []).append((node["name"], us["median"], us["p10"], us["p90"]))
    return times


def print_times(label, times, model, pick=None):
    for name, median, p10, p90 in times.get(model, []):
        if pick is None or name == pick:
            print(f"{label:<34} {name:<24} median {median:8.1f} µs  p10 {p10:8.1f}  p90 {p90:8.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tandem", default="build/tools/tandem")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        paths = {name: os.path.join(work, name + ".onnx")
                 for name in ("expand16", "expand96", "no_stream", "stream")}
        conv_chain(paths["expand16"], 16, 96, 112, 2)
        conv_chain(paths["expand96"], 96, 96, 112, 2)
        conv_chain(paths["no_stream"], 24, 160, 49, 1)
        conv_chain(paths["stream"], 24, 160, 49, 1, STREAM_MB)
        expand = depthwise_times(args.tandem, [paths["expand16"], paths["expand96"], "mobilenetv2"], 4, work)
        print("batch 4, depthwise 3x3 stride 2 on (4, 96, 112, 112):")
        print_times("after a 16 -> 96 channel 1x1 conv", expand, "expand16")
        print_times("after a 96 -> 96 channel 1x1 conv", expand, "expand96")
        print_times("in MobileNetV2", expand, "mobilenetv2", "block2.depthwise.conv")
        stream = depthwise_times(args.tandem, [paths["no_stream"], paths["stream"]], 2, work)
        print("batch 2, depthwise 3x3 stride 1 on (2, 160, 49, 49) after a 24 -> 160 channel 1x1 conv:")
        print_times("alone", stream, "no_stream")
        print_times(f"after a Relu over {STREAM_MB} MB", stream, "stream")
    return 0


if __name__ == "__main__":
    sys.exit(main())
