// KalamBench: benchmarks per area, each compared with ../shared/baselines/pytorch_bench.py.
// `KalamBench generation --case gen_tiny_greedy` (see Benchmarks/generation/README.md).
let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "generation":
    do { try GenerationBench.run(Array(arguments.dropFirst())) } catch { print("error: \(error)") }
default:
    print("KalamBench: benchmarks are added per area; see Benchmarks/README.md")
    print("  generation --case \(GenerationBench.cases.joined(separator: "|")) [--reps N]")
}
