// KalamBench: benchmarks run side by side with PyTorch/Python by the drivers in Benchmarks/<area>/.
//
//   swift build -c release --product KalamBench
//   .build/release/KalamBench engine --case tiny --reps 3     (see EngineBench.swift)
//   .build/release/KalamBench pos run FILE 5                  (see POSBench.swift, Benchmarks/pos/run.sh)
//   .build/release/KalamBench train --case tiny --reps 3      (see TrainBench.swift, Benchmarks/train/)

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
case "pos":
    do {
        try POSBench.main(Array(arguments.dropFirst()))
    } catch {
        FileHandle.standardError.write(Data("KalamBench pos: \(error)\n".utf8))
        exit(1)
    }
case "train":
    do {
        try TrainBench.run(Array(arguments.dropFirst()))
    } catch {
        FileHandle.standardError.write(Data("KalamBench train: \(error)\n".utf8))
        exit(1)
    }
default:
    print("usage: KalamBench engine [--case tiny|small|sgemm] [--reps N] [--warmup N] [--steps N]")
    print("       KalamBench pos dump FILE [SENTENCES] | pos run FILE [REPEATS]")
    print("       KalamBench train --case tiny|small [--reps N] [--target-rep-s S]")
    print("Benchmarks/engine/engine_bench.py and Benchmarks/pos/run.sh run them side by side with Python.")
}
