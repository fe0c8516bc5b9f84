import Foundation
import KalamModels

/// GPT-2 as a `LanguageModelDecoder`: an inference-only forward pass over the checkpoint weights
/// (Hugging Face keys, `transformer.` prefix optional) with a key/value cache, batched with left padding.
///
/// Left padding follows transformers: padded positions are masked out as keys, and a real token's
/// position id counts only the real tokens before it. With `recompute` set, each step reruns the whole
/// sequence without a cache (slow; it exists to check the cache).
public struct GPT2Decoder: LanguageModelDecoder {
    /// The model configuration.
    public let config: GPT2Config
    /// The id written in front of shorter prompts (transformers' pad token, else end-of-sequence, else 0).
    public var padTokenId: Int32
    /// Rerun the full sequence at each step instead of using the cache.
    public var recompute = false

    struct Layer {
        var ln1Weight, ln1Bias, attnWeight, attnBias, projWeight, projBias: [Float]
        var ln2Weight, ln2Bias, fcWeight, fcBias, fcProjWeight, fcProjBias: [Float]
    }

    let wte: [Float]  // [V, d]
    let wpe: [Float]  // [P, d]
    let lmHead: [Float]?  // [V, d] when not tied to wte
    let layers: [Layer]
    let lnfWeight, lnfBias: [Float]
    let activation: DecoderKernels.Activation

    /// The vocabulary size (width of each logits row).
    public var vocabularySize: Int { config.vocabSize }
    /// `n_positions`.
    public var contextLength: Int? { config.nPositions }

    /// Loads `config.json` and `model.safetensors` from a Hugging Face model directory.
    public init(directory: URL) throws {
        let config = try GPT2Config.load(from: directory.appendingPathComponent("config.json"))
        try self.init(config: config, weights: try CheckpointWeights(directory: directory))
    }

    /// Builds the decoder from a configuration and weights by key; throws on a missing or misshapen weight.
    public init(config: GPT2Config, weights: CheckpointWeights) throws {
        try config.validate()
        self.config = config
        let d = config.nEmbd, inner = config.innerSize, v = config.vocabSize
        func load(_ key: String, _ count: Int) throws -> [Float] {
            try weights.require(["transformer." + key, key], count: count)
        }
        wte = try load("wte.weight", v * d)
        wpe = try load("wpe.weight", config.nPositions * d)
        layers = try (0..<config.nLayer).map { i in
            let p = "h.\(i)."
            return Layer(
                ln1Weight: try load(p + "ln_1.weight", d), ln1Bias: try load(p + "ln_1.bias", d),
                attnWeight: try load(p + "attn.c_attn.weight", d * 3 * d),
                attnBias: try load(p + "attn.c_attn.bias", 3 * d),
                projWeight: try load(p + "attn.c_proj.weight", d * d), projBias: try load(p + "attn.c_proj.bias", d),
                ln2Weight: try load(p + "ln_2.weight", d), ln2Bias: try load(p + "ln_2.bias", d),
                fcWeight: try load(p + "mlp.c_fc.weight", d * inner), fcBias: try load(p + "mlp.c_fc.bias", inner),
                fcProjWeight: try load(p + "mlp.c_proj.weight", inner * d),
                fcProjBias: try load(p + "mlp.c_proj.bias", d))
        }
        lnfWeight = try load("ln_f.weight", d)
        lnfBias = try load("ln_f.bias", d)
        lmHead = config.tieWordEmbeddings ? nil : try weights.require(["lm_head.weight"], count: v * d)
        switch config.activationFunction {
        case .geluNew, .geluPytorchTanh: activation = .geluTanh
        case .gelu: activation = .geluErf
        case .relu: activation = .relu
        }
        padTokenId = Int32(config.padTokenId ?? config.eosTokenId ?? 0)
    }

