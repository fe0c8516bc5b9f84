// KalamBench: benchmarks per area, each compared with ../shared/baselines/pytorch_bench.py.
// `KalamBench train --case tiny|small` (see Benchmarks/train/README.md).
let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "train":
    do { try TrainBench.run(Array(arguments.dropFirst())) } catch { print("error: \(error)") }
default:
    print("KalamBench: benchmarks are added per area; see Benchmarks/README.md")
    print("  train --case \(TrainBench.cases.joined(separator: "|")) [--reps N] [--target-rep-s S]")
}
