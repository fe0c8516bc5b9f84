import Foundation

/// The configuration of a BERT model: the keys and defaults of transformers' `BertConfig`.
///
/// `vocab_size`, `hidden_size`, `num_hidden_layers`, `num_attention_heads` and
/// `intermediate_size` are required; every other key takes transformers' default when absent.
/// The classification heads read their label count from `id2label` (or `num_labels`).
/// Kalam implements absolute position embeddings in an encoder without cross-attention;
/// anything else is rejected by ``validate()``.
public struct BertConfig: ModelConfiguration, Equatable {
    /// `"bert"`.
    public static let modelType = "bert"

    /// How positions enter the model (`position_embedding_type`); Kalam implements `absolute` only.
    public enum PositionEmbeddingType: String, Codable, Sendable, CaseIterable {
        /// A learned table indexed by position (`bert.embeddings.position_embeddings`).
        case absolute
    }

    /// `problem_type`: which loss `BertForSequenceClassification` uses.
    public enum ProblemType: String, Codable, Sendable, CaseIterable {
        /// Mean squared error on one output (transformers' choice when `num_labels == 1`).
        case regression
        /// Cross-entropy over `num_labels` classes.
        case singleLabelClassification = "single_label_classification"
    }

    /// `architectures`: the transformers class names this checkpoint was saved from.
    public var architectures: [String]?
    /// `vocab_size`: number of tokens.
    public var vocabSize: Int
    /// `hidden_size`: hidden width.
    public var hiddenSize: Int
    /// `num_hidden_layers`: number of encoder layers.
    public var numHiddenLayers: Int
    /// `num_attention_heads`: attention heads per layer.
    public var numAttentionHeads: Int
    /// `intermediate_size`: width of the feed-forward layer.
    public var intermediateSize: Int
    /// `hidden_act`: the feed-forward activation. Default `gelu` (exact).
    public var hiddenAct: Activation
    /// `hidden_dropout_prob`: dropout on embeddings and sub-layer outputs.
    public var hiddenDropoutProb: Double
    /// `attention_probs_dropout_prob`: dropout on attention probabilities.
    public var attentionProbsDropoutProb: Double
    /// `max_position_embeddings`: length of the position table (the longest sequence). Default 512.
    public var maxPositionEmbeddings: Int
    /// `type_vocab_size`: number of token types (segments). Default 2.
    public var typeVocabSize: Int
    /// `initializer_range`: standard deviation of the normal initialisation. Default 0.02.
    public var initializerRange: Double
    /// `layer_norm_eps`: epsilon of every layer norm. Default 1e-12.
    public var layerNormEps: Double
    /// `pad_token_id`. Default 0.
    public var padTokenId: Int?
    /// `position_embedding_type`. Default `absolute`.
    public var positionEmbeddingType: PositionEmbeddingType
    /// `classifier_dropout`: dropout before a classification head; `nil` means `hidden_dropout_prob`.
    public var classifierDropout: Double?
    /// `is_decoder`: a causal decoder (Kalam requires `false`).
    public var isDecoder: Bool
    /// `add_cross_attention`: cross-attention layers (Kalam requires `false`).
    public var addCrossAttention: Bool
    /// `use_cache`.
    public var useCache: Bool
    /// `tie_word_embeddings`: the MLM decoder shares the word embeddings. Default true.
    public var tieWordEmbeddings: Bool
    /// `id2label`: class index (as a string key) to label name, for the classification heads.
    public var id2label: [String: String]
    /// `label2id`: label name to class index.
    public var label2id: [String: Int]
    /// `problem_type`: the sequence-classification loss; `nil` lets the label count decide.
    public var problemType: ProblemType?

    /// The keys written as floats.
    public static let floatKeys: Set<String> = [
        CodingKeys.hiddenDropoutProb.rawValue, CodingKeys.attentionProbsDropoutProb.rawValue,
        CodingKeys.initializerRange.rawValue, CodingKeys.layerNormEps.rawValue, CodingKeys.classifierDropout.rawValue,
    ]

