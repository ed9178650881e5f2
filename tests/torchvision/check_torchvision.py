#!/usr/bin/env python3
"""Models exported by PyTorch/torchvision load and run in tandem.

Exports torchvision architectures (random weights, eval mode) to ONNX with PyTorch's
exporter, runs them in tandem on the same input, and compares with PyTorch's output:
max|tandem - torch| / max|torch| <= 1e-4. Needs torch and torchvision (a multi-GB
install, so this check is not part of scripts/test); run it with a Python that has
them:  python tests/torchvision/check_torchvision.py --tandem build/tools/tandem
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

MODELS = ["alexnet", "vgg16", "resnet18", "resnet50", "mobilenet_v2", "squeezenet1_1",
          "shufflenet_v2_x1_0", "googlenet"]


def export(name, path, opset, batch):
    import torch
    import torchvision
    torch.manual_seed(0)
    kwargs = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
    model = getattr(torchvision.models, name)(weights=None, **kwargs).eval()
    x = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (batch, 3, 224, 224)).astype(np.float32))
    with torch.no_grad():
        expected = model(x).numpy()
    torch.onnx.export(model, (x,), path, opset_version=opset, input_names=["input"], output_names=["output"],
                      dynamo=False)
    return x.numpy(), expected


def run_tandem(tandem, model_path, x, device, workdir):
    xin, xout = os.path.join(workdir, "x.npy"), os.path.join(workdir, "y.npy")
    np.save(xin, x)
    subprocess.run([tandem, "run", model_path, "--device", device, "--input", xin, "--output", xout],
                   check=True, capture_output=True, text=True)
    return np.load(xout)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tandem", required=True)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--devices", default="cpu")
    parser.add_argument("--opsets", default="13,17")
    parser.add_argument("--batch", type=int, default=1)
    args = parser.parse_args()
    failures = 0
    print(f"{'model':20} {'opset':>5} {'device':8} {'max rel err':>12} result")
    with tempfile.TemporaryDirectory() as workdir:
        for name in args.models.split(","):
            for opset in map(int, args.opsets.split(",")):
                path = os.path.join(workdir, f"{name}_{opset}.onnx")
                x, expected = export(name, path, opset, args.batch)
                for device in args.devices.split(","):
                    try:
                        got = run_tandem(args.tandem, path, x, device, workdir)
                        err = float(np.max(np.abs(got - expected)) / np.max(np.abs(expected)))
                        ok = got.shape == expected.shape and err <= 1e-4
                        detail = f"{err:12.2e}"
                    except subprocess.CalledProcessError as e:
                        ok, detail = False, "error: " + e.stderr.strip()
                    failures += not ok
                    print(f"{name:20} {opset:5} {device:8} {detail} {'pass' if ok else 'FAIL'}", flush=True)
    print(f"{'all pass' if failures == 0 else f'{failures} failed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
