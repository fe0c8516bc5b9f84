import Foundation
import KalamCore
import KalamModels
import KalamNN

/// A T5 model seen from the decoding loop: the prompts go through the model's encoder once (right
/// padded, with an attention mask, as transformers pads them), the cross-attention keys and values of
/// every decoder layer are computed once on the first decoder step, and the decoder keeps a
/// self-attention cache. All of it is the model's own forward pass under no-grad.
///
/// The decoder prompt is `decoder_start_token_id`, as in transformers. With `recompute` set, each step
/// reruns the decoder over all its ids without a cache.
public struct Seq2SeqDecoder: LanguageModelDecoder {
    /// The model.
    public let model: T5ForConditionalGeneration
    /// Rerun the decoder over the full sequence each step instead of using the cache.
    public var recompute = false

    /// The model configuration.
    public var config: T5Config { model.config }
    /// The vocabulary size.
    public var vocabularySize: Int { model.config.vocabSize }
    /// T5 uses relative positions: no fixed context.
    public var contextLength: Int? { nil }

    /// Decodes with `model` (switched to evaluation mode).
    public init(model: T5ForConditionalGeneration) {
        self.model = model
        model.eval()
    }

    /// Loads `config.json` and `model.safetensors` from a Hugging Face model directory.
    public init(directory: URL) throws {
        self.init(model: try T5ForConditionalGeneration.load(from: directory))
    }

    /// The encoder's output and the decoder's caches.
    public struct Cache {
        var keysAndValues: KVCache
        var encoderStates: Tensor  // [B, S, d]
        var encoderMask: IndexTensor?  // [B, S]
        /// The decoder ids of each row.
        public internal(set) var ids: [[Int32]]
    }

    /// Encodes each prompt and runs the decoder start token.
    public func start(_ prompts: [[Int32]]) throws -> DecoderStart<Cache> {
        for (index, prompt) in prompts.enumerated() where prompt.isEmpty {
            throw GenerationError.emptyPrompt(row: index)
        }
        for id in prompts.joined() where id < 0 || Int(id) >= config.vocabSize {
            throw GenerationError.tokenOutOfVocabulary(id: id, vocabularySize: config.vocabSize)
        }
        let rows = prompts.count, width = prompts.map(\.count).max() ?? 0
        let pad = Int32(config.padTokenId)
        let ids = prompts.flatMap { $0 + Array(repeating: pad, count: width - $0.count) }
        let mask = prompts.flatMap { p in (0..<width).map { Int32($0 < p.count ? 1 : 0) } }
        let attentionMask =
            prompts.allSatisfy({ $0.count == width }) ? nil : try IndexTensor(mask, shape: [rows, width])
        let states = try Tensor.withoutGrad {
            try model.encode(inputIds: IndexTensor(ids, shape: [rows, width]), attentionMask: attentionMask)
        }
        var cache = Cache(
            keysAndValues: KVCache(layerCount: config.decoderLayers), encoderStates: states,
            encoderMask: attentionMask, ids: Array(repeating: [], count: rows))
        let startToken = Int32(config.decoderStartTokenId)
        let logits = try decode(Array(repeating: [startToken], count: rows), cache: &cache)
        return DecoderStart(
            cache: cache, logits: logits, prefixes: Array(repeating: [startToken], count: rows),
            paddingCounts: Array(repeating: 0, count: rows))
    }

    /// Feeds one decoder token per row.
    public func next(_ tokens: [Int32], cache: inout Cache) throws -> [[Float]] {
        try checkStep(tokens, rows: cache.ids.count)
        if recompute {
            let all = zip(cache.ids, tokens).map { $0 + [$1] }
            cache.keysAndValues = KVCache(layerCount: config.decoderLayers)
            cache.ids = Array(repeating: [], count: all.count)
            return try decode(all, cache: &cache)
        }
        return try decode(tokens.map { [$0] }, cache: &cache)
    }

    /// Keeps, copies and permutes cache rows.
    public func reorder(_ cache: inout Cache, rows: [Int]) throws {
        for row in rows where row < 0 || row >= cache.ids.count {
            throw GenerationError.cacheRowOutOfRange(row: row, rows: cache.ids.count)
        }
        try cache.keysAndValues.reorder(rows)
        cache.encoderStates = try cache.encoderStates.selectingRows(rows)
        if let mask = cache.encoderMask {
            let width = mask.shape[1]
            cache.encoderMask = try IndexTensor(
                rows.flatMap { mask.values[($0 * width)..<(($0 + 1) * width)] }, shape: [rows.count, width])
        }
        cache.ids = rows.map { cache.ids[$0] }
    }

    /// Runs `chunk[b]` (T new decoder ids per row) after the cached ones; returns each row's last logits.
    func decode(_ chunk: [[Int32]], cache: inout Cache) throws -> [[Float]] {
        let batch = chunk.count, t = chunk.first?.count ?? 0
        let ids = try IndexTensor(chunk.flatMap { $0 }, shape: [batch, t])
        let (states, mask, kv) = (cache.encoderStates, cache.encoderMask, cache.keysAndValues)
        let logits = try Tensor.withoutGrad {
            try model.decode(decoderInputIds: ids, encoderHiddenStates: states, attentionMask: mask, cache: kv)
                .slice(axis: 1, (t - 1)..<t)  // [B, 1, V]
        }
        cache.ids = zip(cache.ids, chunk).map { $0 + $1 }
        return logits.rowsOfLastAxis()
    }
}
