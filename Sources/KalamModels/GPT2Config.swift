import Foundation

/// The configuration of a GPT-2 model: the keys and defaults of transformers' `GPT2Config`.
///
/// `vocab_size`, `n_embd`, `n_layer` and `n_head` are required; every other key takes
/// transformers' default when absent. Kalam implements absolute learned positions, the
/// `ACT2FN` activations in ``Activation``, and scaled dot-product attention scaled by
/// `1/sqrt(head_dim)`; configurations asking for anything else are rejected by ``validate()``.
public struct GPT2Config: ModelConfiguration, Equatable {
    /// `"gpt2"`.
    public static let modelType = "gpt2"

    /// `architectures`: the transformers class names this checkpoint was saved from.
    public var architectures: [String]?
    /// `vocab_size`: number of tokens.
    public var vocabSize: Int
    /// `n_positions`: length of the learned position table (the longest sequence). Default 1024.
    public var nPositions: Int
    /// `n_embd`: hidden width.
    public var nEmbd: Int
    /// `n_layer`: number of transformer blocks.
    public var nLayer: Int
    /// `n_head`: attention heads per block.
    public var nHead: Int
    /// `n_inner`: width of the MLP; `nil` means `4 * n_embd`.
    public var nInner: Int?
    /// `activation_function`: the MLP activation. Default `gelu_new`.
    public var activationFunction: Activation
    /// `resid_pdrop`: dropout after the attention and MLP projections.
    public var residPdrop: Double
    /// `embd_pdrop`: dropout after the embeddings.
    public var embdPdrop: Double
    /// `attn_pdrop`: dropout on the attention probabilities.
    public var attnPdrop: Double
    /// `layer_norm_epsilon`: epsilon of every layer norm. Default 1e-5.
    public var layerNormEpsilon: Double
    /// `initializer_range`: standard deviation of the normal initialisation. Default 0.02.
    public var initializerRange: Double
    /// `scale_attn_weights`: divide attention scores by `sqrt(head_dim)` (Kalam requires `true`).
    public var scaleAttnWeights: Bool
    /// `scale_attn_by_inverse_layer_idx`: also divide by `layer_idx + 1` (Kalam requires `false`).
    public var scaleAttnByInverseLayerIdx: Bool
    /// `reorder_and_upcast_attn`: a mixed-precision detail; Kalam computes attention in float32 either way.
    public var reorderAndUpcastAttn: Bool
    /// `add_cross_attention`: cross-attention blocks (Kalam requires `false`).
    public var addCrossAttention: Bool
    /// `use_cache`: whether generation keeps a key/value cache.
    public var useCache: Bool
    /// `bos_token_id`. Default 50256.
    public var bosTokenId: Int?
    /// `eos_token_id`. Default 50256.
    public var eosTokenId: Int?
    /// `pad_token_id`. Default none.
    public var padTokenId: Int?
    /// `tie_word_embeddings`: the LM head shares `transformer.wte.weight`. Default true.
    public var tieWordEmbeddings: Bool
    /// `id2label` (class index as a string key → name), for `GPT2ForSequenceClassification`; nil when
    /// the file has none (then written as it was read: absent).
    public var id2label: [String: String]?

    /// The number of classes of `GPT2ForSequenceClassification`: `len(id2label)`, 2 without one.
    public var numLabels: Int { id2label?.count ?? 2 }

    /// The class names by index (`LABEL_<i>` where one is missing).
    public var labelNames: [String] { ClassLabels.names(id2label, count: numLabels) }

    /// Sets `id2label` (and so `label2id` when written) to `names`, in order.
    public mutating func setLabels(_ names: [String]) {
        id2label = ClassLabels.map(names)
    }

    /// The keys written as floats.
    public static let floatKeys: Set<String> = [
        CodingKeys.residPdrop.rawValue, CodingKeys.embdPdrop.rawValue, CodingKeys.attnPdrop.rawValue,
        CodingKeys.layerNormEpsilon.rawValue, CodingKeys.initializerRange.rawValue,
    ]

