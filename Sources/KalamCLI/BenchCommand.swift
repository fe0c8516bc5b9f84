import ArgumentParser

/// `kalam bench`: Kalam's side of the benchmarks in `Benchmarks/`.
///
/// Each subcommand times one case the way `Benchmarks/baseline/pytorch_bench.py` times the case of the
/// same shape (random weights from a fixed seed, random tokens, warm-up, then the median of several
/// runs) and prints one summary line, or with `--json` one JSON object on one line (see `BenchResult`).
/// `Benchmarks/compare.py` runs them alternately with the baseline and prints ratios of medians.
public struct BenchCommand: ParsableCommand {
    /// The command's name and help.
    public static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time training, generation, the engine and the machine's limits (Kalam's side of Benchmarks/).",
        discussion: """
            Every subcommand prints one summary line, or with --json one JSON object on one line with at \
            least case, unit, runs, median, threads, load_average and shape. Benchmarks/compare.py runs them \
            alternately with Benchmarks/baseline/pytorch_bench.py and prints ratios of medians. A figure means \
            something only on a quiet machine (load average below 0.3, nothing else building or running); \
            CONTRIBUTING.md has the rules.
            """,
        subcommands: [
            BenchTrainCommand.self, BenchGenerateCommand.self, BenchRooflineCommand.self, BenchEngineCommand.self,
            BenchPOSCommand.self, BenchTokenizerCommand.self, BenchFinetuneCommand.self, BenchMaskCommand.self,
        ]
    )

    /// Makes the command.
    public init() {}
}

/// Options every `kalam bench` subcommand takes.
struct BenchOptions: ParsableArguments {
    /// JSON output.
    @Flag(help: "Print one JSON object on one line instead of a summary line.")
    var json = false

    /// Worker threads.
    @Option(help: "Worker threads for Kalam and its BLAS (default: KALAM_THREADS, else one per core).")
    var threads: Int?

    /// Checks `--threads`.
    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// Applies `--threads` (nothing changes when it is not given).
    func applyThreads() {
        if let threads { BenchFactory.setThreads(threads) }
    }

    /// Writes `result` as JSON or as a summary line.
    func emit(_ result: BenchResult, write: (String) -> Void) throws {
        write((json ? try result.jsonLine() : result.summaryLine()) + "\n")
    }
}

/// Why a benchmark could not produce its figure.
enum BenchError: Error, Equatable, CustomStringConvertible {
    /// A generation call returned another number of ids than asked for.
    case wrongTokenCount(expected: Int, generated: Int)
    /// An input file held nothing to time.
    case emptyInput(path: String)

    var description: String {
        switch self {
        case .wrongTokenCount(let expected, let generated):
            "generation returned \(generated) tokens instead of \(expected)"
        case .emptyInput(let path):
            "\(path) holds nothing to time"
        }
    }
}
