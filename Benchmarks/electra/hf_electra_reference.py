#!/usr/bin/env python3
"""ELECTRA pretraining in PyTorch + transformers at Kalam's tiny preset, as a reference for issue 12:
does transformers' ELECTRA, trained the way `kalam pretrain --arch electra --preset tiny` trains, learn
replaced-token detection beyond the prior in the same budget?

Same setting as Kalam's defaults: the WordPiece tokenizer Kalam trained (`--tokenizer DIR/tokenizer.json`
of a `kalam pretrain --arch electra` run), KJV verses joined by spaces into sequences of at most 126
tokens plus [CLS] and [SEP] (5% of verses held out), discriminator 4 layers x 128 (4 heads, feed-forward
512), generator 4 layers x 32 (1 head, feed-forward 128) sharing the discriminator's embeddings, no
dropout; 15% of tokens masked (80% [MASK], 10% random, 10% kept), replacements sampled from the
generator, a sample equal to the original labelled "original"; loss = generator MLM + 50 x RTD; AdamW
(betas 0.9/0.95, weight decay 0.1 on matrices other than embedding tables), peak 2e-3, 25% linear warm-up then cosine to 0.1x, gradient
norm clipped at 1, batches of 16.

Prints, every 50 steps, the mean generator loss, discriminator loss and the loss of the replacement prior
(the binary entropy of the batch's replaced share), then the AUC of the discriminator's logits on held-out
verses with 15% of tokens replaced uniformly at random and by unigram frequency (as `kalam evaluate`).

    "${KALAM_BENCH_VENV:-$HOME/.cache/kalam/bench-venv}/bin/python" Benchmarks/electra/hf_electra_reference.py \
        --tokenizer RUN/tokenizer.json --corpus ~/.cache/kalam/corpora/kjv/kjv.txt --steps 400 --seed 0
"""
import argparse
import json
import math
import random

import torch
from tokenizers import Tokenizer
from transformers import ElectraConfig, ElectraForMaskedLM, ElectraForPreTraining


def load_sequences(tokenizer, corpus, budget, seed):
    verses = [line.strip() for line in open(corpus, encoding="utf-8") if line.strip()]
    ids = [e.ids for e in tokenizer.encode_batch(verses, add_special_tokens=False)]
    rng = random.Random(seed)
    held = set(rng.sample(range(len(ids)), len(ids) // 20))

    def pack(indices):
        out, current = [], []
        for i in indices:
            piece = ids[i][:budget]
            if current and len(current) + len(piece) > budget:
                out.append(current)
                current = []
            current = current + piece
        if current:
            out.append(current)
        return out

    train = pack([i for i in range(len(ids)) if i not in held])
    valid = pack([i for i in range(len(ids)) if i in held])
    return train, valid


def batch_tensors(rows, cls, sep, pad, length):
    ids = torch.full((len(rows), length), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), length), dtype=torch.long)
    for r, row in enumerate(rows):
        seq = [cls] + row + [sep]
        ids[r, : len(seq)] = torch.tensor(seq)
        mask[r, : len(seq)] = 1
    return ids, mask


