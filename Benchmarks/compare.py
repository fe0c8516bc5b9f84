#!/usr/bin/env python3
"""Kalam against the PyTorch baseline, case by case, alternating, with ratios of medians.

For each case of Benchmarks/baseline/pytorch_bench.py named in --cases, runs `kalam bench ... --json`
(the case of the same shape) and `pytorch_bench.py --cases CASE` alternately, --pairs times, both with
--threads threads and --reps timed repetitions, and prints the medians of all runs and the ratio
Kalam tokens/s / PyTorch tokens/s (benchlib: load average checked before each pair, loaded pairs
flagged or, with --strict, refused). With --roofline it first measures the machine (`kalam bench
roofline`) and puts each figure against it: training as a fraction of the sgemm ceiling (the
baseline's FLOP count per token, at Kalam's speed), decoding as a fraction of the read bandwidth (the
fp32 weights read once per token).

    swift build -c release --product kalam
    Benchmarks/baseline/make-venv
    python3 Benchmarks/compare.py --cases train_nanogpt_tiny,gen_tiny_greedy --pairs 3 --json /tmp/compare.json

The baseline runs in ${KALAM_BENCH_VENV:-~/.cache/kalam/bench-venv}; this script itself needs only
Python 3. Quote figures with their load average (CONTRIBUTING.md).
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "common"))
import benchlib  # noqa: E402

# pytorch_bench.py case -> `kalam bench` arguments for the same shape
CASES = {
    "train_nanogpt_tiny": ["train", "--case", "tiny"],
    "train_nanogpt_small": ["train", "--case", "small"],
    "train_hf_gpt2_tiny": ["train", "--case", "hf_gpt2_tiny"],
    "train_hf_bert_mlm": ["train", "--case", "hf_bert_mlm"],
    "train_hf_t5": ["train", "--case", "hf_t5"],
    "gen_tiny_greedy": ["generate", "--case", "gen_tiny_greedy"],
    "gen_tiny_beam4": ["generate", "--case", "gen_tiny_beam4"],
    "gen_tiny_topp": ["generate", "--case", "gen_tiny_topp"],
    "gen_gpt2_124m_greedy": ["generate", "--case", "gen_gpt2_124m_greedy"],
    "gen_gpt2_124m_topp": ["generate", "--case", "gen_gpt2_124m_topp"],
}
DEFAULT_CASES = "train_nanogpt_tiny,train_nanogpt_small,gen_tiny_greedy,gen_tiny_beam4,gen_gpt2_124m_greedy"


def kalam_side(binary, case, args):
    def run():
        r = benchlib.kalam_bench(binary, CASES[case] + ["--repeats", str(args.reps)], args.threads)
        if r.get("baseline") != case:
            sys.exit(f"kalam bench {' '.join(CASES[case])} reports baseline {r.get('baseline')!r}, not {case!r}")
        return r
    return run


def reference_side(case, args, python):
    return lambda: benchlib.pytorch_case(case, threads=args.threads, reps=args.reps, python=python)


def against_roofline(comparison, roofline):
    """The fraction of the machine's limit Kalam's median reaches (None when it cannot be said)."""
    s, pairs = comparison["summary"], comparison["pairs"]
    kalam, reference = pairs[0]["kalam"], pairs[0]["reference"]
    if s["case"].startswith("train_") and "gflop_per_step" in reference.get("extra", {}):
        ceiling = next(r["median"] for r in roofline["sgemm"] if (r["m"], r["k"], r["n"]) == (2048, 2048, 2048))
        gflop_per_token = reference["extra"]["gflop_per_step"] / kalam["tokens_per_step"]
        achieved = gflop_per_token * s["kalam_median"]
        return dict(limit="sgemm 2048^3", limit_value=ceiling, limit_unit="GFLOP/s", achieved=achieved,
                    fraction=achieved / ceiling)
    # Decoding reads every fp32 weight once a step (all beams together); a model that fits in the caches
    # is not bound by memory, so it has no such fraction.
    if s["case"].startswith("gen_") and 4 * kalam.get("params", 0) >= 64 << 20:
        bandwidth = roofline["read_bandwidth"]["median"]
        achieved = 4 * kalam["params"] * s["kalam_median"] / 1e9
        return dict(limit="read bandwidth", limit_value=bandwidth, limit_unit="GB/s", achieved=achieved,
                    fraction=achieved / bandwidth)
    return None


def main(default_cases=DEFAULT_CASES, description=__doc__):
    ap = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default=default_cases, help=f"comma-separated pytorch_bench.py cases: {', '.join(CASES)}")
    ap.add_argument("--threads", type=int, default=2, help="threads on both sides (default 2)")
    ap.add_argument("--reps", type=int, default=5, help="timed repetitions per process on both sides (default 5)")
    ap.add_argument("--kalam", help="the kalam executable (default .build/release/kalam)")
    ap.add_argument("--roofline", action="store_true", help="measure the machine first and quote fractions of it")
    benchlib.add_arguments(ap)
    args = ap.parse_args()
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    for c in cases:
        if c not in CASES:
            ap.error(f"unknown case {c!r}; known: {', '.join(CASES)}")
    binary = benchlib.kalam_binary(args.kalam)
    python = benchlib.venv_python()
    machine = benchlib.machine()
    print(f"# {machine['cpu']} x{machine['nproc']}, {args.threads} threads each side, load average at start "
          f"{machine['load_average_at_start'][0]:.2f}, OPENBLAS_CORETYPE={machine['env']['OPENBLAS_CORETYPE']}",
          flush=True)
    roofline = None
    if args.roofline:
        roofline = benchlib.kalam_bench(binary, ["roofline"], args.threads)
        sgemm = ", ".join(f"{r['m']}x{r['k']}x{r['n']} {benchlib.fmt(r['median'])}" for r in roofline["sgemm"])
        print(f"# roofline (load average {roofline['load_average'][0]:.2f}): sgemm GFLOP/s {sgemm}; read "
              f"{benchlib.fmt(roofline['read_bandwidth']['median'])} GB/s", flush=True)
    comparisons = []
    for case in cases:
        c = benchlib.alternate(case, kalam_side(binary, case, args), reference_side(case, args, python), args)
        c["summary"]["unit"] = "tokens/s"
        if roofline:
            c["summary"]["roofline"] = against_roofline(c, roofline)
        comparisons.append(c)
    print()
    benchlib.print_table(comparisons)
    for c in comparisons:
        r = c["summary"].get("roofline")
        if r:
            print(f"{c['summary']['case']:26s} Kalam ~{benchlib.fmt(r['achieved'])} {r['limit_unit']} = "
                  f"{100 * r['fraction']:.0f}% of the {r['limit']} ({benchlib.fmt(r['limit_value'])} {r['limit_unit']})")
    benchlib.write_json(args.json, comparisons, roofline=roofline, arguments=vars(args))


if __name__ == "__main__":
    main()
