import ArgumentParser
import Foundation
import KalamGeneration
import KalamText

extension DecodingStrategy: ExpressibleByArgument {}

/// `kalam generate`: greedy, beam-search or sampled continuation of a prompt with a GPT-2 or T5 model.
public struct GenerateCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue a prompt with a GPT-2 or T5 model (greedy, beam search or sampling).",
        discussion: """
            --model is a Hugging Face layout directory (config.json, model.safetensors, and tokenizer.json for \
            text prompts). Semantics follow transformers' generate(): processors run in its order (repetition \
            penalty, no-repeat n-gram, min new tokens, then temperature, top-k, top-p, min-p, typical-p when \
            sampling). A prompt that does not fit the model's context is an error, never silently cut.
            """
    )

    @Option(help: "Model directory (config.json + model.safetensors [+ tokenizer.json]).")
    var model: String

    @Option(help: "Prompt text (needs tokenizer.json in the model directory).")
    var prompt: String?

    @Option(name: .customLong("prompt-ids"), help: "Prompt token ids, comma separated (e.g. 1,2,3).")
    var promptIds: String?

    @Option(help: "greedy, beam or sample.")
    var strategy: DecodingStrategy = .greedy

    @Option(name: .customLong("num-beams"), help: "Beams for --strategy beam (default 4).")
    var numBeams: Int = 4

    @Option(name: .customLong("num-return-sequences"), help: "Beam hypotheses to return (n-best, <= beams).")
    var numReturnSequences: Int = 1

    @Option(name: .customLong("length-penalty"), help: "Beam score = log-prob / length^X.")
    var lengthPenalty: Float = 1

    @Option(name: .customLong("early-stopping"), help: "Beam stopping: heuristic, true or never.")
    var earlyStopping: String = "heuristic"

    @Option(help: "Sampling temperature (> 0).")
    var temperature: Float = 1

    @Option(name: .customLong("top-k"), help: "Keep the K most likely tokens when sampling (0 = off).")
    var topK: Int = 0

    @Option(name: .customLong("top-p"), help: "Nucleus mass in (0, 1] when sampling.")
    var topP: Double = 1

    @Option(name: .customLong("min-p"), help: "Min-p fraction in [0, 1] when sampling.")
    var minP: Double?

    @Option(name: .customLong("typical-p"), help: "Typical mass in (0, 1] when sampling.")
    var typicalP: Double = 1

    @Option(name: .customLong("repetition-penalty"), help: "Repetition penalty (1 = off).")
    var repetitionPenalty: Float = 1

    @Option(name: .customLong("no-repeat-ngram"), help: "Ban repeating n-grams of this size (0 = off).")
    var noRepeatNGram: Int = 0

    @Option(name: .customLong("max-new-tokens"), help: "Most tokens to generate.")
    var maxNewTokens: Int = 20

    @Option(name: .customLong("min-new-tokens"), help: "No end of sequence before this many tokens.")
    var minNewTokens: Int = 0

    @Option(name: .customLong("stop"), help: "Stop when the generated text contains this (repeatable).")
    var stopStrings: [String] = []

    @Option(help: "Seed of the sampling generator.")
    var seed: UInt64 = 0

    @Option(
        help: """
            Weight storage while decoding: fp32, or bf16 (weight matrices rounded to bfloat16: each token \
            streams half the bytes; the arithmetic stays float32).
            """)
    var dtype: WeightStorage = .fp32

    @Flag(help: "Print text as it is generated (greedy and sample).")
    var stream = false

    @Flag(help: "Print JSON: prompt ids, generated ids, text, finish reasons and beam scores.")
    var json = false

    public init() {}

    public func validate() throws {
        guard (prompt == nil) != (promptIds == nil) else {
            throw ValidationError("give exactly one of --prompt and --prompt-ids")
        }
        if stream && strategy == .beam { throw ValidationError("--stream works with greedy and sample, not beam") }
        if stream && json { throw ValidationError("--stream and --json cannot be combined") }
        guard ["heuristic", "true", "never"].contains(earlyStopping) else {
            throw ValidationError("--early-stopping must be heuristic, true or never")
        }
    }

    public func run() throws {
        try execute { text in
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    /// Runs the command, sending everything it prints to `write`.
    func execute(write: (String) -> Void) throws {
        let directory = URL(fileURLWithPath: model, isDirectory: true)
        let loaded = try GenerationModel.load(directory: directory)
        if dtype == .bf16 { try loaded.storeWeightsAsBFloat16() }
        let tokenizerURL = directory.appendingPathComponent("tokenizer.json")
        let tokenizer =
            FileManager.default.fileExists(atPath: tokenizerURL.path) ? try TokenizerJSON.load(tokenizerURL) : nil
        let ids = try promptTokenIds(tokenizer: tokenizer)
        var parameters = try makeParameters()
        if let eos = loaded.eosTokenId { parameters.eosTokenIds = [eos] }
        parameters.padTokenId = loaded.padTokenId
        let bytes = tokenizer.map(Self.tokenBytes)
        switch loaded {
        case .gpt2(let decoder):
            try generate(decoder, prompt: ids, parameters: parameters, tokenizer: tokenizer, bytes: bytes, write: write)
        case .t5(let decoder):
            try generate(decoder, prompt: ids, parameters: parameters, tokenizer: tokenizer, bytes: bytes, write: write)
        }
    }

    func makeParameters() throws -> GenerationParameters {
        var p = GenerationParameters()
        p.strategy = strategy
        p.numBeams = strategy == .beam ? numBeams : 1
        p.numReturnSequences = strategy == .beam ? numReturnSequences : 1
        p.lengthPenalty = lengthPenalty
        p.earlyStopping = earlyStopping == "true" ? .whenFull : earlyStopping == "never" ? .never : .heuristic
        p.temperature = temperature
        p.topK = topK
        p.topP = topP
        p.minP = minP
        p.typicalP = typicalP
        p.repetitionPenalty = repetitionPenalty
        p.noRepeatNGramSize = noRepeatNGram
        p.maxNewTokens = maxNewTokens
        p.minNewTokens = minNewTokens
        p.stopStrings = stopStrings
        p.seed = seed
        if strategy == .beam, numBeams < 1 { throw GenerationError.numBeamsTooSmall(numBeams) }
        try p.validate()
        return p
    }

    func promptTokenIds(tokenizer: PipelineTokenizer?) throws -> [Int32] {
        if let promptIds {
            let parts = promptIds.split(separator: ",", omittingEmptySubsequences: true)
            return try parts.map { part in
                guard let id = Int32(part.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--prompt-ids: '\(part)' is not an integer id")
                }
                return id
            }
        }
        guard let tokenizer else {
            throw ValidationError("--prompt needs tokenizer.json in \(model); use --prompt-ids instead")
        }
        return tokenizer.encode(prompt ?? "", pair: nil, addSpecialTokens: true).ids.map { Int32($0) }
    }

    /// The bytes a token prints: byte-level BPE symbols mapped back to bytes, SentencePiece's "▁" as a
    /// space, special tokens as nothing.
    static func tokenBytes(_ tokenizer: PipelineTokenizer) -> (Int32) -> [UInt8] {
        let special = Set(tokenizer.addedTokens.filter(\.special).map(\.id))
        let byteLevel = tokenizer.preTokenizer?.isByteLevel ?? false
        return { id in
            guard !special.contains(Int(id)), let token = tokenizer.token(of: Int(id)) else { return [] }
            if byteLevel, let bytes = ByteAlphabet.decode(token) { return bytes }
            return Array(token.replacingOccurrences(of: "\u{2581}", with: " ").utf8)
        }
    }

    private func generate<D: LanguageModelDecoder>(
        _ decoder: D, prompt: [Int32], parameters: GenerationParameters, tokenizer: PipelineTokenizer?,
        bytes: ((Int32) -> [UInt8])?, write: (String) -> Void
    ) throws {
        func text(_ ids: [Int32]) -> String? {
            guard let bytes else { return nil }
            return String(decoding: ids.flatMap(bytes), as: UTF8.self)
        }
        if parameters.strategy == .beam {
            let hypotheses = try BeamSearch(decoder: decoder, parameters: parameters).run([prompt])[0]
            if json {
                try writeJSON(
                    prompt: prompt, results: hypotheses.map { ($0.tokens, text($0.tokens), nil, $0.score) },
                    write: write)
            } else {
                for (rank, h) in hypotheses.enumerated() {
                    let body = text(h.tokens) ?? h.tokens.map(String.init).joined(separator: ",")
                    write(hypotheses.count > 1 ? "[\(rank + 1)] score \(h.score): \(body)\n" : body + "\n")
                }
            }
            return
        }
        if stream, let bytes {
            var textStream = try TextStream(decoder: decoder, prompt: prompt, parameters: parameters, tokenBytes: bytes)
            while let piece = try textStream.next() { write(piece.text) }
            write("\n")
            return
        }
        var iterator = try TokenIterator(decoder: decoder, prompts: [prompt], parameters: parameters, tokenBytes: bytes)
        if stream {  // no tokenizer: stream ids
            while let tokens = try iterator.next() { write("\(tokens[0]) ") }
            write("\n")
            return
        }
        let tokens = try iterator.run()[0]
        if json {
            try writeJSON(
                prompt: prompt, results: [(tokens, text(tokens), iterator.finishReasons[0], nil)], write: write)
        } else {
            write((text(tokens) ?? tokens.map(String.init).joined(separator: ",")) + "\n")
        }
    }

    private func writeJSON(
        prompt: [Int32], results: [(ids: [Int32], text: String?, reason: FinishReason?, score: Float?)],
        write: (String) -> Void
    ) throws {
        let sequences: [[String: Any]] = results.map { r in
            var entry: [String: Any] = ["ids": r.ids.map(Int.init), "text": r.text ?? NSNull()]
            if let score = r.score { entry["score"] = Double(score) }
            if let reason = r.reason { entry["finish_reason"] = Self.describe(reason) }
            return entry
        }
        let object: [String: Any] = [
            "prompt_ids": prompt.map(Int.init), "strategy": strategy.rawValue, "sequences": sequences,
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        write(String(decoding: data, as: UTF8.self) + "\n")
    }

    static func describe(_ reason: FinishReason) -> String {
        switch reason {
        case .endOfSequence: return "eos"
        case .maxNewTokens: return "max_new_tokens"
        case .stopString(let s): return "stop_string:\(s)"
        case .contextFull: return "context_full"
        }
    }
}

/// How `--dtype` stores a model's weights for decoding.
enum WeightStorage: String, CaseIterable, ExpressibleByArgument {
    /// float32, as loaded.
    case fp32
    /// Weight matrices rounded to bfloat16 and streamed as 16-bit values by one-row products.
    case bf16
}
