#!/usr/bin/env python3
"""Kalam vs transformers generation, alternating: Benchmarks/compare.py on the generation cases.

Cases: pytorch_bench.py's `gen_*` (random weights, batch 1, a 32-token random prompt, exactly 128 new
tokens, no end of sequence) against `kalam bench generate --case NAME` (GPT2Decoder + TokenIterator /
BeamSearch, timed the same way). Reported: median tokens/s over all runs of all pairs and the ratio
Kalam / transformers.

    swift build -c release --product kalam
    python3 Benchmarks/generation/compare.py [--cases gen_tiny_greedy,gen_tiny_beam4,gen_gpt2_124m_greedy] [--pairs 2]
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import compare  # noqa: E402

if __name__ == "__main__":
    compare.main(default_cases="gen_tiny_greedy,gen_tiny_beam4,gen_gpt2_124m_greedy", description=__doc__)