    /// The `config.json` keys.
    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case architectures
        case vocabSize = "vocab_size"
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
        case classifierDropout = "classifier_dropout"
        case isDecoder = "is_decoder"
        case addCrossAttention = "add_cross_attention"
        case useCache = "use_cache"
        case tieWordEmbeddings = "tie_word_embeddings"
        case id2label
        case label2id
        case numLabels = "num_labels"
        case problemType = "problem_type"
    }

    /// A configuration with transformers' defaults for every value not given; `numLabels` sets
    /// `id2label`/`label2id` to `LABEL_0 ...` as transformers does.
    public init(
        vocabSize: Int = 30522, hiddenSize: Int = 768, numHiddenLayers: Int = 12, numAttentionHeads: Int = 12,
        intermediateSize: Int = 3072, hiddenAct: Activation = .gelu, hiddenDropoutProb: Double = 0.1,
        attentionProbsDropoutProb: Double = 0.1, maxPositionEmbeddings: Int = 512, typeVocabSize: Int = 2,
        initializerRange: Double = 0.02, layerNormEps: Double = 1e-12, padTokenId: Int? = 0,
        classifierDropout: Double? = nil, numLabels: Int = 2, problemType: ProblemType? = nil,
        architectures: [String]? = nil
    ) {
        self.architectures = architectures
        self.vocabSize = vocabSize
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
        self.positionEmbeddingType = .absolute
        self.classifierDropout = classifierDropout
        self.isDecoder = false
        self.addCrossAttention = false
        self.useCache = true
        self.tieWordEmbeddings = true
        (self.id2label, self.label2id) = Self.defaultLabels(numLabels)
        self.problemType = problemType
    }

    /// Decodes `config.json`, filling defaults, then validates; errors name the field.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.checkModelType(.modelType, expected: Self.modelType)
        architectures = try c.decodeIfPresent([String].self, forKey: .architectures)
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        numHiddenLayers = try c.decode(Int.self, forKey: .numHiddenLayers)
        numAttentionHeads = try c.decode(Int.self, forKey: .numAttentionHeads)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        hiddenAct = try Activation(hfName: c.decode(.hiddenAct, default: "gelu"), field: CodingKeys.hiddenAct.rawValue)
        hiddenDropoutProb = try c.decode(.hiddenDropoutProb, default: 0.1)
        attentionProbsDropoutProb = try c.decode(.attentionProbsDropoutProb, default: 0.1)
        maxPositionEmbeddings = try c.decode(.maxPositionEmbeddings, default: 512)
        typeVocabSize = try c.decode(.typeVocabSize, default: 2)
        initializerRange = try c.decode(.initializerRange, default: 0.02)
        layerNormEps = try c.decode(.layerNormEps, default: 1e-12)
        padTokenId = c.contains(.padTokenId) ? try c.decodeIfPresent(Int.self, forKey: .padTokenId) : 0
        let position = try c.decode(.positionEmbeddingType, default: "absolute")
        guard let positionType = PositionEmbeddingType(rawValue: position) else {
            throw ModelError.unsupportedValue(
                field: CodingKeys.positionEmbeddingType.rawValue, value: position,
                supported: PositionEmbeddingType.allCases.map(\.rawValue))
        }
        positionEmbeddingType = positionType
        classifierDropout = try c.decodeIfPresent(Double.self, forKey: .classifierDropout)
        isDecoder = try c.decode(.isDecoder, default: false)
        addCrossAttention = try c.decode(.addCrossAttention, default: false)
        useCache = try c.decode(.useCache, default: true)
        tieWordEmbeddings = try c.decode(.tieWordEmbeddings, default: true)
        if let names = try c.decodeIfPresent([String: String].self, forKey: .id2label) {
            id2label = names
            label2id =
                try c.decodeIfPresent([String: Int].self, forKey: .label2id)
                ?? Dictionary(
                    names.compactMap { k, v in Int(k).map { (v, $0) } }, uniquingKeysWith: { first, _ in first })
        } else {
            (id2label, label2id) = Self.defaultLabels(try c.decode(.numLabels, default: 2))
        }
        if let problem = try c.decodeIfPresent(String.self, forKey: .problemType) {
            guard let kind = ProblemType(rawValue: problem) else {
                throw ModelError.unsupportedValue(
                    field: CodingKeys.problemType.rawValue, value: problem,
                    supported: ProblemType.allCases.map(\.rawValue))
            }
            problemType = kind
        } else {
            problemType = nil
        }
        try validate()
    }

    /// Encodes the `config.json` keys (with `model_type`), omitting `null` values.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.modelType, forKey: .modelType)
        try c.encodeIfPresent(architectures, forKey: .architectures)
        try c.encode(vocabSize, forKey: .vocabSize)
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
        try c.encode(positionEmbeddingType, forKey: .positionEmbeddingType)
        try c.encodeIfPresent(classifierDropout, forKey: .classifierDropout)
        try c.encode(isDecoder, forKey: .isDecoder)
        try c.encode(addCrossAttention, forKey: .addCrossAttention)
        try c.encode(useCache, forKey: .useCache)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        try c.encode(id2label, forKey: .id2label)
        try c.encode(label2id, forKey: .label2id)
        try c.encodeIfPresent(problemType, forKey: .problemType)
    }

    /// The number of classes of the classification heads (`len(id2label)`).
    public var numLabels: Int { id2label.count }

    /// The label names by class index, from `id2label` (`LABEL_<i>` where an index is missing).
    public var labelNames: [String] { ClassLabels.names(id2label, count: numLabels) }

    /// `id2label` and `label2id` (and so `num_labels`) set to `names`, in order.
    public mutating func setLabels(_ names: [String]) {
        id2label = ClassLabels.map(names)
        label2id = ClassLabels.inverse(id2label)
    }

    /// The width of one attention head, `hidden_size / num_attention_heads`.
    public var headDim: Int { hiddenSize / max(numAttentionHeads, 1) }

    /// Checks the values against what Kalam implements.
    public func validate() throws {
        try ConfigCheck.positive(vocabSize, CodingKeys.vocabSize.rawValue)
        try ConfigCheck.positive(hiddenSize, CodingKeys.hiddenSize.rawValue)
        try ConfigCheck.positive(numHiddenLayers, CodingKeys.numHiddenLayers.rawValue)
        try ConfigCheck.positive(numAttentionHeads, CodingKeys.numAttentionHeads.rawValue)
        try ConfigCheck.positive(intermediateSize, CodingKeys.intermediateSize.rawValue)
        try ConfigCheck.positive(maxPositionEmbeddings, CodingKeys.maxPositionEmbeddings.rawValue)
        try ConfigCheck.positive(typeVocabSize, CodingKeys.typeVocabSize.rawValue)
        if hiddenSize % numAttentionHeads != 0 {
            throw ModelError.invalidValue(
                field: CodingKeys.hiddenSize.rawValue, value: "\(hiddenSize)",
                reason: "not divisible by num_attention_heads \(numAttentionHeads)")
        }
        try ConfigCheck.probability(hiddenDropoutProb, CodingKeys.hiddenDropoutProb.rawValue)
        try ConfigCheck.probability(attentionProbsDropoutProb, CodingKeys.attentionProbsDropoutProb.rawValue)
        if let classifierDropout {
            try ConfigCheck.probability(classifierDropout, CodingKeys.classifierDropout.rawValue)
        }
        try ConfigCheck.nonNegative(layerNormEps, CodingKeys.layerNormEps.rawValue)
        try ConfigCheck.flag(isDecoder, CodingKeys.isDecoder.rawValue, supported: false)
        try ConfigCheck.flag(addCrossAttention, CodingKeys.addCrossAttention.rawValue, supported: false)
        try ConfigCheck.tokenId(padTokenId, CodingKeys.padTokenId.rawValue)
        try ClassLabels.validate(id2label, field: CodingKeys.id2label.rawValue)
    }

    private static func defaultLabels(_ count: Int) -> ([String: String], [String: Int]) {
        let names = ClassLabels.map((0..<max(count, 0)).map { "LABEL_\($0)" })
        return (names, ClassLabels.inverse(names))
    }
}
