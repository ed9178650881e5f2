#!/usr/bin/env python3
"""CUDA benchmark: tandem's cuda device against PyTorch on the same GPU, every zoo model
(`tandem zoo list`) at batch 1 and 16, in one command.

Latency is end to end, as an application sees it: a host float32 tensor in, a new host
tensor out, the host-to-device and device-to-host copies included.
- tandem: `tandem bench --device cuda --json` (Session::run with host tensors).
- PyTorch, three configurations of the same torchvision architecture (random weights;
  LeNet-5 and the LRN AlexNet are defined here to match src/ir/zoo/), each staging
  through page-locked host buffers the way tandem does:
    eager    copy in, model(x), copy out, synchronize;
    graphs   one CUDA graph captured over copy in + model + copy out, replayed with
             static buffers (torch.cuda.graph);
    compile  torch.compile(mode="reduce-overhead") between the same copies.
  cudnn.benchmark is on, so PyTorch searches convolution algorithms as tandem does.
Everything runs twice: TF32 off on both sides (tandem's default; PyTorch with
torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False), then
TF32 on (tandem --tf32; both flags True).

Method: warm-up, then --rounds alternating rounds; in a round, for each batch, tandem
times every model (one `tandem bench` process), then PyTorch times every model in each
configuration with the same number of runs. A cell is the median over rounds of each
round's median. The ratio is tandem / the fastest PyTorch configuration.

Writes the tables, with the GPU, driver, versions and this command, into the "## CUDA
vs PyTorch" section of docs/benchmarks.md (that section only; the rest of the file is
kept), or prints them with --no-write. Needs torch and torchvision (imported in main,
so --help works without them) and a usable cuda device in tandem.
"""
import argparse
import datetime
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

from doc_sections import write_section

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECTION_HEADING = "## CUDA vs PyTorch"
CONFIGS = ["eager", "graphs", "compile"]
CONFIG_TITLES = {"eager": "eager", "graphs": "CUDA graphs", "compile": "torch.compile"}


def csv_list(text):
    return [item for item in text.split(",") if item]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tandem", default=os.path.join(ROOT, "build", "tools", "tandem"),
                   help="path to the tandem binary (default: build/tools/tandem)")
    p.add_argument("--models", type=csv_list, help="comma-separated zoo models (default: all of `tandem zoo list`)")
    p.add_argument("--batches", type=lambda s: [int(b) for b in csv_list(s)], default=[1, 16],
                   help="comma-separated batch sizes (default 1,16)")
    p.add_argument("--repeats", type=int, default=50, help="timed runs per engine, model and round (default 50)")
    p.add_argument("--warmup", type=int, default=10, help="untimed runs before timing (default 10)")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    p.add_argument("--configs", type=csv_list, default=CONFIGS,
                   help="PyTorch configurations to time: eager,graphs,compile (default: all)")
    p.add_argument("--precisions", type=csv_list, default=["fp32", "tf32"],
                   help="fp32 (TF32 off), tf32 (TF32 on), or both (default)")
    p.add_argument("--doc", default=os.path.join(ROOT, "docs", "benchmarks.md"),
                   help="markdown file whose CUDA section is replaced (default docs/benchmarks.md)")
    p.add_argument("--no-write", action="store_true", help="print the tables instead of writing --doc")
    args = p.parse_args()
    bad = [c for c in args.configs if c not in CONFIGS] + [x for x in args.precisions if x not in ("fp32", "tf32")]
    if bad or not args.configs or not args.precisions or args.repeats < 1 or args.rounds < 1:
        p.error(f"bad --configs/--precisions/--repeats/--rounds ({', '.join(bad) or 'empty or < 1'})")
    return args


# ---- tandem ----

