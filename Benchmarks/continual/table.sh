#!/usr/bin/env bash
# The strategy table of issue 14: `kalam continual --json` for every (scenario, strategy, seed), one JSON
# line each appended to $OUT; cells already in $OUT are skipped, so an interrupted sweep continues.
# Then: python3 Benchmarks/continual/summarise.py $OUT  (mean ± std over the seeds).
#
#   SCENARIOS="lm-domains bbc-tasks" SEEDS="0 1 2" QUICK=1 Benchmarks/continual/table.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
KALAM=${KALAM:-.build/release/kalam}
SCENARIOS=${SCENARIOS:-"lm-domains bbc-tasks"}
STRATEGIES=${STRATEGIES:-"naive joint cumulative ewc online-ewc si mas l2sp lwf replay agem adapters dual-memory"}
SEEDS=${SEEDS:-"0 1 2"}
QUICK=${QUICK:-1}
OUT=${OUT:-Benchmarks/results/continual-$( [ "$QUICK" = 1 ] && echo quick || echo full ).jsonl}
mkdir -p "$(dirname "$OUT")"
touch "$OUT"
for scenario in $SCENARIOS; do
    for strategy in $STRATEGIES; do
        for seed in $SEEDS; do
            if python3 - "$OUT" "$scenario" "$strategy" "$seed" <<'PY'
import json, sys
path, scenario, strategy, seed = sys.argv[1:]
for line in open(path):
    r = json.loads(line)
    if r.get("scenario") == scenario and r.get("strategy") == strategy and str(r.get("seed")) == seed:
        sys.exit(0)
sys.exit(1)
PY
            then
                continue
            fi
            flags=(--scenario "$scenario" --strategy "$strategy" --seed "$seed" --json)
            [ "$QUICK" = 1 ] && flags+=(--quick)
            if ! line=$("$KALAM" continual "${flags[@]}" 2>/tmp/kalam-continual-error.txt | tail -1) || [ -z "$line" ]; then
                echo "$scenario $strategy seed $seed: $(tail -1 /tmp/kalam-continual-error.txt)"
                continue
            fi
            python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r["seed"]=int(sys.argv[2]); print(json.dumps(r, sort_keys=True))' "$line" "$seed" >> "$OUT"
            echo "$scenario $strategy seed $seed: $(echo "$line" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("ACC %.4f BWT %.4f forgetting %.4f (%.0f s)" % (r["acc"], r["bwt"], r["forgetting"], r["seconds"]))')"
        done
    done
done