    /// The `config.json` keys.
    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case architectures
        case vocabSize = "vocab_size"
        case nPositions = "n_positions"
        case nEmbd = "n_embd"
        case nLayer = "n_layer"
        case nHead = "n_head"
        case nInner = "n_inner"
        case activationFunction = "activation_function"
        case residPdrop = "resid_pdrop"
        case embdPdrop = "embd_pdrop"
        case attnPdrop = "attn_pdrop"
        case layerNormEpsilon = "layer_norm_epsilon"
        case initializerRange = "initializer_range"
        case scaleAttnWeights = "scale_attn_weights"
        case scaleAttnByInverseLayerIdx = "scale_attn_by_inverse_layer_idx"
        case reorderAndUpcastAttn = "reorder_and_upcast_attn"
        case addCrossAttention = "add_cross_attention"
        case useCache = "use_cache"
        case bosTokenId = "bos_token_id"
        case eosTokenId = "eos_token_id"
        case padTokenId = "pad_token_id"
        case tieWordEmbeddings = "tie_word_embeddings"
        case id2label
        case label2id
    }

    /// A configuration with transformers' defaults for every value not given.
    public init(
        vocabSize: Int = 50257, nPositions: Int = 1024, nEmbd: Int = 768, nLayer: Int = 12, nHead: Int = 12,
        nInner: Int? = nil, activationFunction: Activation = .geluNew, residPdrop: Double = 0.1,
        embdPdrop: Double = 0.1, attnPdrop: Double = 0.1, layerNormEpsilon: Double = 1e-5,
        initializerRange: Double = 0.02, useCache: Bool = true, bosTokenId: Int? = 50256,
        eosTokenId: Int? = 50256, padTokenId: Int? = nil, tieWordEmbeddings: Bool = true
    ) {
        self.architectures = ["GPT2LMHeadModel"]
        self.vocabSize = vocabSize
        self.nPositions = nPositions
        self.nEmbd = nEmbd
        self.nLayer = nLayer
        self.nHead = nHead
        self.nInner = nInner
        self.activationFunction = activationFunction
        self.residPdrop = residPdrop
        self.embdPdrop = embdPdrop
        self.attnPdrop = attnPdrop
        self.layerNormEpsilon = layerNormEpsilon
        self.initializerRange = initializerRange
        self.scaleAttnWeights = true
        self.scaleAttnByInverseLayerIdx = false
        self.reorderAndUpcastAttn = false
        self.addCrossAttention = false
        self.useCache = useCache
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
        self.padTokenId = padTokenId
        self.tieWordEmbeddings = tieWordEmbeddings
    }

    /// Decodes `config.json`, filling defaults, then validates; errors name the field.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.checkModelType(.modelType, expected: Self.modelType)
        architectures = try c.decodeIfPresent([String].self, forKey: .architectures)
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        nPositions = try c.decode(.nPositions, default: 1024)
        nEmbd = try c.decode(Int.self, forKey: .nEmbd)
        nLayer = try c.decode(Int.self, forKey: .nLayer)
        nHead = try c.decode(Int.self, forKey: .nHead)
        nInner = try c.decodeIfPresent(Int.self, forKey: .nInner)
        activationFunction = try Activation(
            hfName: c.decode(.activationFunction, default: "gelu_new"),
            field: CodingKeys.activationFunction.rawValue)
        residPdrop = try c.decode(.residPdrop, default: 0.1)
        embdPdrop = try c.decode(.embdPdrop, default: 0.1)
        attnPdrop = try c.decode(.attnPdrop, default: 0.1)
        layerNormEpsilon = try c.decode(.layerNormEpsilon, default: 1e-5)
        initializerRange = try c.decode(.initializerRange, default: 0.02)
        scaleAttnWeights = try c.decode(.scaleAttnWeights, default: true)
        scaleAttnByInverseLayerIdx = try c.decode(.scaleAttnByInverseLayerIdx, default: false)
        reorderAndUpcastAttn = try c.decode(.reorderAndUpcastAttn, default: false)
        addCrossAttention = try c.decode(.addCrossAttention, default: false)
        useCache = try c.decode(.useCache, default: true)
        bosTokenId = c.contains(.bosTokenId) ? try c.decodeIfPresent(Int.self, forKey: .bosTokenId) : 50256
        eosTokenId = c.contains(.eosTokenId) ? try c.decodeIfPresent(Int.self, forKey: .eosTokenId) : 50256
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId)
        tieWordEmbeddings = try c.decode(.tieWordEmbeddings, default: true)
        id2label = try c.decodeIfPresent([String: String].self, forKey: .id2label)
        try validate()
    }

    /// Encodes the `config.json` keys (with `model_type`), omitting `null` values.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.modelType, forKey: .modelType)
        try c.encodeIfPresent(architectures, forKey: .architectures)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(nPositions, forKey: .nPositions)
        try c.encode(nEmbd, forKey: .nEmbd)
        try c.encode(nLayer, forKey: .nLayer)
        try c.encode(nHead, forKey: .nHead)
        try c.encodeIfPresent(nInner, forKey: .nInner)
        try c.encode(activationFunction, forKey: .activationFunction)
        try c.encode(residPdrop, forKey: .residPdrop)
        try c.encode(embdPdrop, forKey: .embdPdrop)
        try c.encode(attnPdrop, forKey: .attnPdrop)
        try c.encode(layerNormEpsilon, forKey: .layerNormEpsilon)
        try c.encode(initializerRange, forKey: .initializerRange)
        try c.encode(scaleAttnWeights, forKey: .scaleAttnWeights)
        try c.encode(scaleAttnByInverseLayerIdx, forKey: .scaleAttnByInverseLayerIdx)
        try c.encode(reorderAndUpcastAttn, forKey: .reorderAndUpcastAttn)
        try c.encode(addCrossAttention, forKey: .addCrossAttention)
        try c.encode(useCache, forKey: .useCache)
        try c.encodeIfPresent(bosTokenId, forKey: .bosTokenId)
        try c.encodeIfPresent(eosTokenId, forKey: .eosTokenId)
        try c.encodeIfPresent(padTokenId, forKey: .padTokenId)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        if let id2label {
            try c.encode(id2label, forKey: .id2label)
            try c.encode(ClassLabels.inverse(id2label), forKey: .label2id)
        }
    }

    /// The MLP width: `n_inner`, or `4 * n_embd` when unset.
    public var innerSize: Int { nInner ?? 4 * nEmbd }

    /// The width of one attention head, `n_embd / n_head`.
    public var headDim: Int { nEmbd / max(nHead, 1) }

    /// Checks the values against what Kalam implements.
    public func validate() throws {
        try ConfigCheck.positive(vocabSize, CodingKeys.vocabSize.rawValue)
        try ConfigCheck.positive(nPositions, CodingKeys.nPositions.rawValue)
        try ConfigCheck.positive(nEmbd, CodingKeys.nEmbd.rawValue)
        try ConfigCheck.positive(nLayer, CodingKeys.nLayer.rawValue)
        try ConfigCheck.positive(nHead, CodingKeys.nHead.rawValue)
        if let nInner { try ConfigCheck.positive(nInner, CodingKeys.nInner.rawValue) }
        if nEmbd % nHead != 0 {
            throw ModelError.invalidValue(
                field: CodingKeys.nEmbd.rawValue, value: "\(nEmbd)",
                reason: "not divisible by n_head \(nHead)")
        }
        try ConfigCheck.probability(residPdrop, CodingKeys.residPdrop.rawValue)
        try ConfigCheck.probability(embdPdrop, CodingKeys.embdPdrop.rawValue)
        try ConfigCheck.probability(attnPdrop, CodingKeys.attnPdrop.rawValue)
        try ConfigCheck.nonNegative(layerNormEpsilon, CodingKeys.layerNormEpsilon.rawValue)
        try ConfigCheck.flag(scaleAttnWeights, CodingKeys.scaleAttnWeights.rawValue, supported: true)
        try ConfigCheck.flag(
            scaleAttnByInverseLayerIdx, CodingKeys.scaleAttnByInverseLayerIdx.rawValue,
            supported: false)
        try ConfigCheck.flag(addCrossAttention, CodingKeys.addCrossAttention.rawValue, supported: false)
        try ConfigCheck.tokenId(bosTokenId, CodingKeys.bosTokenId.rawValue)
        try ConfigCheck.tokenId(eosTokenId, CodingKeys.eosTokenId.rawValue)
        try ConfigCheck.tokenId(padTokenId, CodingKeys.padTokenId.rawValue)
        if let id2label {
            try ClassLabels.validate(id2label, field: CodingKeys.id2label.rawValue)
        }
    }
}
