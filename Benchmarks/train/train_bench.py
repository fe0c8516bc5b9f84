#!/usr/bin/env python3
"""Kalam's Trainer vs PyTorch, whole training steps, alternating: Benchmarks/compare.py on the training cases.

Cases: pytorch_bench.py's `train_nanogpt_tiny` (vocab 256, 4 layers, 4 heads, d 128, ctx 128, batch 16) and
`train_nanogpt_small` (vocab 8192, 6 layers, 8 heads, d 256, ctx 256, batch 8) against `kalam bench train
--case tiny|small` (GPT2LMHeadModel trained by KalamTraining's Trainer: forward, backward, clipping, AdamW,
schedule, on random tokens, timed the same way). Also `train_hf_gpt2_tiny`, `train_hf_bert_mlm` and
`train_hf_t5` with --cases. Reported: median tokens/s over all runs of all pairs, the ratio Kalam / PyTorch,
and the median peak RSS of each side.

    swift build -c release --product kalam
    python3 Benchmarks/train/train_bench.py [--pairs 3] [--cases train_nanogpt_tiny,train_nanogpt_small] [--json out.json]
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import compare  # noqa: E402

if __name__ == "__main__":
    compare.main(default_cases="train_nanogpt_tiny,train_nanogpt_small", description=__doc__)