def run_tandem(args, arguments):
    """stdout of `tandem ARGUMENTS`; RuntimeError with its last error line on failure."""
    proc = subprocess.run([args.tandem] + arguments, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        raise RuntimeError(lines[-1] if lines else f"tandem exit code {proc.returncode}")
    return proc.stdout


def zoo_models(args):
    """{name: input shape at batch 1} from `tandem zoo list`."""
    models = {}
    for line in run_tandem(args, ["zoo", "list"]).splitlines()[1:]:
        name, rest = line.split(None, 1)
        dims = rest[rest.index("(") + 1:rest.index(")")]
        models[name] = [int(d) for d in dims.split(",")]
    return models


def cuda_status(args):
    """(usable, detail) of the cuda backend from `tandem devices`."""
    for line in run_tandem(args, ["devices"]).splitlines()[1:]:
        if not line.strip():
            break
        name, _built, usable, *detail = line.split(None, 3)
        if name == "cuda":
            return usable == "yes", (detail[0] if detail else "")
    return False, "tandem does not list a cuda backend"


def tandem_bench(args, models, batch, tf32, json_path):
    """{model: median us or error text} for one `tandem bench` over `models`; a failing
    call is retried model by model so that one failure does not hide the others."""
    def bench(names):
        command = ["bench", *names, "--device", "cuda", "--batch", str(batch), "--warmup", str(args.warmup),
                   "--repeats", str(args.repeats), "--json", json_path]
        if tf32:
            command.append("--tf32")
        run_tandem(args, command)
        with open(json_path) as f:
            report = json.load(f)
        return {r["model"]: float(r["median_us"]) for r in report["results"]}, report.get("device_description")

    try:
        return bench(models)
    except RuntimeError:
        results, description = {}, None
        for model in models:
            try:
                one, description = bench([model])
                results.update(one)
            except RuntimeError as e:
                results[model] = str(e)
        return results, description


# ---- PyTorch models matching the zoo ----

def lenet5(torch):
    """src/ir/zoo/lenet.cpp: conv5(6)-relu-pool2-conv5(16)-relu-pool2-fc120-fc84-fc10."""
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2, 2),        # (N, 6, 14, 14)
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2, 2),       # (N, 16, 5, 5)
        nn.Flatten(),                                             # (N, 400)
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def alexnet_lrn(torch):
    """src/ir/zoo/alexnet.cpp "alexnet_lrn": Krizhevsky et al. 2012 at 227x227, LRN(n=5,
    alpha=1e-4, beta=0.75, k=2) after the first two ReLUs, groups=2 on conv2, 4 and 5."""
    nn = torch.nn

    def lrn():
        return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)

    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), lrn(), nn.MaxPool2d(3, 2),                # (N, 96, 27, 27)
        nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(), lrn(), nn.MaxPool2d(3, 2),    # (N, 256, 13, 13)
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(), nn.MaxPool2d(3, 2),          # (N, 256, 6, 6)
        nn.Flatten(),
        nn.Linear(256 * 6 * 6, 4096), nn.ReLU(), nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 1000))


def torch_model(torch, torchvision, name):
    """The PyTorch module for a zoo model name, or None when there is no counterpart."""
    tv = torchvision.models
    builders = {
        "lenet5": lambda: lenet5(torch),
        "alexnet": lambda: tv.alexnet(weights=None),
        "alexnet_lrn": lambda: alexnet_lrn(torch),
        "vgg16": lambda: tv.vgg16(weights=None),
        "resnet18": lambda: tv.resnet18(weights=None),
        "resnet50": lambda: tv.resnet50(weights=None),
        "mobilenetv2": lambda: tv.mobilenet_v2(weights=None),
        "googlenet": lambda: tv.googlenet(weights=None, aux_logits=False, init_weights=True),
        "squeezenet1_1": lambda: tv.squeezenet1_1(weights=None),
    }
    build = builders.get(name)
    return build().eval() if build else None


# ---- PyTorch timing ----

class TorchCell:
    """One model at one batch size on the GPU in every requested configuration; each
    step takes a pageable host tensor and returns a new pageable host tensor."""

    def __init__(self, torch, module, input_shape, configs, warmup):
        self.torch = torch
        self.module = module
        self.device = torch.device("cuda")
        self.host_input = torch.randn(input_shape, generator=torch.Generator().manual_seed(1))
        # Page-locked staging, allocated before any capture (copies from and to it can
        # then be captured into a CUDA graph).
        self.staged_in = torch.empty(input_shape, pin_memory=True)
        self.device_in = torch.empty(input_shape, device=self.device)
        with torch.inference_mode():
            output_shape = module(self.device_in).shape
        self.staged_out = torch.empty(output_shape, pin_memory=True)
        self.graph = self.graph_output = None
        self.steps, self.errors = {}, {}
        for config in configs:
            try:
                self.steps[config] = getattr(self, f"_make_{config}")()
                for _ in range(warmup):
                    self.steps[config]()
            except Exception as e:  # a configuration PyTorch cannot run here
                self.steps.pop(config, None)
                self.errors[config] = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"

    def _copy_in(self):
        self.staged_in.copy_(self.host_input)
        return self.staged_in.to(self.device, non_blocking=True)

    def _copy_out(self, y):
        self.staged_out.copy_(y, non_blocking=True)
        self.torch.cuda.current_stream().synchronize()
        return self.staged_out.clone()

    def _make_eager(self):
        def step():
            with self.torch.inference_mode():
                return self._copy_out(self.module(self._copy_in()))
        return step

    def _make_graphs(self):
        torch = self.torch
        with torch.inference_mode():
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                for _ in range(3):
                    self.module(self.device_in)
            torch.cuda.current_stream().wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                self.device_in.copy_(self.staged_in, non_blocking=True)
                self.graph_output = self.module(self.device_in)
                self.staged_out.copy_(self.graph_output, non_blocking=True)
        self.graph = graph

        def step():
            self.staged_in.copy_(self.host_input)
            graph.replay()
            torch.cuda.current_stream().synchronize()
            return self.staged_out.clone()
        return step

    def _make_compile(self):
        torch = self.torch
        compiled = torch.compile(self.module, mode="reduce-overhead", dynamic=False)
        mark_step = getattr(torch.compiler, "cudagraph_mark_step_begin", lambda: None)

        def step():
            with torch.inference_mode():
                mark_step()
                return self._copy_out(compiled(self._copy_in()))
        return step

    def time(self, config, repeats):
        """Median microseconds of `repeats` steps, or the configuration's error text."""
        if config not in self.steps:
            return self.errors.get(config, "not measured")
        step, samples = self.steps[config], []
        for _ in range(repeats):
            start = time.perf_counter()
            step()
            samples.append((time.perf_counter() - start) * 1e6)
        return statistics.median(samples)

    def close(self):
        self.torch.cuda.synchronize()
        self.steps.clear()
        self.graph = self.graph_output = None


