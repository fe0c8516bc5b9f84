// KalamBench: benchmarks run side by side with PyTorch/Python by the drivers in Benchmarks/<area>/.
//
//   swift build -c release --product KalamBench
//   .build/release/KalamBench engine --case tiny --reps 3     (see EngineBench.swift)
//   .build/release/KalamBench pos run FILE 5                  (see POSBench.swift, Benchmarks/pos/run.sh)
//   .build/release/KalamBench models [ROUNDS] [CASES]         (see ModelTrainingBench.swift; runs pytorch_bench.py itself)
//   .build/release/KalamBench train --case tiny --reps 3      (see TrainBench.swift, Benchmarks/train/)
//   .build/release/KalamBench generation --case gen_tiny_greedy (see GenerationBench.swift,
//                                                              Benchmarks/generation/compare.py)

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
case "models":
    let rounds = arguments.count > 1 ? Int(arguments[1]) ?? 2 : 2
    let only = arguments.count > 2 ? Set(arguments[2].split(separator: ",").map(String.init)) : []
    do {
        try ModelTrainingBench.run(rounds: rounds, only: only)
    } catch {
        FileHandle.standardError.write(Data("KalamBench models: \(error)\n".utf8))
        exit(1)
    }
case "models-profile":
    do {
        try ModelTrainingBench.profile()
    } catch {
        FileHandle.standardError.write(Data("KalamBench models-profile: \(error)\n".utf8))
        exit(1)
    }
case "generation":
    do {
        try GenerationBench.run(Array(arguments.dropFirst()))
    } catch {
        FileHandle.standardError.write(Data("KalamBench generation: \(error)\n".utf8))
        exit(1)
    }
default:
    print("usage: KalamBench engine [--case tiny|small|sgemm] [--reps N] [--warmup N] [--steps N]")
    print("       KalamBench pos dump FILE [SENTENCES] | pos run FILE [REPEATS]")
    print("       KalamBench models [ROUNDS] [train_hf_gpt2_tiny,train_hf_bert_mlm,train_hf_t5] | models-profile")
    print("       KalamBench train --case tiny|small [--reps N] [--target-rep-s S]")
    print("       KalamBench generation --case \(GenerationBench.cases.joined(separator: "|")) [--reps N]")
    print("Benchmarks/engine/engine_bench.py and Benchmarks/pos/run.sh run them side by side with Python.")
}
