#!/usr/bin/env python3
"""CPU benchmark: tandem's cpu device against onnxruntime's CPU execution provider on
every zoo model, with the same thread count, in one command.

Each model is exported once by `tandem zoo export`; both engines run that same file.
For each round, model and batch the two engines run back to back (tandem via `tandem
bench --json`, then onnxruntime with the same warm-up and repeat count), so machine
noise hits both; a cell is the median over rounds of each round's median latency.
onnxruntime runs with intra_op_num_threads = --threads, inter_op_num_threads = 1,
sequential execution and all graph optimizations.

Writes a markdown table (medians, ratio tandem/ort, whether the target "ratio <= 1.0
at batch 1" is met) with the CPU, thread count, date and command into --out, keeping
that file's "## Notes" section, and prints how many models meet the target.
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

import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))
from doc_sections import NOTES_HEADING, write_section_keeping_notes  # noqa: E402
from zoo_vs_onnxruntime import ZOO_MODELS, csv_list, ort_session, seeded_input  # noqa: E402

WARMUP = 3              # runs before timing, for both engines
TARGET_RATIO = 1.0      # tandem / ort at batch 1
TARGET_MODELS = 7       # models that must meet it
SECTION_HEADING = "## CPU: tandem vs onnxruntime"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tandem", required=True, help="path to the tandem binary")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batches", type=lambda s: [int(b) for b in csv_list(s)], default=[1, 8])
    p.add_argument("--models", type=csv_list, default=ZOO_MODELS, help="comma-separated zoo models (default: all)")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    p.add_argument("--seconds", type=float, default=0.5,
                   help="least timed seconds per engine, model and round (at least 10 runs)")
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    p.add_argument("--workdir", help="where the exported models go (default: a temporary folder)")
    return p.parse_args()


def tandem_bench(args, model_path, batch, json_path):
    """One `tandem bench` run; returns (median_us, repeats, cpu name or None)."""
    command = [args.tandem, "bench", model_path, "--device", "cpu", "--batch", str(batch),
               "--threads", str(args.threads), "--warmup", str(WARMUP), "--seconds", str(args.seconds),
               "--json", json_path]
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        raise RuntimeError(lines[-1] if lines else f"tandem bench exit code {proc.returncode}")
    with open(json_path) as f:
        report = json.load(f)
    result = report["results"][0]
    return float(result["median_us"]), int(result["repeats"]), report.get("cpu")


def ort_bench(model_path, batch, threads, repeats):
    """Median latency in microseconds of `repeats` onnxruntime runs after warm-up."""
    session = ort_session(model_path, batch, threads)
    feed = {session.get_inputs()[0].name: seeded_input(session, seed=batch)}
    for _ in range(WARMUP):
        session.run(None, feed)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        session.run(None, feed)
        samples.append((time.perf_counter() - start) * 1e6)
    return statistics.median(samples)


def export_models(args, workdir):
    paths = {}
    for model in args.models:
        path = os.path.join(workdir, f"{model}.onnx")
        proc = subprocess.run([args.tandem, "zoo", "export", model, "-o", path], capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"compare_onnxruntime: cannot export {model}: {proc.stderr.strip()}")
        paths[model] = path
    return paths


def measure(args, paths, workdir):
    """{(model, batch): {"tandem": [us per round], "ort": [...], "error": msg}}; cpu."""
    cells = {(m, b): {"tandem": [], "ort": [], "error": None} for m in args.models for b in args.batches}
    cpu = None
    json_path = os.path.join(workdir, "tandem_bench.json")
    for round_index in range(args.rounds):
        for model in args.models:
            for batch in args.batches:
                cell = cells[(model, batch)]
                if cell["error"]:
                    continue
                try:
                    tandem_us, repeats, cpu = tandem_bench(args, paths[model], batch, json_path)
                except RuntimeError as e:
                    cell["error"] = str(e)
                    print(f"round {round_index + 1}: {model} batch {batch}: tandem failed: {e}", flush=True)
                    continue
                ort_us = ort_bench(paths[model], batch, args.threads, repeats)
                cell["tandem"].append(tandem_us)
                cell["ort"].append(ort_us)
                print(f"round {round_index + 1}: {model:<14} batch {batch}: tandem {tandem_us / 1e3:9.3f} ms  "
                      f"ort {ort_us / 1e3:9.3f} ms  ({repeats} runs each)", flush=True)
    return cells, cpu


def cpu_model_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def table_rows(args, cells):
    """Markdown rows and the models meeting the target at batch 1."""
    rows, met = [], []
    for model in args.models:
        for batch in args.batches:
            cell = cells[(model, batch)]
            if cell["error"]:
                rows.append(f"| {model} | {batch} | failed: {cell['error']} | | | |")
                continue
            tandem_ms = statistics.median(cell["tandem"]) / 1e3
            ort_ms = statistics.median(cell["ort"]) / 1e3
            ratio = tandem_ms / ort_ms
            target = "-"
            if batch == 1:
                target = "yes" if ratio <= TARGET_RATIO else "no"
                if ratio <= TARGET_RATIO:
                    met.append(model)
            rows.append(f"| {model} | {batch} | {tandem_ms:.3f} | {ort_ms:.3f} | {ratio:.2f} | {target} |")
    return rows, met


def python_for_command():
    """The interpreter as the reader would type it: relative when it is the repo's venv."""
    inside = os.path.abspath(sys.executable).startswith(ROOT + os.sep)
    return os.path.relpath(sys.executable, ROOT) if inside else "python3"


