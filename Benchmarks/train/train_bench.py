#!/usr/bin/env python3
"""Kalam's Trainer vs PyTorch, whole training steps, side by side in one run, alternating.

Cases: ../shared/baselines/pytorch_bench.py's `train_nanogpt_tiny` (vocab 256, 4 layers, 4 heads, d 128,
ctx 128, batch 16) and `train_nanogpt_small` (vocab 8192, 6 layers, 8 heads, d 256, ctx 256, batch 8),
run unmodified as subprocesses, against `KalamBench train --case tiny|small` (Benchmarks/KalamBench/
TrainBench.swift: the same shapes as GPT2LMHeadModel trained by KalamTraining's Trainer — forward,
backward, clipping, AdamW, schedule — on random tokens, timed the same way: warm-up, then reps of k steps).

Each round runs, for each case, the PyTorch baseline then Kalam (or the reverse on odd rounds), so both
see the same machine load. Reported: median tokens/s over all reps of all rounds, peak RSS (ru_maxrss;
the median over rounds), and the ratios Kalam / PyTorch.

  swift build -c release --product KalamBench
  /tmp/ptbench/venv/bin/python Benchmarks/train/train_bench.py [--rounds 3] [--cases tiny,small] [--json out.json]
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
BASELINE = pathlib.Path(os.environ.get("KALAM_PT_BENCH", ROOT.parent.parent / "shared/baselines/pytorch_bench.py"))
if not BASELINE.exists():
    BASELINE = pathlib.Path("/work/shared/baselines/pytorch_bench.py")


def run_pytorch(case, reps, python):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    subprocess.run([python, str(BASELINE), "--cases", f"train_nanogpt_{case}", "--reps", str(reps),
                    "--wait-quiet", "0", "--json", out], check=True, stdout=subprocess.DEVNULL)
    data = json.load(open(out))
    os.unlink(out)
    r = data["results"][0]
    row = r["rows"][0]
    return dict(reps=row["reps"], median=row["median"], maxrss_mb=r["maxrss_mb"])


def cpu_coretype():
    """OpenBLAS 0.3.21 may not recognise a virtual CPU and fall back to its generic Prescott kernels."""
    try:
        flags = open("/proc/cpuinfo").read().split()
    except OSError:
        return None
    return "SkylakeX" if "avx512f" in flags else "Haswell" if "avx2" in flags else None


def run_kalam(case, reps, binary, coretype):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=os.environ.get("OPENBLAS_NUM_THREADS", "2"))
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    p = subprocess.run([str(binary), "train", "--case", case, "--reps", str(reps)], check=True,
                       capture_output=True, text=True, env=env)
    line = [l for l in p.stdout.splitlines() if l.startswith("{")][-1]
    return json.loads(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=3, help="timed reps per process")
    ap.add_argument("--cases", default="tiny,small")
    ap.add_argument("--binary", default=str(ROOT / ".build/release/KalamBench"))
    ap.add_argument("--json", help="write all measurements here")
    ap.add_argument("--openblas-coretype", default=os.environ.get("OPENBLAS_CORETYPE", "auto"),
                    help="OPENBLAS_CORETYPE for the Kalam side: auto (from the CPU flags), none, or a name")
    args = ap.parse_args()
    coretype = {"auto": cpu_coretype(), "none": None}.get(args.openblas_coretype, args.openblas_coretype)
    print(f"# Kalam's OPENBLAS_CORETYPE={coretype}", flush=True)
    cases = [c for c in args.cases.split(",") if c]
    results = {c: dict(kalam=[], pytorch=[], kalam_rss=[], pytorch_rss=[]) for c in cases}
    for rnd in range(args.rounds):
        for case in cases:
            order = ["pytorch", "kalam"] if rnd % 2 == 0 else ["kalam", "pytorch"]
            for who in order:
                if who == "pytorch":
                    r = run_pytorch(case, args.reps, sys.executable)
                else:
                    r = run_kalam(case, args.reps, args.binary, coretype)
                results[case][who] += r["reps"]
                results[case][who + "_rss"].append(r["maxrss_mb"])
                print(f"round {rnd + 1} {case:5s} {who:7s} median {r['median']:9.0f} tok/s  "
                      f"maxrss {r['maxrss_mb']:7.0f} MB", flush=True)
    print()
    print(f"{'case':6s} {'kalam tok/s':>12s} {'torch tok/s':>12s} {'ratio':>6s} {'kalam MB':>9s} {'torch MB':>9s} {'mem ratio':>9s}")
    summary = {}
    for case in cases:
        r = results[case]
        k, t = statistics.median(r["kalam"]), statistics.median(r["pytorch"])
        km, tm = statistics.median(r["kalam_rss"]), statistics.median(r["pytorch_rss"])
        summary[case] = dict(kalam_tok_s=k, pytorch_tok_s=t, ratio=k / t, kalam_maxrss_mb=km,
                             pytorch_maxrss_mb=tm, memory_ratio=km / tm, raw=r)
        print(f"{case:6s} {k:12.0f} {t:12.0f} {k / t:6.2f} {km:9.0f} {tm:9.0f} {km / tm:9.2f}")
    if args.json:
        json.dump(summary, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
