import Foundation

/// The configuration of a T5 model: the keys and defaults of transformers' `T5Config`.
///
/// `vocab_size`, `d_model`, `d_kv`, `d_ff`, `num_layers` and `num_heads` are required; every other
/// key takes transformers' default when absent.
///
/// Two variants are told apart by their keys, as transformers does:
/// - T5 v1.0: `feed_forward_proj: "relu"`, the LM head tied to `shared.weight`, and the decoder
///   output scaled by `d_model ** -0.5` before the head;
/// - T5 v1.1: `feed_forward_proj: "gated-gelu"`, `tie_word_embeddings: false`, its own `lm_head.weight`
///   and no scaling.
/// The scaling rule is ``scalesDecoderOutput``: transformers 5's `scale_decoder_outputs` when the file
/// has it, else `tie_word_embeddings != false` (the rule transformers 4 checkpoints rely on).
public struct T5Config: ModelConfiguration, Equatable {
    /// `"t5"`.
    public static let modelType = "t5"

    /// The feed-forward block named by `feed_forward_proj`: `"<act>"` (one input projection `wi`)
    /// or `"gated-<act>"` (`act(wi_0 x) * wi_1 x`).
    public struct FeedForwardProjection: Codable, Sendable, Equatable, CustomStringConvertible {
        /// Whether the block is gated (`wi_0`, `wi_1`) rather than dense (`wi`).
        public var isGated: Bool
        /// The activation applied to `wi` (or `wi_0`). `"gated-gelu"` means the tanh GELU, as in transformers.
        public var activation: Activation

        /// A projection from its parts.
        public init(isGated: Bool, activation: Activation) {
            self.isGated = isGated
            self.activation = activation
        }

        /// Parses a `feed_forward_proj` value; anything but `<act>` or `gated-<act>` with a known
        /// activation is a ``ModelError/unsupportedValue(field:value:supported:)``.
        public init(hfName: String) throws {
            let parts = hfName.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            let supported = Activation.allCases.map(\.rawValue).flatMap { [$0, "gated-\($0)"] }
            let unsupported = ModelError.unsupportedValue(
                field: "feed_forward_proj", value: hfName, supported: supported)
            switch parts.count {
            case 1:
                guard let act = Activation(rawValue: parts[0]) else { throw unsupported }
                self.init(isGated: false, activation: act)
            case 2 where parts[0] == "gated":
                guard let act = Activation(rawValue: parts[1]) else { throw unsupported }
                // transformers keeps "gated-gelu" meaning the tanh approximation (T5 v1.1 was trained so).
                self.init(isGated: true, activation: act == .gelu ? .geluNew : act)
                spelledGatedGELU = act == .gelu
            default:
                throw unsupported
            }
        }

        /// Whether the file said `gated-gelu` (kept so the name round-trips).
        private var spelledGatedGELU = false

        /// The `feed_forward_proj` value.
        public var description: String {
            if isGated && spelledGatedGELU { return "gated-gelu" }
            return isGated ? "gated-\(activation.rawValue)" : activation.rawValue
        }

        /// Decodes from the `feed_forward_proj` string.
        public init(from decoder: Decoder) throws {
            try self.init(hfName: decoder.singleValueContainer().decode(String.self))
        }

        /// Encodes as the `feed_forward_proj` string.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            try c.encode(description)
        }

