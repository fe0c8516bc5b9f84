/// Why a row stopped generating.
public enum FinishReason: Equatable, Sendable {
    /// The row produced an end-of-sequence id (kept in its tokens).
    case endOfSequence
    /// The row reached the maximum number of new tokens.
    case maxNewTokens
    /// The row's generated text came to contain this stop string (the tokens that made it are kept).
    case stopString(String)
    /// The row filled the model's context window before `maxNewTokens`.
    case contextFull
}

/// Step-by-step greedy or sampled decoding over a batch of prompts: each `next()` returns one new token
/// per row, `nil` once every row has finished. Matches transformers' `generate()` greedy loop: every
/// row's logits go through the processors, then the arg-max (or a draw); a finished row receives the
/// fill token (`GenerationParameters.fillTokenId`) and no longer changes.
public struct TokenIterator<Decoder: LanguageModelDecoder> {
    /// The model.
    public let decoder: Decoder
    /// The settings of this run.
    public let parameters: GenerationParameters
    /// Ids each row has seen: its (left padded) prefix followed by its generated ids.
    public private(set) var sequences: [[Int32]]
    /// Length of the common (padded) prefix.
    public let promptLength: Int
    /// Leading padding of each row.
    public let paddingCounts: [Int]
    /// Why each row stopped, `nil` while it runs.
    public private(set) var finishReasons: [FinishReason?]
    /// The greatest total length a row may reach (prompt included).
    public let maxLength: Int

    private let processors: LogitProcessorList
    private var cache: Decoder.Cache
    private var pendingLogits: [[Float]]
    private var sampler: MultinomialSampler?
    private let tokenBytes: ((Int32) -> [UInt8])?
    private var generatedBytes: [[UInt8]]
    private var generatedCounts: [Int?]

    /// Starts decoding `prompts` (one row each). `tokenBytes` maps a token to its bytes and is needed
    /// only for stop strings. Throws the parameters' or the decoder's typed errors.
    public init(
        decoder: Decoder, prompts: [[Int32]], parameters: GenerationParameters,
        tokenBytes: ((Int32) -> [UInt8])? = nil
    ) throws {
        try parameters.validate()
        guard !prompts.isEmpty else { throw GenerationError.noPrompts }
        let start = try decoder.start(prompts)
        try decoder.checkLogits(start.logits, rows: prompts.count)
        self.decoder = decoder
        self.parameters = parameters
        self.sequences = start.prefixes
        self.promptLength = start.prefixes.first?.count ?? 0
        self.paddingCounts = start.paddingCounts
        self.finishReasons = Array(repeating: nil, count: prompts.count)
        var maxLength = promptLength + parameters.maxNewTokens
        if let context = decoder.contextLength { maxLength = min(maxLength, context) }
        self.maxLength = maxLength
        self.processors = try parameters.makeProcessors(maxLength: promptLength + parameters.maxNewTokens)
        self.cache = start.cache
        self.pendingLogits = start.logits
        self.sampler = parameters.strategy == .sample ? MultinomialSampler(seed: parameters.seed) : nil
        self.tokenBytes = tokenBytes
        self.generatedBytes = Array(repeating: [], count: prompts.count)
        self.generatedCounts = Array(repeating: nil, count: prompts.count)
    }

    /// Whether every row has finished.
    public var isFinished: Bool { finishReasons.allSatisfy { $0 != nil } }

    /// The generated ids of each row (end-of-sequence included, fill tokens after it excluded).
    public var generated: [[Int32]] {
        (0..<sequences.count).map { row in
            var tokens = Array(sequences[row][promptLength...])
            if let count = generatedCounts[row] { tokens = Array(tokens.prefix(count)) }
            return tokens
        }
    }

    /// Generates one token per row; `nil` when all rows have finished.
    public mutating func next() throws -> [Int32]? {
        if isFinished { return nil }
        let fill = parameters.fillTokenId
        var tokens = [Int32](repeating: fill, count: sequences.count)
        for row in 0..<sequences.count where finishReasons[row] == nil {
            var logits = pendingLogits[row]
            if !processors.isEmpty {
                let context = LogitContext(
                    inputIds: sequences[row], promptLength: promptLength, paddingCount: paddingCounts[row])
                processors.process(&logits, context: context)
            }
            if sampler != nil {
                tokens[row] = sampler!.sample(logits)
            } else {
                tokens[row] = Int32(LogitMath.argmax(logits))
            }
        }
        for row in 0..<sequences.count {
            sequences[row].append(tokens[row])
            guard finishReasons[row] == nil else { continue }
            let reason = finishReason(row: row, token: tokens[row])
            if let reason {
                finishReasons[row] = reason
                generatedCounts[row] = sequences[row].count - promptLength
            }
        }
        if !isFinished {
            pendingLogits = try decoder.next(tokens, cache: &cache)
            try decoder.checkLogits(pendingLogits, rows: sequences.count)
        }
        return tokens
    }

    /// Runs to the end and returns the generated ids of each row.
    public mutating func run() throws -> [[Int32]] {
        while try next() != nil {}
        return generated
    }

    private mutating func finishReason(row: Int, token: Int32) -> FinishReason? {
        if parameters.eosTokenIds.contains(token) { return .endOfSequence }
        if !parameters.stopStrings.isEmpty, let tokenBytes {
            generatedBytes[row].append(contentsOf: tokenBytes(token))
            let text = String(decoding: generatedBytes[row], as: UTF8.self)
            if let hit = parameters.stopStrings.first(where: { !$0.isEmpty && text.contains($0) }) {
                return .stopString(hit)
            }
        }
        let length = sequences[row].count
        if length - promptLength >= parameters.maxNewTokens { return .maxNewTokens }
        if length >= maxLength { return .contextFull }
        return nil
    }
}
