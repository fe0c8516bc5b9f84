#!/usr/bin/env python3
"""Python side of the POS benchmark: denckring-en-pos's own tagger on the file KalamBench wrote.

Usage: bench_pos.py FILE [REPEATS]   prints one JSON line like KalamBench pos run.
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
    seconds, cpu = [], []
    for _ in range(repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        for words in sentences:
            model.tag(words)
        cpu.append(time.process_time() - cpu_start)
        seconds.append(time.perf_counter() - start)
    median = sorted(seconds)[len(seconds) // 2]
    median_cpu = sorted(cpu)[len(cpu) // 2]
    print(json.dumps({"impl": "python", "tokens": tokens, "seconds": median, "tokens_per_s": int(tokens / median),
                      "cpu_tokens_per_s": int(tokens / median_cpu)}))


if __name__ == "__main__":
    main()
