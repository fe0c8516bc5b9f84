#!/usr/bin/env python3
"""POS tagging speed on one core: Kalam's PerceptronTagger against denckring-en-pos's Python tagger on
the same words, alternating pair by pair (Benchmarks/common/benchlib.py), ratio of medians.

1. `kalam bench pos dump --file F --sentences N` writes N sentences (every k-th line of BBC News, WordNet
   noun glosses and the KJV from the data cache), split into words by WordTokenizer, one a line.
2. Each pair runs `kalam bench pos run --file F --repeats 5 --json` and `bench_pos.py F 1`, both pinned
   to core 0 (taskset, where there is one), in alternating order.
3. Prints the medians of wall and CPU-time throughput and their ratios (Kalam / Python), and Kalam's
   end-to-end throughput from raw text.

Run by Benchmarks/pos/run.sh, in the benchmark environment (it needs denckring-en-pos).
"""
import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "common"))
import benchlib  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sentences", type=int, default=20000)
    ap.add_argument("--kalam", help="the kalam executable (default .build/release/kalam)")
    benchlib.add_arguments(ap)
    args = ap.parse_args()
    kalam = benchlib.kalam_binary(args.kalam)
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    with tempfile.TemporaryDirectory(prefix="kalam-pos-bench-") as tmp:
        file = str(Path(tmp) / "sentences.txt")
        subprocess.run([kalam, "bench", "pos", "dump", "--file", file, "--sentences", str(args.sentences)], check=True)
        kalam_runs, python_runs = [], []

        def kalam_side():
            r = benchlib.run_json(pin + [kalam, "bench", "pos", "run", "--file", file, "--repeats", "5", "--json"])
            kalam_runs.append(r)
            return r

        def python_side():
            r = benchlib.run_json(pin + [sys.executable, HERE / "bench_pos.py", file, "1"])
            python_runs.append(r)
            return r

        wall = benchlib.alternate("tag (wall)", kalam_side, python_side, args, unit="tokens/s")
    cpu = benchlib.summarize(
        "tag (CPU time)",
        [dict(p, kalam=dict(runs=[p["kalam"]["cpu_tokens_per_s"]]), reference=dict(runs=p["reference"]["cpu_runs"]))
         for p in wall["pairs"]], "tokens/s")
    print()
    benchlib.print_table([wall, cpu], reference="Python")
    end_to_end = benchlib.median([r["end_to_end_tokens_per_s"] for r in kalam_runs])
    print(f"tokens: {kalam_runs[0]['shape']['tokens']}; one core; Kalam from raw text (WordTokenizer + tagger): "
          f"{benchlib.fmt(end_to_end)} tokens/s wall")
    benchlib.write_json(args.json, [wall, cpu], arguments=vars(args))


if __name__ == "__main__":
    main()