    /// The key/value cache: per layer and row, keys and values of every position so far (`[t, d]`).
    public struct Cache {
        var keys: [[[Float]]]
        var values: [[[Float]]]
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
        var cache = emptyCache(ids: [], padding: padding, rows: prompts.count)
        let logits = forward(prefixes, cache: &cache)
        return DecoderStart(cache: cache, logits: logits, prefixes: prefixes, paddingCounts: padding)
    }

    /// Feeds one token per row.
    public func next(_ tokens: [Int32], cache: inout Cache) throws -> [[Float]] {
        guard tokens.count == cache.ids.count else {
            throw GenerationError.logitsShapeMismatch(
                expectedRows: cache.ids.count, expectedWidth: 1, rows: tokens.count, width: 1)
        }
        for id in tokens where id < 0 || Int(id) >= config.vocabSize {
            throw GenerationError.tokenOutOfVocabulary(id: id, vocabularySize: config.vocabSize)
        }
        guard cache.length < config.nPositions else {
            throw GenerationError.promptTooLong(length: cache.length + 1, contextLength: config.nPositions)
        }
        if recompute {
            let all = zip(cache.ids, tokens).map { $0 + [$1] }
            var fresh = emptyCache(ids: [], padding: cache.padding, rows: all.count)
            let logits = forward(all, cache: &fresh)
            cache = fresh
            return logits
        }
        return forward(tokens.map { [$0] }, cache: &cache)
    }

    /// Keeps, copies and permutes cache rows.
    public func reorder(_ cache: inout Cache, rows: [Int]) throws {
        for row in rows where row < 0 || row >= cache.ids.count {
            throw GenerationError.cacheRowOutOfRange(row: row, rows: cache.ids.count)
        }
        cache.keys = cache.keys.map { layer in rows.map { layer[$0] } }
        cache.values = cache.values.map { layer in rows.map { layer[$0] } }
        cache.ids = rows.map { cache.ids[$0] }
        cache.padding = rows.map { cache.padding[$0] }
    }

    private func emptyCache(ids: [[Int32]], padding: [Int], rows: Int) -> Cache {
        let empty = Array(repeating: [Float](), count: rows)
        return Cache(
            keys: Array(repeating: empty, count: config.nLayer), values: Array(repeating: empty, count: config.nLayer),
            ids: Array(repeating: [], count: rows), padding: padding)
    }

