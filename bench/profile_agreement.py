#!/usr/bin/env python3
"""How well per-node times in tandem profiles agree.

  profile_agreement.py A.json B.json
      the same model measured twice: for every (model, device, batch, load, node)
      costed in both (median over 2 µs), the share whose medians (and whose p10s)
      agree within ±10%, that share per op and per model (sweep layers grouped by
      kind, e.g. sweep/conv), and per batch and op the range of A / B.
  profile_agreement.py P.json --models resnet18,resnet50
      one shape in two models: for every signature both models have (same device,
      batch and load), the second model's median over the first's.
"""
import argparse
import collections
import json
import statistics

FLOOR_US = 2.0


def node_medians(path):
    """(model, device, batch, load, node name) -> (op, signature, median µs) of costed nodes."""
    with open(path) as f:
        profile = json.load(f)
    out = {}
    for run in profile["runs"]:
        for node in run["nodes"]:
            if node["fused"] or node["us"]["median"] <= FLOOR_US:
                continue
            key = (run["model"], run["device"], run["batch"], run["load"], node["name"])
            out[key] = (node["features"]["op"], node["signature"], node["us"]["median"], node["us"]["p10"])
    return out


def agrees(x, y):
    return abs(x / y - 1) <= 0.10


def source_of(model):
    """A zoo model's name, or sweep/<layer> for the sweep's one-layer runs."""
    return "/".join(model.split("/")[:2]) if model.startswith("sweep/") else model


def print_shares(title, groups):
    print(f"{title:<19} nodes  within ±10%")
    for name, flags in sorted(groups.items(), key=lambda item: -len(item[1])):
        print(f"{name:<19} {len(flags):<6} {100 * sum(flags) / len(flags):.1f}%")


def compare_profiles(a_path, b_path):
    a, b = node_medians(a_path), node_medians(b_path)
    common = sorted(k for k in a if k in b)
    if not common:
        print("no node is in both profiles")
        return
    within = sum(1 for k in common if agrees(a[k][2], b[k][2]))
    within_p10 = sum(1 for k in common if agrees(a[k][3], b[k][3]))
    print(f"{len(common)} nodes in both; {within} ({100 * within / len(common):.1f}%) agree within ±10% "
          f"(their p10s: {100 * within_p10 / len(common):.1f}%)")
    by_op, by_source = collections.defaultdict(list), collections.defaultdict(list)
    for k in common:
        by_op[a[k][0]].append(agrees(a[k][2], b[k][2]))
        by_source[source_of(k[0])].append(agrees(a[k][2], b[k][2]))
    print_shares("op", by_op)
    print_shares("model", by_source)
    ratios = collections.defaultdict(list)
    for k in common:
        ratios[(k[2], a[k][0])].append(a[k][2] / b[k][2])
    print("batch  op                  nodes  A/B min  median  max")
    for (batch, op), r in sorted(ratios.items()):
        print(f"{batch:<6} {op:<19} {len(r):<6} {min(r):.2f}     {statistics.median(r):.2f}    {max(r):.2f}")


def compare_models(path, first, second):
    nodes = node_medians(path)
    by_shape = collections.defaultdict(lambda: collections.defaultdict(list))
    for (model, device, batch, load, _), (_, signature, us, _) in nodes.items():
        by_shape[(device, batch, load, signature)][model].append(us)
    ratios = []
    for key, models in sorted(by_shape.items()):
        if first in models and second in models:
            r = statistics.median(models[second]) / statistics.median(models[first])
            ratios.append(r)
            print(f"batch {key[1]}  {key[3][:70]:<70}  {second}/{first} {r:.2f}")
    if ratios:
        print(f"{len(ratios)} shapes: {second}/{first} min {min(ratios):.2f}, median "
              f"{statistics.median(ratios):.2f}, max {max(ratios):.2f}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("profiles", nargs="+", help="one profile with --models, or two profiles")
    p.add_argument("--models", help="two models of one profile, comma-separated")
    args = p.parse_args()
    if args.models:
        first, second = args.models.split(",")
        compare_models(args.profiles[0], first, second)
    elif len(args.profiles) == 2:
        compare_profiles(*args.profiles)
    else:
        p.error("give two profiles, or one profile and --models")


if __name__ == "__main__":
    main()
