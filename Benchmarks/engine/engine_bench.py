#!/usr/bin/env python3
"""Kalam's engine vs PyTorch, side by side in one run, alternating (2 threads each).

Cases: forward + backward tokens/s of a 4-layer GPT block stack at the tiny config (B 16, T 128, d 128,
4 heads, vocab 256) and the small config (B 8, T 256, d 256, 8 heads, vocab 8192), and sgemm GFLOP/s at
2048x2048x2048 and 2048x128x512 (M x K x N). The Kalam side is `KalamBench engine` (Benchmarks/KalamBench/
EngineBench.swift), the model built directly from KalamCore ops; the PyTorch side is the same model in
plain PyTorch (modelled on ../shared/baselines/pytorch_bench.py's NanoGPT, GELU with the tanh
approximation as in Kalam, F.scaled_dot_product_attention, tied head, F.cross_entropy).

Each round runs the Kalam binary (a subprocess; torch is idle meanwhile), then PyTorch in this process,
for each case; the report gives medians over all repetitions and the ratio Kalam / PyTorch.

  swift build -c release --product KalamBench
  /tmp/ptbench/venv/bin/python Benchmarks/engine/engine_bench.py [--rounds 3] [--cases tiny,small,sgemm]
"""
import argparse
import json
import math
import os
import pathlib
import statistics
import subprocess
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parents[2]
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
    return [dict(label=f"fwd+bwd {name}", unit="tok/s", values=vals)]


def torch_sgemm(reps):
    rows = []
    for (m, k, n) in [(2048, 2048, 2048), (2048, 128, 512)]:
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
        for _ in range(max(reps, 5)):
            t0 = time.perf_counter()
            for _ in range(it):
                torch.matmul(a, b)
            vals.append(2.0 * m * k * n * it / (time.perf_counter() - t0) / 1e9)
        rows.append(dict(label=f"sgemm {m}x{k}x{n}", unit="GFLOP/s", values=vals))
    return rows


def auto_coretype():
    """OpenBLAS 0.3.21 (Debian 12) names this machine's virtual "Intel Xeon Processor" `Prescott` and runs
    its SSE3 kernels, 4x slower than its AVX-512 ones; pick the kernel from the CPU flags instead."""
    try:
        flags = next(l for l in open("/proc/cpuinfo") if l.startswith("flags")).split()
    except (OSError, StopIteration):
        return None
    return "SkylakeX" if "avx512f" in flags else "Haswell" if "avx2" in flags else None


def kalam(binary, case, reps, warmup, threads, coretype):
    env = dict(os.environ, KALAM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    out = subprocess.run([binary, "engine", "--case", case, "--reps", str(reps), "--warmup", str(warmup)],
                         env=env, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default="tiny,small,sgemm")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds (Kalam, then PyTorch)")
    ap.add_argument("--reps", type=int, default=3, help="timed repetitions per side per round")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--binary", default=str(ROOT / ".build" / "release" / "KalamBench"))
    ap.add_argument("--openblas-coretype", default=os.environ.get("OPENBLAS_CORETYPE", "auto"),
                    help="OPENBLAS_CORETYPE for the Kalam side: auto (from the CPU flags), none, or a name")
    ap.add_argument("--json", help="write all values here")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    coretype = {"auto": auto_coretype(), "none": None}.get(args.openblas_coretype, args.openblas_coretype)
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    print(f"# torch {torch.__version__}, {args.threads} threads each side, load average at start {load}, "
          f"Kalam's OPENBLAS_CORETYPE={coretype}")
    values = {}  # label -> {"kalam": [...], "torch": [...], "unit": ...}
    for r in range(args.rounds):
        for case in args.cases.split(","):
            for side in ("kalam", "torch"):
                if side == "kalam":
                    rows = kalam(args.binary, case, args.reps, args.warmup, args.threads, coretype)
                elif case == "sgemm":
                    rows = torch_sgemm(args.reps)
                else:
                    rows = torch_train(case, args.reps, args.warmup)
                for row in rows:
                    entry = values.setdefault(row["label"], dict(unit=row["unit"], kalam=[], torch=[]))
                    entry[side].extend(row["values"])
                    print(f"  round {r + 1} {side:5s} {row['label']:22s} "
                          + " ".join(f"{v:,.0f}" for v in row["values"]) + f" {row['unit']}", flush=True)
    print(f"\n{'case':22s} {'unit':8s} {'Kalam':>10s} {'PyTorch':>10s} {'ratio':>6s}   (medians)")
    for label, e in values.items():
        k, t = statistics.median(e["kalam"]), statistics.median(e["torch"])
        e.update(kalam_median=k, torch_median=t, ratio=k / t)
        print(f"{label:22s} {e['unit']:8s} {k:10,.1f} {t:10,.1f} {k / t:6.2f}")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(values, indent=1) + "\n")


if __name__ == "__main__":
    main()