        /// T5 v1.0's `relu`.
        public static let relu = FeedForwardProjection(isGated: false, activation: .relu)
        /// T5 v1.1's `gated-gelu` (tanh GELU).
        public static let gatedGELU: FeedForwardProjection = {
            var p = FeedForwardProjection(isGated: true, activation: .geluNew)
            p.spelledGatedGELU = true
            return p
        }()
    }

    /// `architectures`: the transformers class names this checkpoint was saved from.
    public var architectures: [String]?
    /// `vocab_size`: number of tokens (`shared.weight` rows).
    public var vocabSize: Int
    /// `d_model`: hidden width.
    public var dModel: Int
    /// `d_kv`: width of one attention head (need not be `d_model / num_heads`).
    public var dKv: Int
    /// `d_ff`: width of the feed-forward block.
    public var dFf: Int
    /// `num_layers`: encoder blocks.
    public var numLayers: Int
    /// `num_decoder_layers`: decoder blocks; `nil` means `num_layers`.
    public var numDecoderLayers: Int?
    /// `num_heads`: attention heads.
    public var numHeads: Int
    /// `relative_attention_num_buckets`: relative-position buckets. Default 32.
    public var relativeAttentionNumBuckets: Int
    /// `relative_attention_max_distance`: distance beyond which positions share the last bucket. Default 128.
    public var relativeAttentionMaxDistance: Int
    /// `dropout_rate`. Default 0.1.
    public var dropoutRate: Double
    /// `layer_norm_epsilon`: epsilon of the RMS norms. Default 1e-6.
    public var layerNormEpsilon: Double
    /// `initializer_factor`: scale of the T5 initialisation. Default 1.
    public var initializerFactor: Double
    /// `feed_forward_proj`. Default `relu`.
    public var feedForwardProj: FeedForwardProjection
    /// `is_encoder_decoder`. Always true for `T5ForConditionalGeneration`.
    public var isEncoderDecoder: Bool
    /// `use_cache`.
    public var useCache: Bool
    /// `pad_token_id`. Default 0.
    public var padTokenId: Int
    /// `eos_token_id`. Default 1.
    public var eosTokenId: Int?
    /// `decoder_start_token_id`: the first decoder input (labels are shifted right behind it). Default 0.
    public var decoderStartTokenId: Int
    /// `tie_word_embeddings`; `nil` when absent (transformers' default: true).
    public var tieWordEmbeddings: Bool?
    /// `scale_decoder_outputs` (written by transformers 5); `nil` when absent.
    public var scaleDecoderOutputs: Bool?
    /// `id2label` (class index as a string key → name) of a text-to-text classifier: each class's name
    /// is the text the decoder writes for it. Nil when the file has none (then written as read: absent).
    public var id2label: [String: String]?

    /// The class names by index (empty without `id2label`: a T5 has no classes of its own).
    public var labelNames: [String] { id2label.map { ClassLabels.names($0, count: $0.count) } ?? [] }

    /// Sets `id2label` (and so `label2id` when written) to `names`, in order.
    public mutating func setLabels(_ names: [String]) {
        id2label = ClassLabels.map(names)
    }

    /// The keys written as floats.
    public static let floatKeys: Set<String> = [
        CodingKeys.dropoutRate.rawValue, CodingKeys.layerNormEpsilon.rawValue, CodingKeys.initializerFactor.rawValue,
    ]

    /// The `config.json` keys.
    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case architectures
        case vocabSize = "vocab_size"
        case dModel = "d_model"
        case dKv = "d_kv"
        case dFf = "d_ff"
        case numLayers = "num_layers"
        case numDecoderLayers = "num_decoder_layers"
        case numHeads = "num_heads"
        case relativeAttentionNumBuckets = "relative_attention_num_buckets"
        case relativeAttentionMaxDistance = "relative_attention_max_distance"
        case dropoutRate = "dropout_rate"
        case layerNormEpsilon = "layer_norm_epsilon"
        case initializerFactor = "initializer_factor"
        case feedForwardProj = "feed_forward_proj"
        case isEncoderDecoder = "is_encoder_decoder"
        case useCache = "use_cache"
        case padTokenId = "pad_token_id"
        case eosTokenId = "eos_token_id"
        case decoderStartTokenId = "decoder_start_token_id"
        case tieWordEmbeddings = "tie_word_embeddings"
        case scaleDecoderOutputs = "scale_decoder_outputs"
        case id2label
        case label2id
    }

    /// A configuration with transformers' defaults for every value not given. `v1_1: true` gives
    /// T5 v1.1's `gated-gelu` feed-forward and untied, unscaled head.
    public init(
        vocabSize: Int = 32128, dModel: Int = 512, dKv: Int = 64, dFf: Int = 2048, numLayers: Int = 6,
        numDecoderLayers: Int? = nil, numHeads: Int = 8, relativeAttentionNumBuckets: Int = 32,
        relativeAttentionMaxDistance: Int = 128, dropoutRate: Double = 0.1, layerNormEpsilon: Double = 1e-6,
        initializerFactor: Double = 1.0, v1_1: Bool = false, padTokenId: Int = 0, eosTokenId: Int? = 1,
        decoderStartTokenId: Int = 0
    ) {
        self.architectures = ["T5ForConditionalGeneration"]
        self.vocabSize = vocabSize
        self.dModel = dModel
        self.dKv = dKv
        self.dFf = dFf
        self.numLayers = numLayers
        self.numDecoderLayers = numDecoderLayers
        self.numHeads = numHeads
        self.relativeAttentionNumBuckets = relativeAttentionNumBuckets
        self.relativeAttentionMaxDistance = relativeAttentionMaxDistance
        self.dropoutRate = dropoutRate
        self.layerNormEpsilon = layerNormEpsilon
        self.initializerFactor = initializerFactor
        self.feedForwardProj = v1_1 ? .gatedGELU : .relu
        self.isEncoderDecoder = true
        self.useCache = true
        self.padTokenId = padTokenId
        self.eosTokenId = eosTokenId
        self.decoderStartTokenId = decoderStartTokenId
        self.tieWordEmbeddings = !v1_1
        self.scaleDecoderOutputs = nil
    }

    /// Decodes `config.json`, filling defaults, then validates; errors name the field.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.checkModelType(.modelType, expected: Self.modelType)
        architectures = try c.decodeIfPresent([String].self, forKey: .architectures)
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        dModel = try c.decode(Int.self, forKey: .dModel)
        dKv = try c.decode(Int.self, forKey: .dKv)
        dFf = try c.decode(Int.self, forKey: .dFf)
        numLayers = try c.decode(Int.self, forKey: .numLayers)
        numDecoderLayers = try c.decodeIfPresent(Int.self, forKey: .numDecoderLayers)
        numHeads = try c.decode(Int.self, forKey: .numHeads)
        relativeAttentionNumBuckets = try c.decode(.relativeAttentionNumBuckets, default: 32)
        relativeAttentionMaxDistance = try c.decode(.relativeAttentionMaxDistance, default: 128)
        dropoutRate = try c.decode(.dropoutRate, default: 0.1)
        layerNormEpsilon = try c.decode(.layerNormEpsilon, default: 1e-6)
        initializerFactor = try c.decode(.initializerFactor, default: 1.0)
        feedForwardProj = try FeedForwardProjection(hfName: c.decode(.feedForwardProj, default: "relu"))
        isEncoderDecoder = try c.decode(.isEncoderDecoder, default: true)
        useCache = try c.decode(.useCache, default: true)
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId) ?? 0
        eosTokenId = c.contains(.eosTokenId) ? try c.decodeIfPresent(Int.self, forKey: .eosTokenId) : 1
        decoderStartTokenId = try c.decodeIfPresent(Int.self, forKey: .decoderStartTokenId) ?? padTokenId
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings)
        scaleDecoderOutputs = try c.decodeIfPresent(Bool.self, forKey: .scaleDecoderOutputs)
        id2label = try c.decodeIfPresent([String: String].self, forKey: .id2label)
        try validate()
    }

    /// Encodes the `config.json` keys (with `model_type`), omitting `null` values.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.modelType, forKey: .modelType)
        try c.encodeIfPresent(architectures, forKey: .architectures)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(dModel, forKey: .dModel)
        try c.encode(dKv, forKey: .dKv)
        try c.encode(dFf, forKey: .dFf)
        try c.encode(numLayers, forKey: .numLayers)
        try c.encode(decoderLayers, forKey: .numDecoderLayers)
        try c.encode(numHeads, forKey: .numHeads)
        try c.encode(relativeAttentionNumBuckets, forKey: .relativeAttentionNumBuckets)
        try c.encode(relativeAttentionMaxDistance, forKey: .relativeAttentionMaxDistance)
        try c.encode(dropoutRate, forKey: .dropoutRate)
        try c.encode(layerNormEpsilon, forKey: .layerNormEpsilon)
        try c.encode(initializerFactor, forKey: .initializerFactor)
        try c.encode(feedForwardProj, forKey: .feedForwardProj)
        try c.encode(isEncoderDecoder, forKey: .isEncoderDecoder)
        try c.encode(useCache, forKey: .useCache)
        try c.encode(padTokenId, forKey: .padTokenId)
        try c.encodeIfPresent(eosTokenId, forKey: .eosTokenId)
        try c.encode(decoderStartTokenId, forKey: .decoderStartTokenId)
        try c.encodeIfPresent(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        try c.encodeIfPresent(scaleDecoderOutputs, forKey: .scaleDecoderOutputs)
        if let id2label {
            try c.encode(id2label, forKey: .id2label)
            try c.encode(ClassLabels.inverse(id2label), forKey: .label2id)
        }
    }

    /// Decoder blocks: `num_decoder_layers`, or `num_layers` when unset.
    public var decoderLayers: Int { numDecoderLayers ?? numLayers }

    /// Width of the attention projections, `num_heads * d_kv`.
    public var innerDim: Int { numHeads * dKv }

    /// Whether the decoder output is multiplied by `d_model ** -0.5` before the LM head (T5 v1.0).
    public var scalesDecoderOutput: Bool { scaleDecoderOutputs ?? (tieWordEmbeddings != false) }

    /// Whether the LM head shares `shared.weight` when the checkpoint has no `lm_head.weight`.
    public var tiesHead: Bool { tieWordEmbeddings != false }

    /// Checks the values against what Kalam implements.
    public func validate() throws {
        try ConfigCheck.positive(vocabSize, CodingKeys.vocabSize.rawValue)
        try ConfigCheck.positive(dModel, CodingKeys.dModel.rawValue)
        try ConfigCheck.positive(dKv, CodingKeys.dKv.rawValue)
        try ConfigCheck.positive(dFf, CodingKeys.dFf.rawValue)
        try ConfigCheck.positive(numLayers, CodingKeys.numLayers.rawValue)
        if let numDecoderLayers { try ConfigCheck.positive(numDecoderLayers, CodingKeys.numDecoderLayers.rawValue) }
        try ConfigCheck.positive(numHeads, CodingKeys.numHeads.rawValue)
        try ConfigCheck.positive(relativeAttentionNumBuckets, CodingKeys.relativeAttentionNumBuckets.rawValue)
        try ConfigCheck.positive(relativeAttentionMaxDistance, CodingKeys.relativeAttentionMaxDistance.rawValue)
        if relativeAttentionNumBuckets < 4 {
            throw ModelError.invalidValue(
                field: CodingKeys.relativeAttentionNumBuckets.rawValue,
                value: "\(relativeAttentionNumBuckets)", reason: "needs at least 4 buckets")
        }
        try ConfigCheck.probability(dropoutRate, CodingKeys.dropoutRate.rawValue)
        try ConfigCheck.nonNegative(layerNormEpsilon, CodingKeys.layerNormEpsilon.rawValue)
        try ConfigCheck.flag(isEncoderDecoder, CodingKeys.isEncoderDecoder.rawValue, supported: true)
        for (value, key) in [(padTokenId, CodingKeys.padTokenId), (decoderStartTokenId, .decoderStartTokenId)]
        where value < 0 || value >= vocabSize {
            throw ModelError.invalidValue(field: key.rawValue, value: "\(value)", reason: "outside the vocabulary")
        }
        try ConfigCheck.tokenId(eosTokenId, CodingKeys.eosTokenId.rawValue)
        try ConfigCheck.tokenId(padTokenId, CodingKeys.padTokenId.rawValue)
        try ConfigCheck.tokenId(decoderStartTokenId, CodingKeys.decoderStartTokenId.rawValue)
        if let id2label { try ClassLabels.validate(id2label, field: CodingKeys.id2label.rawValue) }
    }
}
