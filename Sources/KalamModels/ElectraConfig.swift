import Foundation

/// ELECTRA's `config.json` (`model_type` `"electra"`): BERT's encoder keys plus `embedding_size`, the
/// width of the embeddings (projected to `hidden_size` by `embeddings_project` when they differ).
public struct ElectraConfig: ModelConfiguration, Equatable {
    /// `"electra"`.
    public static let modelType = "electra"

    /// `architectures`.
    public var architectures: [String]?
    /// `vocab_size`.
    public var vocabSize: Int
    /// `embedding_size`.
    public var embeddingSize: Int
    /// `hidden_size`.
    public var hiddenSize: Int
    /// `num_hidden_layers`.
    public var numHiddenLayers: Int
    /// `num_attention_heads`.
    public var numAttentionHeads: Int
    /// `intermediate_size`.
    public var intermediateSize: Int
    /// `hidden_act`.
    public var hiddenAct: Activation
    /// `hidden_dropout_prob`.
    public var hiddenDropoutProb: Double
    /// `attention_probs_dropout_prob`.
    public var attentionProbsDropoutProb: Double
    /// `max_position_embeddings`.
    public var maxPositionEmbeddings: Int
    /// `type_vocab_size`.
    public var typeVocabSize: Int
    /// `initializer_range`.
    public var initializerRange: Double
    /// `layer_norm_eps`.
    public var layerNormEps: Double
    /// `pad_token_id`.
    public var padTokenId: Int?
    /// `id2label` for `ElectraForSequenceClassification`; nil when the file has none.
    public var id2label: [String: String]?
    /// `classifier_dropout` (nil: `hidden_dropout_prob`).
    public var classifierDropout: Double?

    /// The number of classes: `len(id2label)`, 2 without one.
    public var numLabels: Int { id2label?.count ?? 2 }

    /// The class names by index (`LABEL_<i>` where one is missing).
    public var labelNames: [String] { ClassLabels.names(id2label, count: numLabels) }

    /// Sets `id2label` (and so `label2id` when written) to `names`, in order.
    public mutating func setLabels(_ names: [String]) {
        id2label = ClassLabels.map(names)
    }