def auc(scores, labels):
    order = torch.argsort(scores)
    ranks = torch.empty_like(scores)
    ranks[order] = torch.arange(1, len(scores) + 1, dtype=scores.dtype)
    # Ties share their mean rank.
    values, inverse, counts = torch.unique(scores, return_inverse=True, return_counts=True)
    sums = torch.zeros(len(values), dtype=scores.dtype).index_add_(0, inverse, ranks)
    ranks = (sums / counts)[inverse]
    p = int(labels.sum())
    n = len(labels) - p
    return float((ranks[labels.bool()].sum() - p * (p + 1) / 2) / (p * n))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--decay-embeddings", action="store_true", help="decay the embedding tables too")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    tok = Tokenizer.from_file(args.tokenizer)
    v = tok.get_vocab_size()
    pad, unk, cls, sep, mask_id = (tok.token_to_id(t) for t in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    special = torch.tensor(sorted({pad, unk, cls, sep, mask_id}))
    length = 128
    train, valid = load_sequences(tok, args.corpus, length - 2, args.seed)

    common = dict(vocab_size=v, embedding_size=128, num_hidden_layers=4, max_position_embeddings=length,
                  hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, pad_token_id=pad)
    disc = ElectraForPreTraining(ElectraConfig(hidden_size=128, num_attention_heads=4, intermediate_size=512, **common))
    gen = ElectraForMaskedLM(ElectraConfig(hidden_size=32, num_attention_heads=1, intermediate_size=128, **common))
    gen.electra.embeddings = disc.electra.embeddings
    gen.generator_lm_head.weight = disc.electra.embeddings.word_embeddings.weight
    named = {}
    for prefix, model in (("discriminator.", disc), ("generator.", gen)):
        for key, p in model.named_parameters():
            named.setdefault(id(p), (prefix + key, p))
    params = [p for _, p in named.values()]
    # As Kalam's AdamW: matrices decay, biases, norms and embedding tables do not.
    def decays(key, p):
        return p.dim() >= 2 and (args.decay_embeddings or ".embeddings." not in key)

    decay = [p for key, p in named.values() if decays(key, p)]
    no_decay = [p for key, p in named.values() if not decays(key, p)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))
    warm = min(200, int(args.steps * 0.25))

    def lr_at(step):
        if step <= warm:
            return args.lr * step / max(warm, 1)
        progress = (step - warm) / max(1, args.steps - warm)
        return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))

    rng = random.Random(args.seed)
    order = []
    sums = [0.0, 0.0, 0.0]
    disc.train()
    gen.train()
    for step in range(1, args.steps + 1):
        if len(order) < 16:
            more = list(range(len(train)))
            rng.shuffle(more)
            order += more
        rows = [train[i] for i in order[:16]]
        order = order[16:]
        ids, att = batch_tensors(rows, cls, sep, pad, length)
        eligible = (att == 1) & ~torch.isin(ids, special)
        chosen = (torch.rand(ids.shape) < 0.15) & eligible
        labels = torch.where(chosen, ids, torch.full_like(ids, -100))
        u = torch.rand(ids.shape)
        gen_in = ids.clone()
        gen_in[chosen & (u < 0.8)] = mask_id
        randoms = torch.randint(0, v, ids.shape)
        swap = chosen & (u >= 0.8) & (u < 0.9)
        gen_in[swap] = randoms[swap]
        g = gen(input_ids=gen_in, attention_mask=att, labels=labels)
        with torch.no_grad():
            probs = torch.softmax(g.logits[chosen].float(), dim=-1)
            sampled = torch.multinomial(probs, 1).squeeze(-1)
        disc_in = ids.clone()
        disc_in[chosen] = sampled
        replaced = (disc_in != ids).long()
        d = disc(input_ids=disc_in, attention_mask=att, labels=replaced)
        loss = g.loss + 50 * d.loss
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(params), 1.0)
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        opt.step()
        share = float(replaced.sum()) / float(att.sum())
        prior = -(share * math.log(share) + (1 - share) * math.log(1 - share)) if 0 < share < 1 else 0.0
        sums = [sums[0] + float(g.loss), sums[1] + float(d.loss), sums[2] + prior]
        if step % 50 == 0:
            print(f"step {step}: generator {sums[0] / 50:.3f} discriminator {sums[1] / 50:.4f} "
                  f"prior {sums[2] / 50:.4f} gap {(sums[2] - sums[1]) / 50:+.4f}", flush=True)
            sums = [0.0, 0.0, 0.0]

    disc.eval()
    counts = torch.zeros(v)
    for row in train:
        counts += torch.bincount(torch.tensor(row), minlength=v).float()
    counts[special] = 0
    uniform = torch.ones(v)
    uniform[special] = 0
    result = {"steps": args.steps, "seed": args.seed, "lr": args.lr, "decay_embeddings": args.decay_embeddings}
    for name, weights in [("random", uniform), ("unigram", counts)]:
        erng = torch.Generator().manual_seed(11)
        scores, truth = [], []
        with torch.no_grad():
            for start in range(0, min(len(valid), 640), 16):
                ids, att = batch_tensors(valid[start:start + 16], cls, sep, pad, length)
                eligible = (att == 1) & ~torch.isin(ids, special)
                chosen = (torch.rand(ids.shape, generator=erng) < 0.15) & eligible
                draws = torch.multinomial(weights, ids.numel(), replacement=True, generator=erng).view(ids.shape)
                inp = torch.where(chosen, draws, ids)
                logits = disc(input_ids=inp, attention_mask=att).logits
                scores.append(logits[eligible])
                truth.append((inp != ids)[eligible].long())
        result[f"auc_{name}"] = auc(torch.cat(scores).double(), torch.cat(truth))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
