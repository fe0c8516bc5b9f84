"""Kalam vs transformers generation, side by side in one run, alternating.

    swift build -c release --product KalamBench
    /tmp/ptbench/venv/bin/python Benchmarks/generation/compare.py [--cases gen_tiny_greedy,...] [--rounds 2]

Each round runs every case once in Kalam (.build/release/KalamBench generation) and once in
../shared/baselines/pytorch_bench.py (same model sizes, random weights, batch 1, 32-token prompt,
128 new tokens, no end of sequence), alternating which goes first. All timed repetitions of a side
are pooled; the table shows the median tokens/s of each side and their ratio (Kalam / PyTorch).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
BASELINE = os.environ.get("KALAM_PYTORCH_BENCH", "/work/shared/baselines/pytorch_bench.py")
KALAM = os.path.join(ROOT, ".build", "release", "KalamBench")


def kalam(case, reps):
    out = subprocess.run([KALAM, "generation", "--case", case, "--reps", str(reps)], capture_output=True, text=True)
    line = [l for l in out.stdout.splitlines() if l.startswith("{")]
    if not line:
        sys.exit(f"KalamBench failed on {case}: {out.stdout}{out.stderr}")
    return json.loads(line[-1])["values"]


def pytorch(case, reps):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        path = f.name
    subprocess.run([sys.executable, BASELINE, "--cases", case, "--reps", str(reps), "--json", path,
                    "--wait-quiet", "0"], capture_output=True, text=True, check=True)
    with open(path) as f:
        data = json.load(f)
    os.unlink(path)
    rows = [r for res in data["results"] for r in (res.get("rows") or [])]
    return rows[0]["reps"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", default="gen_tiny_greedy,gen_tiny_beam4,gen_gpt2_124m_greedy")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--json", help="write the pooled results here")
    args = ap.parse_args()
    results = {}
    for case in args.cases.split(","):
        k, p = [], []
        for r in range(args.rounds):
            order = [("kalam", kalam), ("pytorch", pytorch)]
            if r % 2:
                order.reverse()
            for side, fn in order:
                (k if side == "kalam" else p).extend(fn(case, args.reps))
        km, pm = statistics.median(k), statistics.median(p)
        results[case] = dict(kalam=km, pytorch=pm, ratio=km / pm, kalam_reps=k, pytorch_reps=p)
        print(f"{case:24s} kalam {km:9.1f} tok/s   transformers {pm:9.1f} tok/s   ratio {km / pm:5.2f}x", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