def write_report(args, cells, cpu):
    rows, met = table_rows(args, cells)
    argv = [python_for_command(), os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:]
    command = " ".join(shlex.quote(a) for a in argv)
    lines = [
        SECTION_HEADING,
        "",
        "Generated by `bench/compare_onnxruntime.py`; rerun it rather than editing the table. "
        f"Hand-written analysis belongs under \"{NOTES_HEADING}\" in this section, which the script keeps.",
        "",
        f"- CPU: {cpu}",
        f"- Threads: {args.threads} (tandem `--threads {args.threads}`; onnxruntime intra_op_num_threads "
        f"{args.threads}, inter_op_num_threads 1, sequential execution, all graph optimizations)",
        f"- Date: {datetime.date.today().isoformat()}",
        f"- onnxruntime {ort.__version__}, CPU execution provider",
        f"- Method: {args.rounds} rounds; in each round every model and batch runs in tandem, then in "
        f"onnxruntime ({WARMUP} warm-up runs, then at least 10 runs and {args.seconds:g} s, the same count "
        "for both); a cell is the median over rounds of each round's median latency",
        f"- Command: `{command}`",
        "",
        "| model | batch | tandem median (ms) | onnxruntime median (ms) | tandem / ort | target: <= 1.0 at batch 1 |",
        "|---|---:|---:|---:|---:|:---:|",
        *rows,
        "",
        f"**{len(met)} of {len(args.models)} models meet the target at batch 1** "
        f"(goal: at least {TARGET_MODELS} of 9).",
        "",
    ]
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    write_section_keeping_notes(args.out, SECTION_HEADING, lines)
    return met


def main():
    args = parse_args()
    unknown = [m for m in args.models if m not in ZOO_MODELS]
    if unknown:
        sys.exit(f"compare_onnxruntime: unknown model(s) {', '.join(unknown)}; known: {', '.join(ZOO_MODELS)}")
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tandem-bench-") as scratch:
        workdir = args.workdir or scratch
        os.makedirs(workdir, exist_ok=True)
        paths = export_models(args, workdir)
        cells, tandem_cpu = measure(args, paths, workdir)
    met = write_report(args, cells, cpu_model_name() or tandem_cpu or "unknown")
    print(f"\n{len(met)} of {len(args.models)} models meet tandem/ort <= {TARGET_RATIO} at batch 1 "
          f"with {args.threads} threads (goal: {TARGET_MODELS}); wrote {args.out} in {time.monotonic() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
