#!/usr/bin/env bash
# POS tagging speed, one core: Kalam's PerceptronTagger vs denckring-en-pos's Python tagger on the same
# words (BBC News, WordNet glosses, KJV from the data cache), alternating rounds, ratio of medians.
# Usage: Benchmarks/pos/run.sh [ROUNDS] [SENTENCES]     (PYTHON=/tmp/ptbench/venv/bin/python by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
SENTENCES=${2:-20000}
PYTHON=${PYTHON:-/tmp/ptbench/venv/bin/python}
FILE=$(mktemp /tmp/kalam-pos-bench.XXXXXX)
trap 'rm -f "$FILE"' EXIT
swift build -c release --product KalamBench >/dev/null
BENCH=.build/release/KalamBench
PIN="taskset -c 0"
command -v taskset >/dev/null || PIN=""
$BENCH pos dump "$FILE" "$SENTENCES"
: > /tmp/kalam-pos-bench.results
for round in $(seq 1 "$ROUNDS"); do
    $PIN "$BENCH" pos run "$FILE" 5 | tee -a /tmp/kalam-pos-bench.results
    $PIN "$PYTHON" Benchmarks/pos/bench_pos.py "$FILE" 1 | tee -a /tmp/kalam-pos-bench.results
done
"$PYTHON" - <<'PY'
import json, statistics
rows = [json.loads(l) for l in open("/tmp/kalam-pos-bench.results") if l.startswith("{")]
med = lambda impl, key: statistics.median(r[key] for r in rows if r["impl"] == impl)
k, kc, e = med("kalam", "tokens_per_s"), med("kalam", "cpu_tokens_per_s"), med("kalam", "end_to_end_tokens_per_s")
p, pc = med("python", "tokens_per_s"), med("python", "cpu_tokens_per_s")
print(f"tokens: {rows[0]['tokens']}; one core; medians over {len(rows)//2} alternating rounds")
print(f"kalam tagger: {k:,.0f} tokens/s wall, {kc:,.0f} tokens/s CPU (tokenize + tag from raw text: {e:,.0f} tokens/s wall)")
print(f"python denckring-en-pos: {p:,.0f} tokens/s wall, {pc:,.0f} tokens/s CPU")
print(f"ratio kalam/python: {k/p:.1f}x wall, {kc/pc:.1f}x CPU")
PY
