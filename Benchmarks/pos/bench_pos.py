#!/usr/bin/env python3
"""Python side of the POS benchmark: denckring-en-pos's own tagger on the file `kalam bench pos dump` wrote.

Usage: bench_pos.py FILE [REPEATS]   prints one JSON line: tokens/s of each pass (wall and CPU time).
"""
import json
import sys
import time

from denckring_en_pos import tagger as load_tagger


def main():
    path = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    sentences = [line.split(" ") for line in open(path, encoding="utf-8").read().split("\n") if line]
    tokens = sum(len(s) for s in sentences)
    model = load_tagger()
    wall, cpu = [], []
    for _ in range(repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        for words in sentences:
            model.tag(words)
        cpu.append(tokens / (time.process_time() - cpu_start))
        wall.append(tokens / (time.perf_counter() - start))
    print(json.dumps({"impl": "python", "unit": "tokens/s", "tokens": tokens, "runs": wall, "cpu_runs": cpu}))


if __name__ == "__main__":
    main()
