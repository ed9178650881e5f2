#!/usr/bin/env python3
"""Where held-out predictions miss, group by group.

  prediction_groups.py PRED.csv [--method leave_model_out] [--ops Conv,MaxPool]

PRED.csv is what `tandem fit ... --predictions PRED.csv` writes. Rows of one hold-out
method are grouped by the model left out (the source) and the op, with windowed ops
(Conv, MaxPool, AveragePool) split by kernel and stride (e.g. Conv 3x3s1). Per group:
the count, the median of predicted / measured (above 1: predicted too slow) and the
share within ±10%.
"""
import argparse
import collections
import csv
import re
import statistics

WINDOWED = ("Conv", "MaxPool", "AveragePool")


def group_of(row):
    """The op, with kernel and stride for windowed ops, e.g. "Conv 7x7s2"."""
    op = row["op"]
    if op not in WINDOWED:
        return op
    kernel = re.search(r"kernel_shape=(\d+),(\d+)", row["signature"])
    stride = re.search(r"strides=(\d+)", row["signature"])
    if not kernel:
        return op
    return f"{op} {kernel.group(1)}x{kernel.group(2)}s{stride.group(1) if stride else 1}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("predictions", help="CSV from tandem fit --predictions")
    parser.add_argument("--method", default="leave_model_out", help="leave_model_out or shape_holdout")
    parser.add_argument("--ops", default="", help="comma-separated ops to keep (default: all)")
    args = parser.parse_args()
    ops = set(filter(None, args.ops.split(",")))
    groups = collections.defaultdict(list)
    with open(args.predictions) as f:
        for row in csv.DictReader(f):
            if row["method"] != args.method or (ops and row["op"] not in ops):
                continue
            ratio = float(row["predicted_us"]) / float(row["measured_us"])
            groups[(row["source"], group_of(row))].append(ratio)
    print(f"{'source':<16} {'group':<22} {'count':>5} {'median pred/meas':>16} {'within 10%':>10}")
    for (source, group), ratios in sorted(groups.items()):
        within = sum(abs(r - 1) <= 0.10 for r in ratios) / len(ratios)
        print(f"{source:<16} {group:<22} {len(ratios):>5} {statistics.median(ratios):>16.2f} {within:>10.0%}")


if __name__ == "__main__":
    main()