    /// Runs `chunk[b]` (the same count T of new ids per row) after what the cache holds and returns the
    /// logits after each row's last new id.
    func forward(_ chunk: [[Int32]], cache: inout Cache) -> [[Float]] {
        let batch = chunk.count, t = chunk.first?.count ?? 0
        let d = config.nEmbd, heads = config.nHead, headDim = config.headDim, inner = config.innerSize
        let start = cache.length, n = batch * t
        let epsilon = Float(config.layerNormEpsilon)
        let scale = 1 / Float(headDim).squareRoot()
        // x: [B*T, d] token + position embeddings
        var x = [Float](repeating: 0, count: n * d)
        for b in 0..<batch {
            for i in 0..<t {
                let token = Int(chunk[b][i])
                let position = max(0, start + i - cache.padding[b])
                for c in 0..<d { x[(b * t + i) * d + c] = wte[token * d + c] + wpe[position * d + c] }
            }
        }
        var h = [Float](repeating: 0, count: n * d)
        var qkv = [Float](repeating: 0, count: n * 3 * d)
        var attention = [Float](repeating: 0, count: n * d)
        var projected = [Float](repeating: 0, count: n * d)
        var hidden = [Float](repeating: 0, count: n * inner)
        var scores = [Float](repeating: 0, count: start + t)
        for (l, layer) in layers.enumerated() {
            DecoderKernels.layerNorm(
                x, rows: n, d: d, weight: layer.ln1Weight, bias: layer.ln1Bias, epsilon: epsilon, into: &h)
            Gemm.matmul(h, rows: n, layer.attnWeight, k: d, n: 3 * d, into: &qkv)  // [B*T, 3d]
            DecoderKernels.addBias(&qkv, rows: n, d: 3 * d, layer.attnBias)
            for b in 0..<batch {
                // append this chunk's keys and values: [T, d] each (the arrays grow geometrically)
                for i in 0..<t {
                    let base = (b * t + i) * 3 * d
                    cache.keys[l][b].append(contentsOf: qkv[(base + d)..<(base + 2 * d)])
                    cache.values[l][b].append(contentsOf: qkv[(base + 2 * d)..<(base + 3 * d)])
                }
                cache.keys[l][b].withUnsafeBufferPointer { keys in
                    cache.values[l][b].withUnsafeBufferPointer { values in
                        qkv.withUnsafeBufferPointer { qkv in
                            attention.withUnsafeMutableBufferPointer { out in
                                scores.withUnsafeMutableBufferPointer { scores in
                                    for i in 0..<t {
                                        let row = b * t + i
                                        for head in 0..<heads {
                                            DecoderKernels.attend(
                                                query: qkv.baseAddress! + row * 3 * d + head * headDim,
                                                keys: keys.baseAddress! + head * headDim,
                                                values: values.baseAddress! + head * headDim,
                                                stride: d, headDim: headDim, from: cache.padding[b], to: start + i,
                                                scale: scale, bias: nil, scores: scores.baseAddress!,
                                                into: out.baseAddress! + row * d + head * headDim)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            Gemm.matmul(attention, rows: n, layer.projWeight, k: d, n: d, into: &projected)
            DecoderKernels.addBias(&projected, rows: n, d: d, layer.projBias)
            for i in 0..<(n * d) { x[i] += projected[i] }
            DecoderKernels.layerNorm(
                x, rows: n, d: d, weight: layer.ln2Weight, bias: layer.ln2Bias, epsilon: epsilon, into: &h)
            Gemm.matmul(h, rows: n, layer.fcWeight, k: d, n: inner, into: &hidden)  // [B*T, inner]
            DecoderKernels.addBias(&hidden, rows: n, d: inner, layer.fcBias)
            DecoderKernels.activate(&hidden, count: n * inner, activation)
            Gemm.matmul(hidden, rows: n, layer.fcProjWeight, k: inner, n: d, into: &projected)
            DecoderKernels.addBias(&projected, rows: n, d: d, layer.fcProjBias)
            for i in 0..<(n * d) { x[i] += projected[i] }
        }
        for b in 0..<batch { cache.ids[b].append(contentsOf: chunk[b]) }
        // final layer norm and logits for each row's last position only: [B, d] · [V, d]ᵀ
        var last = [Float](repeating: 0, count: batch * d)
        for b in 0..<batch {
            for c in 0..<d { last[b * d + c] = x[(b * t + t - 1) * d + c] }
        }
        var normed = [Float](repeating: 0, count: batch * d)
        DecoderKernels.layerNorm(
            last, rows: batch, d: d, weight: lnfWeight, bias: lnfBias, epsilon: epsilon, into: &normed)
        let v = config.vocabSize
        var logits = [Float](repeating: 0, count: batch * v)
        Gemm.matmulTransposed(normed, rows: batch, lmHead ?? wte, k: d, n: v, into: &logits)
        return (0..<batch).map { Array(logits[($0 * v)..<(($0 + 1) * v)]) }
    }
}

extension GPT2Decoder {
    /// Copies the weights of a KalamModels `GPT2LMHeadModel` (looked up by their Hugging Face keys), so a
    /// model trained in Kalam generates with the KV-cached path. Later changes to the model are not seen.
    public init(model: GPT2LMHeadModel) throws {
        var table: [String: [Float]] = [:]
        for (key, tensor) in model.namedParameters where table[key] == nil { table[key] = tensor.scalars }
        try self.init(config: model.config, weights: CheckpointWeights { table[$0] })
    }
}
