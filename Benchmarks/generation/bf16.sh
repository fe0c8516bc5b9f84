#!/usr/bin/env bash
# GPT-2 124M greedy decoding with float32 weights against bfloat16 weight storage (`--dtype bf16`),
# alternating, each pair started at a 1-minute load average below 0.3, with the read bandwidth measured
# in the same run. pytorch_bench.py has no bf16 case, so this is Kalam against itself.
#
#   Benchmarks/generation/bf16.sh [PAIRS]        # KALAM=.build/release/kalam by default
set -euo pipefail
cd "$(dirname "$0")/../.."
KALAM=${KALAM:-.build/release/kalam}
PAIRS=${1:-3}
wait_quiet() {
    for _ in $(seq 1 60); do
        awk '{ exit !($1 < 0.3) }' /proc/loadavg && return 0
        sleep 10
    done
    echo "load stayed at $(cut -d' ' -f1 /proc/loadavg)" >&2
}
wait_quiet
"$KALAM" bench roofline --only bandwidth | tail -1
for pair in $(seq 1 "$PAIRS"); do
    wait_quiet
    load=$(cut -d' ' -f1 /proc/loadavg)
    fp32=$("$KALAM" bench generate --case gen_gpt2_124m_greedy --repeats 3 --json)
    bf16=$("$KALAM" bench generate --case gen_gpt2_124m_greedy --repeats 3 --dtype bf16 --json)
    python3 - "$fp32" "$bf16" "$pair" "$load" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print("pair %s (load %s): fp32 %.2f tokens/s (%d MB), bf16 %.2f tokens/s (%d MB), bf16/fp32 %.2f" % (
    sys.argv[3], sys.argv[4], a["median"], a["maxrss_mb"], b["median"], b["maxrss_mb"], b["median"] / a["median"]))
PY
done
"$KALAM" bench roofline --only bandwidth | tail -1
