import Foundation
import KalamCore

/// One benchmark figure as a `kalam bench` subcommand reports it: a summary line, or with `--json` one
/// JSON object on one line.
///
/// The JSON object always has `case`, `unit`, `runs` (one value per timed run), `median`, `min`, `max`,
/// `threads` (Kalam's worker threads), `blas_threads`, `warmup`, `repeats`, `load_average` (1, 5 and 15
/// minutes, read when the command started), `openblas_coretype` (as found in the environment, `null` when
/// unset; never changed), `gemm_kernel` (the matrix-product kernel in use, e.g. `blas:Cooperlake` or
/// `kalam:avx512`; `BLAS.kernel`), `maxrss_mb` (peak resident memory) and `shape` (the configuration that was
/// timed); `baseline` names the `Benchmarks/baseline/pytorch_bench.py` case of the same shape when there
/// is one. `counts` and `measures` add case-specific integers and reals at the top level.
struct BenchResult {
    /// The case name (`"case"` in JSON).
    var name: String
    /// The pytorch_bench.py case with the same shape, if any.
    var baseline: String?
    /// The unit of `runs` (`tokens/s`, `GFLOP/s`, `GB/s`, `s`).
    var unit: String
    /// One value per timed run.
    var runs: [Double]
    /// Untimed warm-up steps or calls before the runs.
    var warmup: Int
    /// The configuration timed, in the order the summary line shows it.
    var shape: [(key: String, value: Int)] = []
    /// Case-specific integers (parameters, steps per run, …).
    var counts: [(key: String, value: Int)] = []
    /// Case-specific reals (loss, CPU throughput, …).
    var measures: [(key: String, value: Double)] = []
    /// Case-specific text (the model family, the decoding strategy, …).
    var notes: [(key: String, value: String)] = []
    /// The load averages when the measurement started.
    var loadAverage: [Double]

    /// A result; `loadAverage` is the machine's, read when the measurement started.
    init(name: String, baseline: String?, unit: String, runs: [Double], warmup: Int, loadAverage: [Double]) {
        self.name = name
        self.baseline = baseline
        self.unit = unit
        self.runs = runs
        self.warmup = warmup
        self.loadAverage = loadAverage
    }

    /// The median of `runs`.
    var median: Double { BenchTiming.median(runs) }

    /// The fields of the JSON object.
    func jsonObject() -> [String: Any] {
        var object: [String: Any] = [
            "case": name, "unit": unit, "runs": runs, "median": Self.jsonNumber(runs.isEmpty ? nil : median),
            "min": Self.jsonNumber(runs.min()), "max": Self.jsonNumber(runs.max()),
            "threads": BenchFactory.threads, "blas_threads": BenchFactory.blasThreads, "warmup": warmup,
            "repeats": runs.count, "load_average": loadAverage,
            "openblas_coretype": BenchMachine.openBLASCoreType ?? NSNull(), "gemm_kernel": BLAS.kernel.description,
            "maxrss_mb": BenchMachine.peakResidentMB(),
            "shape": Dictionary(uniqueKeysWithValues: shape.map { ($0, $1) }),
        ]
        object["baseline"] = baseline ?? NSNull()
        for (key, value) in counts { object[key] = value }
        for (key, value) in measures { object[key] = Self.jsonNumber(value) }
        for (key, value) in notes { object[key] = value }
        return object
    }

    /// `value` for JSON, `null` when it is missing or not finite (JSON has no NaN).
    static func jsonNumber(_ value: Double?) -> Any {
        guard let value, value.isFinite else { return NSNull() }
        return value
    }

    /// The JSON object on one line (keys sorted).
    func jsonLine() throws -> String {
        let data = try JSONSerialization.data(
            withJSONObject: jsonObject(), options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// A line for people: the median, the spread, the threads and the shape.
    func summaryLine() -> String {
        var line = "\(name): median \(Self.format(median)) \(unit) over \(runs.count) runs"
        if let lo = runs.min(), let hi = runs.max() { line += " (\(Self.format(lo))-\(Self.format(hi)))" }
        line += ", \(BenchFactory.threads) threads"
        if let load = loadAverage.first { line += String(format: ", load average %.2f", load) }
        if let baseline { line += "; baseline \(baseline)" }
        if !shape.isEmpty { line += "; " + shape.map { "\($0.key) \($0.value)" }.joined(separator: ", ") }
        let extra =
            counts.map { "\($0.key) \($0.value)" } + measures.map { "\($0.key) \(Self.format($0.value))" }
            + notes.map { "\($0.key) \($0.value)" }
        if !extra.isEmpty { line += "; " + extra.joined(separator: ", ") }
        return line
    }

    /// A number with thousands separators above 1,000, else three significant figures.
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        if abs(value) >= 1000 {
            let formatter = NumberFormatter()
            formatter.numberStyle = .decimal
            formatter.maximumFractionDigits = 0
            return formatter.string(from: NSNumber(value: value)) ?? String(format: "%.0f", value)
        }
        return String(format: abs(value) >= 100 ? "%.1f" : abs(value) >= 1 ? "%.2f" : "%.4f", value)
    }
}
