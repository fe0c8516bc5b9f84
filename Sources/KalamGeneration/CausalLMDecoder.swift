import Foundation
import KalamCore
import KalamModels
import KalamNN

/// A GPT-2 model seen from the decoding loop: the model's own forward pass, under no-grad, with a
/// key/value cache, batched with left padding. Training and generation run the same code, so greedy ids
/// cannot drift between them.
///
/// Left padding follows transformers: padded positions are masked out as keys, and a real token's
/// position id counts only the real tokens before it. With `recompute` set, each step reruns the whole
/// sequence without a cache (slow; it exists to check the cache).
public struct CausalLMDecoder: LanguageModelDecoder {
    /// The model.
    public let model: GPT2LMHeadModel
    /// The id written in front of shorter prompts (transformers' pad token, else end-of-sequence, else 0).
    public var padTokenId: Int32
    /// Rerun the full sequence at each step instead of using the cache.
    public var recompute = false

    /// The model configuration.
    public var config: GPT2Config { model.config }
    /// The vocabulary size (width of each logits row).
    public var vocabularySize: Int { model.config.vocabSize }
    /// `n_positions`.
    public var contextLength: Int? { model.config.nPositions }

    /// Decodes with `model` (switched to evaluation mode).
    public init(model: GPT2LMHeadModel) {
        self.model = model
        model.eval()
        padTokenId = Int32(model.config.padTokenId ?? model.config.eosTokenId ?? 0)
    }

    /// Loads `config.json` and `model.safetensors` from a Hugging Face model directory.
    public init(directory: URL) throws {
        self.init(model: try GPT2LMHeadModel.load(from: directory))
    }

    /// The key/value cache and what each row has read.
    public struct Cache {
        var keysAndValues: KVCache
        /// The ids of each row (left padding included).
        public internal(set) var ids: [[Int32]]
        /// Leading padding of each row.
        public internal(set) var padding: [Int]
        /// Positions filled so far (the same for every row).
        public var length: Int { ids.first?.count ?? 0 }
    }

    /// Left-pads the prompts, checks them and runs them through the model.
    public func start(_ prompts: [[Int32]]) throws -> DecoderStart<Cache> {
        var rows = prompts
        for (index, prompt) in prompts.enumerated() where prompt.isEmpty {
            guard let bos = config.bosTokenId else { throw GenerationError.emptyPrompt(row: index) }
            rows[index] = [Int32(bos)]
        }
        let width = rows.map(\.count).max() ?? 0
        guard width < config.nPositions else {
            throw GenerationError.promptTooLong(length: width, contextLength: config.nPositions)
        }
        for id in rows.joined() where id < 0 || Int(id) >= config.vocabSize {
            throw GenerationError.tokenOutOfVocabulary(id: id, vocabularySize: config.vocabSize)
        }
        let padding = rows.map { width - $0.count }
        let prefixes = zip(rows, padding).map { Array(repeating: padTokenId, count: $1) + $0 }
        var cache = Cache(keysAndValues: KVCache(layerCount: config.nLayer), ids: [], padding: padding)
        let logits = try forward(prefixes, cache: &cache)
        return DecoderStart(cache: cache, logits: logits, prefixes: prefixes, paddingCounts: padding)
    }

    /// Feeds one token per row.
    public func next(_ tokens: [Int32], cache: inout Cache) throws -> [[Float]] {
        try checkStep(tokens, rows: cache.ids.count)
        guard cache.length < config.nPositions else {
            throw GenerationError.promptTooLong(length: cache.length + 1, contextLength: config.nPositions)
        }
        if recompute {
            var fresh = Cache(keysAndValues: KVCache(layerCount: config.nLayer), ids: [], padding: cache.padding)
            let logits = try forward(zip(cache.ids, tokens).map { $0 + [$1] }, cache: &fresh)
            cache = fresh
            return logits
        }
        return try forward(tokens.map { [$0] }, cache: &cache)
    }

    /// Keeps, copies and permutes cache rows.
    public func reorder(_ cache: inout Cache, rows: [Int]) throws {
        for row in rows where row < 0 || row >= cache.ids.count {
            throw GenerationError.cacheRowOutOfRange(row: row, rows: cache.ids.count)
        }
        try cache.keysAndValues.reorder(rows)
        cache.ids = rows.map { cache.ids[$0] }
        cache.padding = rows.map { cache.padding[$0] }
    }

    /// Runs `chunk[b]` (the same count T of new ids per row) after what the cache holds and returns the
    /// logits after each row's last new id.
    func forward(_ chunk: [[Int32]], cache: inout Cache) throws -> [[Float]] {
        let batch = chunk.count, t = chunk.first?.count ?? 0, past = cache.length
        let padded = cache.padding.contains { $0 > 0 }
        // transformers: position = (real tokens before it); padding is masked out as keys.
        var positions: [Int32] = []
        var mask: [Int32] = []
        for b in 0..<batch {
            for i in 0..<t { positions.append(Int32(max(0, past + i - cache.padding[b]))) }
            if padded { for j in 0..<(past + t) { mask.append(j < cache.padding[b] ? 0 : 1) } }
        }
        let ids = try IndexTensor(chunk.flatMap { $0 }, shape: [batch, t])
        let kv = cache.keysAndValues
        let logits = try Tensor.withoutGrad {
            let hidden = try model.hiddenStates(
                inputIds: ids, attentionMask: padded ? try IndexTensor(mask, shape: [batch, past + t]) : nil,
                positionIds: try IndexTensor(positions, shape: [batch, t]), cache: kv)  // [B, T, C]
            return try model.logits(hiddenStates: hidden.slice(axis: 1, (t - 1)..<t))  // [B, 1, V]
        }
        let before = cache.ids.isEmpty ? Array(repeating: [], count: batch) : cache.ids
        cache.ids = zip(before, chunk).map { $0 + $1 }
        return logits.rowsOfLastAxis()
    }
}

extension Tensor {
    /// The values as rows of the last dimension (`[B, 1, V]` → B rows of V).
    func rowsOfLastAxis() -> [[Float]] {
        let x = contiguous()
        let width = shape.last ?? 0, rows = count / Swift.max(width, 1)
        return (0..<rows).map { Array(UnsafeBufferPointer(start: x.data + $0 * width, count: width)) }
    }
}