def set_tf32(torch, enabled):
    torch.backends.cuda.matmul.allow_tf32 = enabled
    torch.backends.cudnn.allow_tf32 = enabled


# ---- measuring ----

def measure_precision(args, torch, torchvision, shapes, precision, json_path):
    """{(model, batch): {"tandem": [us or error per round], config: [...]}} and the tandem
    device description, for one precision."""
    tf32 = precision == "tf32"
    set_tf32(torch, tf32)
    torch._dynamo.reset()
    cells = {(m, b): {engine: [] for engine in ["tandem", *args.configs]} for m in args.models for b in args.batches}
    torch_cells, description = {}, None
    print(f"== TF32 {'on' if tf32 else 'off'}: preparing PyTorch ({', '.join(args.configs)})", flush=True)
    for model in args.models:
        module = torch_model(torch, torchvision, model)
        if module is None:
            continue
        module = module.to("cuda")
        for batch in args.batches:
            started = time.monotonic()
            torch_cells[(model, batch)] = TorchCell(torch, module, [batch] + shapes[model][1:], args.configs, args.warmup)
            errors = torch_cells[(model, batch)].errors
            print(f"  {model} batch {batch}: ready in {time.monotonic() - started:.0f} s"
                  + (f" (failed: {errors})" if errors else ""), flush=True)
    tandem_failures = {}  # (model, batch): error of an earlier round; not run again
    for round_index in range(args.rounds):
        for batch in args.batches:
            runnable = [m for m in args.models if (m, batch) not in tandem_failures]
            tandem, description = tandem_bench(args, runnable, batch, tf32, json_path) if runnable else ({}, description)
            for model in args.models:
                cell = cells[(model, batch)]
                result = tandem_failures.get((model, batch), tandem.get(model, "no result"))
                if isinstance(result, str):
                    tandem_failures[(model, batch)] = result
                cell["tandem"].append(result)
                for config in args.configs:
                    torch_cell = torch_cells.get((model, batch))
                    cell[config].append(torch_cell.time(config, args.repeats) if torch_cell else "no PyTorch model")
                print(f"round {round_index + 1} TF32 {'on ' if tf32 else 'off'} {model:<14} batch {batch:>3}: "
                      + "  ".join(f"{engine} {format_cell(values[-1:])}" for engine, values in cell.items()),
                      flush=True)
    for torch_cell in torch_cells.values():
        torch_cell.close()
    torch_cells.clear()
    torch._dynamo.reset()
    torch.cuda.empty_cache()
    return cells, description


def cell_median_ms(values):
    """Median over rounds in ms, or the first error text when a round failed."""
    errors = [v for v in values if isinstance(v, str)]
    if errors or not values:
        return errors[0] if errors else "not measured"
    return statistics.median(values) / 1e3


NOT_RUN = ("not measured", "no PyTorch model")  # cells left empty on purpose, not failures


def format_cell(values):
    """"1.234" (ms), a reason the cell was not run, or "failed: " and the error (shortened,
    without characters that would break a markdown table)."""
    value = cell_median_ms(values)
    if isinstance(value, float):
        return f"{value:.3f}"
    if value in NOT_RUN:
        return value
    text = value.replace("|", "/").replace("`", "'")
    return "failed: " + (text if len(text) <= 80 else text[:77] + "...")


# ---- report ----

