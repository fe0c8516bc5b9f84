// KalamBench: benchmarks per area, `KalamBench <area> …`; see Benchmarks/<area>/ for each area's runner.
let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "pos":
    do { try POSBench.main(Array(arguments.dropFirst())) } catch { print("KalamBench pos: \(error)") }
default:
    print("KalamBench: benchmarks are added per area (pos); see Benchmarks/<area>/")
}
