import ArgumentParser
import Foundation
import KalamCore

/// `kalam bench generate`: decoding throughput (new tokens/s) at the shapes of pytorch_bench.py's
/// generation cases.
struct BenchGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generated tokens per second at pytorch_bench.py's generation shapes.",
        discussion: """
            A GPT-2 with random weights (seed 0), batch 1, a prompt of --prompt-length random ids (seed 1), \
            exactly --new-tokens new ids (no end of sequence), KV-cached. Timed as pytorch_bench.py's \
            time_calls: --warmup untimed calls, then --repeats timed calls (prompt processing included); a \
            run's value is new tokens / the call's wall time, and the median is reported.

            gen_tiny_greedy, gen_tiny_beam4, gen_tiny_topp: vocab 256, 4 layers, 4 heads, width 128, 256 \
            positions. gen_gpt2_124m_greedy, gen_gpt2_124m_topp: GPT-2 small, vocab 50257, 12 layers, 12 \
            heads, width 768, 1024 positions. greedy: arg-max; beam4: beam search with 4 beams, length \
            penalty 1, early_stopping False (the best hypothesis is returned); topp: sampling with top-p 0.9, \
            no top-k, temperature 1. Defaults: prompt 32, 128 new tokens, as pytorch_bench.py's.
            """)

    /// The cases, by their pytorch_bench.py names.
    enum Case: String, CaseIterable, ExpressibleByArgument {
        case tinyGreedy = "gen_tiny_greedy"
        case tinyBeam4 = "gen_tiny_beam4"
        case tinyTopP = "gen_tiny_topp"
        case gpt2Greedy = "gen_gpt2_124m_greedy"
        case gpt2TopP = "gen_gpt2_124m_topp"

        /// The model's size.
        var shape: BenchFactory.GPT2Shape {
            switch self {
            case .tinyGreedy, .tinyBeam4, .tinyTopP:
                // 256 positions, not 128: prompt 32 + 128 new tokens = 160 positions.
                BenchFactory.GPT2Shape(vocabulary: 256, positions: 256, width: 128, layers: 4, heads: 4)
            case .gpt2Greedy, .gpt2TopP:
                BenchFactory.GPT2Shape(vocabulary: 50257, positions: 1024, width: 768, layers: 12, heads: 12)
            }
        }

        /// How the case decodes.
        var decoding: BenchFactory.Decoding {
            switch self {
            case .tinyGreedy, .gpt2Greedy: .greedy
            case .tinyBeam4: .beam4
            case .tinyTopP, .gpt2TopP: .topP
            }
        }
    }

    @OptionGroup var options: BenchOptions

    @Option(name: .customLong("case"), help: "\(Case.allCases.map(\.rawValue).joined(separator: ", ")).")
    var benchCase: Case = .tinyGreedy

    @Option(help: "Timed calls (pytorch_bench.py --reps).")
    var repeats = 5

    @Option(help: "Untimed calls first.")
    var warmup = 1

    @Option(name: .customLong("prompt-length"), help: "Prompt ids (pytorch_bench.py --prompt-len).")
    var promptLength = 32

    @Option(name: .customLong("new-tokens"), help: "Ids generated per call (pytorch_bench.py --new-tokens).")
    var newTokens = 128

    @Option(
        help: """
            Weight storage: fp32, or bf16 (weight matrices stored as bfloat16, float32 arithmetic; \
            reported apart from fp32, which pytorch_bench.py's cases use).
            """)
    var dtype: WeightStorage = .fp32

    init() {}

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        guard warmup >= 0 else { throw ValidationError("--warmup must not be negative") }
        guard promptLength >= 1, newTokens >= 1 else {
            throw ValidationError("--prompt-length and --new-tokens must be at least 1")
        }
        guard promptLength + newTokens <= benchCase.shape.positions else {
            throw ValidationError(
                "--prompt-length + --new-tokens must fit the model's \(benchCase.shape.positions) positions")
        }
    }

    func run() throws {
        try execute { FileHandle.standardOutput.write(Data($0.utf8)) }
    }

    /// Runs the benchmark, sending what it prints to `write`.
    func execute(write: (String) -> Void) throws {
        options.applyThreads()
        let load = BenchMachine.loadAverage()
        let shape = benchCase.shape
        let (decoder, parameterCount) = try BenchFactory.decoder(shape)
        if dtype == .bf16 { try decoder.model.storeWeightsAsBFloat16() }
        var random = KalamRandom(seed: 1)
        let prompt = (0..<promptLength).map { _ in Int32(random.nextInt(below: shape.vocabulary)) }
        var generated: [Int32] = []
        let runs = try BenchTiming.calls(warmup: warmup, repeats: repeats, unitsPerCall: newTokens) {
            generated = try BenchFactory.generate(
                decoder, prompt: prompt, newTokens: newTokens, decoding: benchCase.decoding)
            guard generated.count == newTokens else {
                throw BenchError.wrongTokenCount(expected: newTokens, generated: generated.count)
            }
        }
        var result = BenchResult(
            name: benchCase.rawValue, baseline: benchCase.rawValue, unit: "tokens/s", runs: runs, warmup: warmup,
            loadAverage: load)
        result.shape = [
            ("vocab", shape.vocabulary), ("n_layer", shape.layers), ("n_head", shape.heads), ("d", shape.width),
            ("n_positions", shape.positions), ("batch", 1), ("prompt", promptLength), ("new_tokens", newTokens),
            ("beams", benchCase.decoding == .beam4 ? 4 : 1),
        ]
        result.counts = [("params", parameterCount), ("generated", generated.count)]
        result.measures = [("ms_per_token", 1000 / result.median)]
        result.notes = [("decoding", benchCase.decoding.rawValue), ("dtype", dtype.rawValue)]
        try options.emit(result, write: write)
    }
}
