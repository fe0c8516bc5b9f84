// KalamBench: benchmarks run side by side with PyTorch by the drivers in Benchmarks/<area>/.
//
//   swift build -c release --product KalamBench
//   .build/release/KalamBench engine --case tiny --reps 3     (see EngineBench.swift)

import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "engine":
    do {
        try EngineBench.main(Array(arguments.dropFirst()))
    } catch {
        FileHandle.standardError.write(Data("KalamBench engine: \(error)\n".utf8))
        exit(1)
    }
default:
    print("usage: KalamBench engine [--case tiny|small|sgemm] [--reps N] [--warmup N] [--steps N]")
    print("Benchmarks/engine/engine_bench.py runs it side by side with PyTorch.")
}
