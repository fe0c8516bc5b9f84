#!/usr/bin/env python3
"""Kalam's engine vs PyTorch, side by side, alternating pair by pair (2 threads each).

Cases: forward + backward tokens/s of a 4-layer GPT block stack at the tiny config (B 16, T 128, d 128,
4 heads, vocab 256) and the small config (B 8, T 256, d 256, 8 heads, vocab 8192), and sgemm GFLOP/s at
512x512x512, 2048x2048x2048 and 2048x128x512 (M x K x N). The Kalam side is `kalam bench engine --case
tiny|small` (the model built directly from KalamCore ops) and `kalam bench roofline --only sgemm` (products
through Kalam's backend); the PyTorch side is the same model in plain PyTorch, in this process (modelled
on Benchmarks/baseline/pytorch_bench.py's NanoGPT, GELU with the tanh approximation as in Kalam,
F.scaled_dot_product_attention, tied head, F.cross_entropy), and torch.matmul.

Pairs alternate which side goes first; benchlib checks the load average before each pair and reports
the medians of all runs and the ratio Kalam / PyTorch. Run it in the benchmark environment:

  swift build -c release --product kalam
  "${KALAM_BENCH_VENV:-$HOME/.cache/kalam/bench-venv}/bin/python" Benchmarks/engine/engine_bench.py [--pairs 3] [--cases tiny,small,sgemm]
"""
import argparse
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
import benchlib  # noqa: E402

CONFIGS = {
    "tiny": dict(batch=16, ctx=128, d=128, heads=4, layers=4, vocab=256),
    "small": dict(batch=8, ctx=256, d=256, heads=8, layers=4, vocab=8192),
}


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(d)
        self.c_attn = nn.Linear(d, 3 * d)
        self.attn_proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d)
        self.c_fc = nn.Linear(d, 4 * d)
        self.c_proj = nn.Linear(4 * d, d)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))  # [B, H, T, hs]
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, c)
        x = x + self.attn_proj(y)
        return x + self.c_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class Stack(nn.Module):
    def __init__(self, vocab, ctx, d, heads, layers):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(ctx, d)
        self.h = nn.ModuleList([Block(d, heads) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d)
        for n, p in self.named_parameters():
            if n.endswith("weight") and p.dim() == 2:
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * layers) if "proj" in n else 0.02)

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for blk in self.h:
            x = blk(x)
        logits = self.ln_f(x) @ self.wte.weight.t()  # tied head
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def torch_train(name, reps, warmup):
    c = CONFIGS[name]
    torch.manual_seed(0)
    model = Stack(c["vocab"], c["ctx"], c["d"], c["heads"], c["layers"])
    g = torch.Generator().manual_seed(0)
    batches = [(torch.randint(0, c["vocab"], (c["batch"], c["ctx"]), generator=g),
                torch.randint(0, c["vocab"], (c["batch"], c["ctx"]), generator=g)) for _ in range(4)]
    i = 0

    def step():
        nonlocal i
        ids, targets = batches[i % 4]
        i += 1
        model.zero_grad(set_to_none=True)
        model(ids, targets).backward()

    last = 0.0
    for _ in range(max(1, warmup)):
        t0 = time.perf_counter()
        step()
        last = time.perf_counter() - t0
    k = max(1, min(50, round(2.0 / max(last, 1e-6))))
    vals = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(k):
            step()
        vals.append(k * c["batch"] * c["ctx"] / (time.perf_counter() - t0))
    return dict(runs=vals, unit="tokens/s")


SGEMM_SHAPES = [(512, 512, 512), (2048, 2048, 2048), (2048, 128, 512)]


def torch_sgemm(m, k, n, reps):
    a, b = torch.randn(m, k), torch.randn(k, n)
    for _ in range(3):
        torch.matmul(a, b)
    it = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(it):
            torch.matmul(a, b)
        dt = time.perf_counter() - t0
        if dt >= 0.15 or it >= 1 << 16:
            break
        it *= 2
    it = max(1, round(it * 0.3 / dt))
    vals = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(it):
            torch.matmul(a, b)
        vals.append(2.0 * m * k * n * it / (time.perf_counter() - t0) / 1e9)
    return dict(runs=vals, unit="GFLOP/s")


def kalam_train(binary, case, args):
    return lambda: benchlib.kalam_bench(binary, ["engine", "--case", case, "--repeats", str(args.reps),
                                                 "--warmup", str(args.warmup)], args.threads)


def kalam_sgemm(binary, m, k, n, args):
    def run():
        r = benchlib.kalam_bench(binary, ["roofline", "--only", "sgemm", "--repeats", str(args.reps)], args.threads)
        row = next(x for x in r["sgemm"] if (x["m"], x["k"], x["n"]) == (m, k, n))
        return dict(runs=row["runs"], unit="GFLOP/s")
    return run


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default="tiny,small,sgemm")
    ap.add_argument("--reps", type=int, default=3, help="timed repetitions per side per pair")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--kalam", help="the kalam executable (default .build/release/kalam)")
    benchlib.add_arguments(ap)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    binary = benchlib.kalam_binary(args.kalam)
    m = benchlib.machine()
    print(f"# torch {torch.__version__}, {args.threads} threads each side, load average at start "
          f"{m['load_average_at_start'][0]:.2f}, OPENBLAS_CORETYPE={m['env']['OPENBLAS_CORETYPE']}", flush=True)
    comparisons = []
    for case in [c for c in args.cases.split(",") if c]:
        if case == "sgemm":
            for (mm, k, n) in SGEMM_SHAPES:
                comparisons.append(benchlib.alternate(
                    f"sgemm {mm}x{k}x{n}", kalam_sgemm(binary, mm, k, n, args),
                    lambda mm=mm, k=k, n=n: torch_sgemm(mm, k, n, args.reps), args))
        else:
            comparisons.append(benchlib.alternate(
                f"fwd+bwd {case}", kalam_train(binary, case, args),
                lambda case=case: torch_train(case, args.reps, args.warmup), args))
    print()
    benchlib.print_table(comparisons)
    benchlib.write_json(args.json, comparisons, torch=torch.__version__, arguments=vars(args))


if __name__ == "__main__":
    main()
