#!/usr/bin/env python3
"""Fine-tuning throughput per adaptation mode: Kalam (`kalam bench finetune --mode M`) against
transformers (+ peft for LoRA), alternating pair by pair, 2 threads each.

Both sides: BertForSequenceClassification with all-MiniLM-L6-v2's shapes (vocab 30522, hidden 384,
6 layers, 12 heads, intermediate 1536), 5 labels, random weights, random ids, batch 16 of 128 tokens,
dropout on (train mode), one step = forward, cross-entropy, backward, clipping to norm 1, AdamW
(lr 1e-4, betas 0.9/0.999, weight decay 0.01) over the trainable parameters. Modes: full; frozen (the
encoder frozen, pooler + classifier trained); lora (peft LoraConfig SEQ_CLS, r 8, alpha 16, dropout 0.1,
query + value). Kalam's `adapter` mode has no transformers/peft counterpart and is timed on Kalam's
side only (`kalam bench finetune --mode adapter`).

  swift build -c release --product kalam
  "${KALAM_BENCH_VENV:-$HOME/.cache/kalam/bench-venv}/bin/python" Benchmarks/finetune/finetune_bench.py \
      [--pairs 3] [--modes full,frozen,lora] [--json out.json]
  ... finetune_bench.py --reference-only --mode lora     # one reference run, one JSON line
"""
import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
import benchlib  # noqa: E402

BATCH, SEQ, LABELS = 16, 128, 5


def reference(mode, reps, warmup, target_s, threads):
    """Times transformers (+ peft) steps; returns {"runs": examples/s per run, ...}."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    import torch
    from transformers import BertConfig, BertForSequenceClassification
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
                        intermediate_size=1536, num_labels=LABELS)
    model = BertForSequenceClassification(config)
    if mode == "frozen":
        for name, p in model.named_parameters():
            p.requires_grad = name.startswith("bert.pooler.") or name.startswith("classifier.")
    elif mode == "lora":
        from peft import LoraConfig, TaskType, get_peft_model
        model = get_peft_model(model, LoraConfig(task_type=TaskType.SEQ_CLS, r=8, lora_alpha=16, lora_dropout=0.1,
                                                 target_modules=["query", "value"]))
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-4, betas=(0.9, 0.999))
    g = torch.Generator().manual_seed(1)
    batches = [(torch.randint(1, 30522, (BATCH, SEQ), generator=g), torch.randint(0, LABELS, (BATCH,), generator=g))
               for _ in range(4)]
    state = {"i": 0}

    def step():
        ids, labels = batches[state["i"] % 4]
        state["i"] += 1
        loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)

    last = 0.0
    for _ in range(warmup):
        t = time.perf_counter()
        step()
        last = time.perf_counter() - t
    k = max(1, min(200, round(target_s / max(last, 1e-6))))
    runs = []
    for _ in range(reps):
        t = time.perf_counter()
        for _ in range(k):
            step()
        runs.append(k * BATCH / (time.perf_counter() - t))
    trainable = sum(p.numel() for p in params)
    return dict(runs=runs, unit="examples/s", trainable_params=trainable,
                maxrss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                torch=torch.__version__)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    benchlib.add_arguments(ap)
    ap.add_argument("--modes", default="full,frozen,lora")
    ap.add_argument("--kalam", help="the kalam binary (default .build/release/kalam)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reference-only", action="store_true")
    ap.add_argument("--mode", default="full")
    args = ap.parse_args()
    if args.reference_only:
        print(json.dumps(reference(args.mode, args.reps, 2, 2.0, args.threads)))
        return
    kalam = benchlib.kalam_binary(args.kalam)
    python = benchlib.venv_python()
    comparisons = []
    for mode in args.modes.split(","):
        def kalam_side(mode=mode):
            r = benchlib.kalam_bench(kalam, ["finetune", "--mode", mode, "--repeats", str(args.reps)], args.threads)
            r["maxrss_mb"] = r.get("maxrss_mb", r.get("peak_rss_mb", 0))
            return r

        def reference_side(mode=mode):
            return benchlib.run_json([python, __file__, "--reference-only", "--mode", mode, "--reps", str(args.reps),
                                      "--threads", str(args.threads)])

        comparisons.append(benchlib.alternate(f"finetune_{mode}", kalam_side, reference_side, args,
                                              unit="examples/s"))
    benchlib.print_table(comparisons, reference="transformers")
    benchlib.write_json(args.json, comparisons)


if __name__ == "__main__":
    main()
