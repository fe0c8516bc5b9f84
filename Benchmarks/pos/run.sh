#!/usr/bin/env bash
# POS tagging speed, one core: Kalam's PerceptronTagger vs denckring-en-pos's Python tagger on the same
# words (BBC News, WordNet glosses, KJV from the data cache), alternating pairs, ratio of medians.
# Usage: Benchmarks/pos/run.sh [PAIRS] [SENTENCES] [compare.py options…]
# Runs in the benchmark environment: ${KALAM_BENCH_VENV:-$HOME/.cache/kalam/bench-venv} (Benchmarks/baseline/make-venv).
set -euo pipefail
cd "$(dirname "$0")/../.."
PAIRS=${1:-3}
SENTENCES=${2:-20000}
shift $(($# < 2 ? $# : 2))
VENV=${KALAM_BENCH_VENV:-$HOME/.cache/kalam/bench-venv}
[ -x "$VENV/bin/python" ] || { echo "no benchmark environment at $VENV: run Benchmarks/baseline/make-venv" >&2; exit 1; }
swift build -c release --product kalam >/dev/null
exec "$VENV/bin/python" Benchmarks/pos/compare.py --pairs "$PAIRS" --sentences "$SENTENCES" "$@"
