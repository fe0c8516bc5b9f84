import ArgumentParser
import Foundation
import KalamText

/// `kalam bench tokenizer`: times encoding, loading or training a tokenizer, for
/// `Benchmarks/tokenizers/bench.py`.
struct BenchTokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Time encoding (one thread), tokenizer loading or byte-level BPE training, in seconds.",
        discussion: """
            encode: encodeBatch of every line of --file (offsets included), padding and truncation off; \
            also reports MB/s. load: loading --tokenizer. train: a byte-level BPE of --vocab-size tokens \
            (minimum pair frequency 2, <|endoftext|> special) on the lines of --file. Each run's value is its \
            wall time; the median is reported.
            """)

    /// What to time.
    enum Task: String, ExpressibleByArgument, Sendable { case encode, load, train }

    @OptionGroup var options: BenchOptions

    @Option(help: "encode, load or train.")
    var task: Task = .encode

    @Option(help: "tokenizer.json, vocab.txt, a .tiktoken file, or gpt2 / minilm (encode, load).")
    var tokenizer = "gpt2"

    @Option(help: "UTF-8 text, one document a line (encode, train).")
    var file: String?

    @Option(help: "Timed runs.")
    var repeats = 3

    @Option(name: .customLong("vocab-size"), help: "Vocabulary size to train (train).")
    var vocabSize = 8000

    init() {}

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        if task != .load, file == nil { throw ValidationError("--file is required for --task \(task.rawValue)") }
    }

    func run() throws {
        try execute { FileHandle.standardOutput.write(Data($0.utf8)) }
    }

    /// Runs the timing, sending what it prints to `write`.
    func execute(write: (String) -> Void) throws {
        options.applyThreads()
        let load = BenchMachine.loadAverage()
        var times: [Double] = []
        var shape: [(key: String, value: Int)] = []
        var counts: [(key: String, value: Int)] = []
        var measures: [(key: String, value: Double)] = []
        switch task {
        case .load:
            for _ in 0..<repeats { times.append(try BenchTiming.seconds { _ = try TokenizerCommand.load(tokenizer) }) }
        case .encode:
            let lines = try TokenizerCommand.lines([file!], strict: false)
            let bytes = lines.reduce(0) { $0 + $1.utf8.count + 1 }
            let tok = try TokenizerCommand.load(tokenizer)
            tok.padding = nil
            tok.truncation = nil
            var tokens = 0
            for _ in 0..<repeats {
                times.append(BenchTiming.seconds { tokens = tok.encodeBatch(lines).reduce(0) { $0 + $1.count } })
            }
            shape = [("lines", lines.count), ("bytes", bytes)]
            counts = [("tokens", tokens)]
            measures = [("mb_per_s", Double(bytes) / 1e6 / BenchTiming.median(times))]
        case .train:
            let lines = try TokenizerCommand.lines([file!], strict: false)
            var merges = 0
            for _ in 0..<repeats {
                times.append(
                    try BenchTiming.seconds {
                        let t = try BPETrainer(
                            vocabSize: vocabSize, minFrequency: 2, specialTokens: ["<|endoftext|>"],
                            initialAlphabet: ByteAlphabet.alphabet
                        )
                        .trainTokenizer(lines, preTokenizer: ByteLevelPreTokenizer())
                        merges = (t.model as? BPEModel)?.merges.count ?? 0
                    })
            }
            shape = [("lines", lines.count), ("vocab_size", vocabSize)]
            counts = [("merges", merges)]
        }
        var result = BenchResult(
            name: "tokenizer_\(task.rawValue)", baseline: nil, unit: "s", runs: times, warmup: 0, loadAverage: load)
        result.shape = shape
        result.counts = counts
        result.measures = measures
        result.notes = task == .train ? [] : [("tokenizer", tokenizer)]
        try options.emit(result, write: write)
    }
}