    /// The keys written as floats.
    public static let floatKeys: Set<String> = [
        "hidden_dropout_prob", "attention_probs_dropout_prob", "initializer_range", "layer_norm_eps",
        "classifier_dropout",
    ]

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case architectures
        case vocabSize = "vocab_size"
        case embeddingSize = "embedding_size"
        case hiddenSize = "hidden_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act"
        case hiddenDropoutProb = "hidden_dropout_prob"
        case attentionProbsDropoutProb = "attention_probs_dropout_prob"
        case maxPositionEmbeddings = "max_position_embeddings"
        case typeVocabSize = "type_vocab_size"
        case initializerRange = "initializer_range"
        case layerNormEps = "layer_norm_eps"
        case padTokenId = "pad_token_id"
        case positionEmbeddingType = "position_embedding_type"
        case tieWordEmbeddings = "tie_word_embeddings"
        case id2label
        case label2id
        case classifierDropout = "classifier_dropout"
    }

    /// A configuration with transformers' defaults (ELECTRA-small's discriminator) for every value not given.
    public init(
        vocabSize: Int = 30522, embeddingSize: Int = 128, hiddenSize: Int = 256, numHiddenLayers: Int = 12,
        numAttentionHeads: Int = 4, intermediateSize: Int = 1024, hiddenAct: Activation = .gelu,
        hiddenDropoutProb: Double = 0.1, attentionProbsDropoutProb: Double = 0.1, maxPositionEmbeddings: Int = 512,
        typeVocabSize: Int = 2, initializerRange: Double = 0.02, layerNormEps: Double = 1e-12, padTokenId: Int? = 0,
        architectures: [String]? = nil
    ) {
        self.architectures = architectures
        self.vocabSize = vocabSize
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.intermediateSize = intermediateSize
        self.hiddenAct = hiddenAct
        self.hiddenDropoutProb = hiddenDropoutProb
        self.attentionProbsDropoutProb = attentionProbsDropoutProb
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.typeVocabSize = typeVocabSize
        self.initializerRange = initializerRange
        self.layerNormEps = layerNormEps
        self.padTokenId = padTokenId
    }

    /// Decodes `config.json`, filling transformers' defaults, then validates.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.checkModelType(.modelType, expected: Self.modelType)
        self.init(
            vocabSize: try c.decode(.vocabSize, default: 30522),
            embeddingSize: try c.decode(.embeddingSize, default: 128),
            hiddenSize: try c.decode(.hiddenSize, default: 256),
            numHiddenLayers: try c.decode(.numHiddenLayers, default: 12),
            numAttentionHeads: try c.decode(.numAttentionHeads, default: 4),
            intermediateSize: try c.decode(.intermediateSize, default: 1024),
            hiddenAct: try Activation(
                hfName: c.decode(.hiddenAct, default: "gelu"), field: CodingKeys.hiddenAct.rawValue),
            hiddenDropoutProb: try c.decode(.hiddenDropoutProb, default: 0.1),
            attentionProbsDropoutProb: try c.decode(.attentionProbsDropoutProb, default: 0.1),
            maxPositionEmbeddings: try c.decode(.maxPositionEmbeddings, default: 512),
            typeVocabSize: try c.decode(.typeVocabSize, default: 2),
            initializerRange: try c.decode(.initializerRange, default: 0.02),
            layerNormEps: try c.decode(.layerNormEps, default: 1e-12),
            padTokenId: c.contains(.padTokenId) ? try c.decodeIfPresent(Int.self, forKey: .padTokenId) : 0,
            architectures: try c.decodeIfPresent([String].self, forKey: .architectures))
        let position = try c.decode(.positionEmbeddingType, default: "absolute")
        guard position == "absolute" else {
            throw ModelError.unsupportedValue(
                field: CodingKeys.positionEmbeddingType.rawValue, value: position, supported: ["absolute"])
        }
        id2label = try c.decodeIfPresent([String: String].self, forKey: .id2label)
        classifierDropout = try c.decodeIfPresent(Double.self, forKey: .classifierDropout)
        if let id2label {
            try ClassLabels.validate(id2label, field: CodingKeys.id2label.rawValue)
        }
        if let classifierDropout {
            try ConfigCheck.probability(classifierDropout, CodingKeys.classifierDropout.rawValue)
        }
        guard try c.decode(.tieWordEmbeddings, default: true) else {
            throw ModelError.unsupportedValue(
                field: CodingKeys.tieWordEmbeddings.rawValue, value: "false", supported: ["true"])
        }
        try validate()
    }

    /// Encodes the `config.json` keys (with `model_type`).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.modelType, forKey: .modelType)
        try c.encodeIfPresent(architectures, forKey: .architectures)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(embeddingSize, forKey: .embeddingSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(hiddenAct, forKey: .hiddenAct)
        try c.encode(hiddenDropoutProb, forKey: .hiddenDropoutProb)
        try c.encode(attentionProbsDropoutProb, forKey: .attentionProbsDropoutProb)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(typeVocabSize, forKey: .typeVocabSize)
        try c.encode(initializerRange, forKey: .initializerRange)
        try c.encode(layerNormEps, forKey: .layerNormEps)
        try c.encodeIfPresent(padTokenId, forKey: .padTokenId)
        try c.encode("absolute", forKey: .positionEmbeddingType)
        try c.encode(true, forKey: .tieWordEmbeddings)
        try c.encodeIfPresent(classifierDropout, forKey: .classifierDropout)
        if let id2label {
            try c.encode(id2label, forKey: .id2label)
            try c.encode(ClassLabels.inverse(id2label), forKey: .label2id)
        }
    }

    /// The encoder as a BERT configuration (ELECTRA's layers are BERT's).
    public var encoder: BertConfig {
        BertConfig(
            vocabSize: vocabSize, hiddenSize: hiddenSize, numHiddenLayers: numHiddenLayers,
            numAttentionHeads: numAttentionHeads, intermediateSize: intermediateSize, hiddenAct: hiddenAct,
            hiddenDropoutProb: hiddenDropoutProb, attentionProbsDropoutProb: attentionProbsDropoutProb,
            maxPositionEmbeddings: maxPositionEmbeddings, typeVocabSize: typeVocabSize,
            initializerRange: initializerRange, layerNormEps: layerNormEps, padTokenId: padTokenId)
    }

    /// The embeddings as a BERT configuration of width `embedding_size`.
    public var embeddings: BertConfig {
        var c = encoder
        c.hiddenSize = embeddingSize
        return c
    }

    /// Checks the values (those of the encoder, and a positive `embedding_size`).
    public func validate() throws {
        try ConfigCheck.positive(embeddingSize, CodingKeys.embeddingSize.rawValue)
        try encoder.validate()
    }
}
