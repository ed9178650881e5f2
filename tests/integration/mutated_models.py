#!/usr/bin/env python3
"""Bad models never crash tandem: seeded random mutations of zoo models exported to
ONNX (attributes set to odd values, input dimensions of 0, 1, 2^20 or 2^31, wrong
initializer dimensions, dtypes or byte counts, dangling or duplicated names, other op
types, opsets), each run with `tandem run` on the cpu device under a 60 s limit and
an 8 GB address-space limit. A run must exit with 0 (the mutation left a valid model)
or 1 (a clear error); a signal, another code, a message without an error kind, or a
hang fails the test, and that model file is kept in --workdir. Found this way: a
batch of 0 stopped the cpu backend with a division by zero, and a 2^31 input
dimension kept oneDNN busy for minutes.

Usage: mutated_models.py --tandem build/tools/tandem [--count 60] [--seed 1] [--workdir DIR]
"""
import argparse
import copy
import os
import random
import resource
import subprocess
import sys
import tempfile

import onnx
from onnx import AttributeProto, helper

ODD_INTS = [0, -1, 1, 2, 3, 7, 1 << 20, 1 << 31, -(1 << 40)]
ODD_FLOATS = [float("nan"), float("inf"), -1.0, 0.0, 1e30]
ATTRIBUTE_NAMES = ["axis", "group", "transB", "kernel_shape", "pads", "strides", "dilations", "auto_pad", "ceil_mode"]
OP_TYPES = ["Conv", "Gemm", "Relu", "Concat", "Reshape", "MaxPool", "Add", "Softmax", "Flatten", "NoSuchOp"]


class Mutator:
    def __init__(self, rng):
        self.rng = rng

    def attribute_value(self, attribute):
        r = self.rng
        if attribute.ints:
            attribute.ints[r.randrange(len(attribute.ints))] = r.choice(ODD_INTS)
        elif attribute.type == AttributeProto.INT:
            attribute.i = r.choice(ODD_INTS)
        elif attribute.type == AttributeProto.FLOAT:
            attribute.f = r.choice(ODD_FLOATS)
        return f"{attribute.name} changed"

    def attribute(self, model):
        node = self.rng.choice(model.graph.node)
        if node.attribute and self.rng.random() < 0.6:
            return f"{node.name}: " + self.attribute_value(self.rng.choice(node.attribute))
        name = self.rng.choice(ATTRIBUTE_NAMES)
        value = self.rng.choice([self.rng.choice(ODD_INTS), [self.rng.choice(ODD_INTS)], [1, 1, 0, 1], "SAME_UPPER",
                                 "VALID", "NO_SUCH_PAD"])
        kept = [a for a in node.attribute if a.name != name]
        del node.attribute[:]
        node.attribute.extend(kept + [helper.make_attribute(name, value)])
        return f"{node.name}: {name} = {value!r}"

    def input_dim(self, model):
        dims = model.graph.input[0].type.tensor_type.shape.dim
        dim = dims[0] if self.rng.random() < 0.5 else self.rng.choice(dims)  # the batch, half the time
        dim.dim_value = self.rng.choice([0, 0, 1, 2, 1 << 20, 1 << 31])
        return f"an input dimension = {dim.dim_value}"

    def initializer(self, model):
        r = self.rng
        t = r.choice(model.graph.initializer)
        kind = r.randrange(3)
        if kind == 0 and t.dims:
            t.dims[r.randrange(len(t.dims))] = r.choice(ODD_INTS)
        elif kind == 1:
            t.data_type = r.choice([0, 2, 7, 9, 11, 99])
        elif t.raw_data:
            t.raw_data = t.raw_data[: r.randrange(len(t.raw_data))]
        return f"initializer {t.name} ({['dims', 'dtype', 'bytes'][kind]})"

    def wiring(self, model):
        r = self.rng
        nodes = model.graph.node
        node = r.choice(nodes)
        kind = r.randrange(4)
        if kind == 0 and node.input:
            node.input[r.randrange(len(node.input))] = r.choice(["no_such_value", node.output[0], ""])
        elif kind == 1:
            node.output[0] = r.choice([nodes[0].output[0], model.graph.input[0].name])
        elif kind == 2:
            node.op_type = r.choice(OP_TYPES)
        else:
            i, j = r.randrange(len(nodes)), r.randrange(len(nodes))
            first, second = copy.deepcopy(nodes[i]), copy.deepcopy(nodes[j])
            nodes[i].CopyFrom(second)
            nodes[j].CopyFrom(first)
        return f"{node.name}: wiring ({['input', 'output', 'op type', 'order'][kind]})"

    def opset(self, model):
        model.opset_import[0].version = self.rng.choice([1, 6, 9, 100])
        return f"opset {model.opset_import[0].version}"

    def mutate(self, model):
        kinds = [self.attribute, self.attribute, self.input_dim, self.initializer, self.wiring, self.opset]
        return [self.rng.choice(kinds)(model) for _ in range(self.rng.choice([1, 1, 2]))]


def limit_memory():
    limit = 8 << 30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run(tandem, path):
    """None when the run ended as a bad model may: exit 0, or 1 with 'tandem: <kind>: ...'."""
    try:
        proc = subprocess.run([tandem, "run", path], capture_output=True, text=True, timeout=60,
                              preexec_fn=limit_memory)
    except subprocess.TimeoutExpired:
        return "no result after 60 s"
    last = (proc.stderr.strip().splitlines() or [""])[-1]
    if proc.returncode == 0:
        return None
    if proc.returncode == 1 and last.startswith("tandem: ") and not last.startswith("tandem: error:") and \
            "internal error" not in last:
        return None
    return f"exit {proc.returncode}: {last}"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tandem", required=True)
    p.add_argument("--models", default="lenet5,squeezenet1_1", help="zoo models to mutate")
    p.add_argument("--count", type=int, default=60)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workdir", help="default: a temporary folder")
    args = p.parse_args()
    workdir = args.workdir or tempfile.mkdtemp(prefix="tandem-mutated-")
    os.makedirs(workdir, exist_ok=True)
    bases = []
    for name in args.models.split(","):
        path = os.path.join(workdir, f"{name}.onnx")
        subprocess.run([args.tandem, "zoo", "export", name, "-o", path], check=True, capture_output=True)
        bases.append(onnx.load(path))
    mutator = Mutator(random.Random(args.seed))
    failures = 0
    for i in range(args.count):
        model = copy.deepcopy(mutator.rng.choice(bases))
        changes = mutator.mutate(model)
        path = os.path.join(workdir, f"mutant_{args.seed}_{i}.onnx")
        with open(path, "wb") as f:
            f.write(model.SerializeToString())
        why = run(args.tandem, path)
        if why:
            failures += 1
            print(f"FAIL {os.path.basename(path)} ({'; '.join(changes)}): {why}")
        else:
            os.remove(path)
    print(f"total: {args.count} mutated models, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