def table(args, cells):
    titles = [CONFIG_TITLES[c] for c in args.configs]
    lines = ["| model | batch | tandem (ms) | " + " | ".join(f"PyTorch {t} (ms)" for t in titles)
             + " | best PyTorch | tandem / best |",
             "|---|---:|---:|" + "---:|" * len(titles) + "---|---:|"]
    for model in args.models:
        for batch in args.batches:
            cell = cells[(model, batch)]
            tandem = cell_median_ms(cell["tandem"])
            torch_ms = {c: cell_median_ms(cell[c]) for c in args.configs}
            measured = {c: v for c, v in torch_ms.items() if isinstance(v, float)}
            best = min(measured, key=measured.get) if measured else None
            ratio = f"{tandem / measured[best]:.2f}" if best and isinstance(tandem, float) else "-"
            shown = [format_cell(cell["tandem"])] + [format_cell(cell[c]) for c in args.configs]
            lines.append(f"| {model} | {batch} | " + " | ".join(shown)
                         + f" | {CONFIG_TITLES[best] if best else '-'} | {ratio} |")
    return lines


def driver_version():
    try:
        proc = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                              capture_output=True, text=True, timeout=30)
        if proc.returncode == 0 and proc.stdout.strip():
            return proc.stdout.strip().splitlines()[0]
    except (OSError, subprocess.TimeoutExpired):
        pass
    return "unknown (nvidia-smi unavailable)"


def python_for_command():
    """The interpreter as the reader would type it: relative when it is the repo's venv."""
    inside = os.path.abspath(sys.executable).startswith(ROOT + os.sep)
    return os.path.relpath(sys.executable, ROOT) if inside else "python3"


def section(args, torch, results, description):
    argv = [python_for_command(), os.path.relpath(os.path.abspath(sys.argv[0]), ROOT)] + sys.argv[1:]
    command = " ".join(shlex.quote(a) for a in argv)
    configs = ", ".join(CONFIG_TITLES[c] for c in args.configs)
    lines = [
        SECTION_HEADING,
        "",
        "Generated by `bench/compare_pytorch_cuda.py`; rerun it rather than editing the tables.",
        "",
        f"- GPU: {torch.cuda.get_device_name(0)} (tandem: {description or 'unknown'}); driver {driver_version()}",
        f"- PyTorch {torch.__version__} (CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}), "
        f"cudnn.benchmark on; torchvision architectures with random weights, LeNet-5 and the LRN AlexNet "
        "defined in the script to match the zoo",
        f"- Date: {datetime.date.today().isoformat()}",
        "- Latency: end to end, a host float32 tensor in and a new host tensor out, both copies included; "
        "PyTorch stages through page-locked buffers (the CUDA graph captures copy in, model and copy out)",
        f"- Method: {args.warmup} warm-up run(s), then {args.rounds} rounds alternating tandem (`tandem bench "
        f"--device cuda`) and PyTorch ({configs}), {args.repeats} runs each; a cell is the median over rounds "
        "of each round's median; the ratio is tandem / the fastest PyTorch configuration",
        f"- Command: `{command}`",
    ]
    for precision, (cells, _) in results.items():
        on = precision == "tf32"
        lines += ["", f"### TF32 {'on' if on else 'off'}"
                  + (" (tandem `--tf32`; PyTorch allow_tf32 on for matmul and cuDNN)" if on else
                     " (strict float32 on both sides)"), ""]
        lines += table(args, cells)
    return lines


def write_doc(path, lines):
    write_section(path, SECTION_HEADING, "\n".join(lines))


def main():
    args = parse_args()
    import torch
    import torchvision

    if not torch.cuda.is_available():
        sys.exit("compare_pytorch_cuda: PyTorch sees no CUDA device")
    usable, detail = cuda_status(args)
    if not usable:
        sys.exit(f"compare_pytorch_cuda: tandem's cuda device is not usable here: {detail}")
    shapes = zoo_models(args)
    args.models = args.models or list(shapes)
    unknown = [m for m in args.models if m not in shapes]
    if unknown:
        sys.exit(f"compare_pytorch_cuda: unknown model(s) {', '.join(unknown)}; known: {', '.join(shapes)}")
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(0)
    started = time.monotonic()
    results, description = {}, None
    with tempfile.TemporaryDirectory(prefix="tandem-cuda-bench-") as scratch:
        json_path = os.path.join(scratch, "bench.json")
        for precision in args.precisions:  # the section is written after each, in case a later one is cut short
            results[precision] = measure_precision(args, torch, torchvision, shapes, precision, json_path)
            description = results[precision][1] or description
            lines = section(args, torch, results, description)
            if not args.no_write:
                write_doc(args.doc, lines)
                print(f"wrote the {SECTION_HEADING[3:]} section of {args.doc} ({', '.join(results)})", flush=True)
    if args.no_write:
        print("\n" + "\n".join(lines))
    print(f"total {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
