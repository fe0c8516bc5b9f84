#!/usr/bin/env python3
"""Mean ± sample std over seeds of ACC, BWT, FWT and forgetting per (scenario, strategy), as Markdown,
from the JSON lines Benchmarks/continual/table.sh writes.

    python3 Benchmarks/continual/summarise.py Benchmarks/results/2026-12-02-continual-quick.jsonl
"""
import json
import statistics
import sys
from collections import defaultdict

ORDER = ["naive", "joint", "cumulative", "ewc", "online-ewc", "si", "mas", "l2sp", "lwf", "replay", "agem",
         "adapters", "dual-memory"]


def cell(values):
    if len(values) == 1:
        return f"{values[0]:.4f}"
    return f"{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f}"


def main(path):
    runs = defaultdict(list)
    for line in open(path, encoding="utf-8"):
        if line.strip():
            r = json.loads(line)
            runs[(r["scenario"], r["strategy"])].append(r)
    for scenario in sorted({s for s, _ in runs}):
        unit = "negative log-perplexity" if scenario.startswith("lm") else "accuracy"
        print(f"### {scenario} ({unit}; mean ± std over seeds)\n")
        print("| Strategy | Seeds | ACC | BWT | FWT | Forgetting | Seconds | Trainable |")
        print("|---|---|---|---|---|---|---|---|")
        strategies = sorted({t for s, t in runs if s == scenario}, key=lambda t: (ORDER + [t]).index(t))
        for strategy in strategies:
            rs = runs[(scenario, strategy)]
            seeds = ",".join(str(r["seed"]) for r in sorted(rs, key=lambda r: r["seed"]))
            row = [cell([r[k] for r in rs]) for k in ("acc", "bwt", "fwt", "forgetting")]
            seconds = statistics.mean(r["seconds"] for r in rs)
            print(f"| {strategy} | {seeds} | " + " | ".join(row) + f" | {seconds:.0f} | {rs[0]['trainable_params']} |")
        print()


if __name__ == "__main__":
    main(sys.argv[1])
