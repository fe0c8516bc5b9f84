import Foundation
import KalamCore

// The BERT task heads, in transformers' order: BertForMaskedLM, BertForSequenceClassification,
// BertForTokenClassification. Each keeps the encoder under `bert.` as transformers does.

/// `BertForMaskedLM`: the encoder (no pooler) and `cls.predictions`, whose decoder is tied to
/// `bert.embeddings.word_embeddings.weight`; the loss is cross-entropy over labels that are not `-100`.
public final class BertForMaskedLM: PretrainedModel {
    /// `"BertForMaskedLM"`.
    public static let architecture = "BertForMaskedLM"
    /// `"bert."`.
    public static let basePrefix = "bert."

    /// The configuration.
    public let config: BertConfig
    /// The parameters under their checkpoint keys.
    public let namedParameters: [(key: String, tensor: Tensor)]
    /// Whether dropout is active (default false: evaluation).
    public var isTraining = false
    /// The generator dropout draws from.
    public var rng: KalamRandom
    /// The decoder's weight and bias are the word embeddings and `cls.predictions.bias`.
    public var tiedAliases: [String: String] {
        [
            "cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
            "cls.predictions.decoder.bias": "cls.predictions.bias",
        ]
    }
    /// `cls.predictions.*`, which a `BertModel` checkpoint lacks.
    public var headKeys: Set<String> { Set(namedParameters.map(\.key).filter { $0.hasPrefix("cls.") }) }

    let bert: BertBackbone
    let predictions: BertLMPredictionHead

    /// A model initialised as transformers does, drawn from `seed`.
    public init(config: BertConfig, seed: UInt64) throws {
        try config.validate()
        self.config = config
        let registry = ParameterRegistry(rng: KalamRandom(seed: seed))
        bert = BertBackbone(registry, prefix: "bert.", config: config, pooler: false)
        predictions = BertLMPredictionHead(registry, "cls.predictions", config: config)
        namedParameters = registry.entries
        rng = registry.rng.fork(stream: 1)
    }

    /// Logits `[B, T, V]`; with `labels` `[B, T]` (`-100` where nothing is predicted) also the MLM loss.
    public func callAsFunction(
        inputIds: IndexTensor, attentionMask: IndexTensor? = nil, tokenTypeIds: IndexTensor? = nil,
        labels: IndexTensor? = nil
    ) throws -> ModelOutput {
        let hidden = try bert(
            inputIds: inputIds, attentionMask: attentionMask, tokenTypeIds: tokenTypeIds,
            training: isTraining, rng: &rng
        ).lastHiddenState  // [B, T, C]
        let logits = try predictions(hidden, decoder: bert.embeddings.wordEmbeddings.weight)  // [B, T, V]
        guard let labels else { return ModelOutput(logits: logits, loss: nil) }
        try ModelInput.checkLabels(labels, shape: inputIds.shape, classes: config.vocabSize)
        return ModelOutput(logits: logits, loss: try crossEntropy(logits: logits, targets: labels))
    }
}

/// `BertForSequenceClassification`: the pooled `[CLS]` state, dropout, and `classifier` (`num_labels`
/// outputs). The loss is cross-entropy, or mean squared error when `problem_type` is `regression` (or
/// unset with one label), as transformers chooses.
public final class BertForSequenceClassification: PretrainedModel {
    /// `"BertForSequenceClassification"`.
    public static let architecture = "BertForSequenceClassification"
    /// `"bert."`.
    public static let basePrefix = "bert."

    /// The configuration.
    public let config: BertConfig
    /// The parameters under their checkpoint keys.
    public let namedParameters: [(key: String, tensor: Tensor)]
    /// Whether dropout is active (default false: evaluation).
    public var isTraining = false
    /// The generator dropout draws from.
    public var rng: KalamRandom
    /// No tied weights.
    public var tiedAliases: [String: String] { [:] }
    /// `classifier.weight`, `classifier.bias`.
    public var headKeys: Set<String> { ["classifier.weight", "classifier.bias"] }

    let bert: BertBackbone
    let dropout: DropoutLayer
    let classifier: DenseLayer

    /// A model initialised as transformers does, drawn from `seed`.
    public init(config: BertConfig, seed: UInt64) throws {
        try config.validate()
        self.config = config
        let registry = ParameterRegistry(rng: KalamRandom(seed: seed))
        bert = BertBackbone(registry, prefix: "bert.", config: config, pooler: true)
        dropout = DropoutLayer(config.classifierDropout ?? config.hiddenDropoutProb)
        classifier = DenseLayer(
            registry, "classifier", in: config.hiddenSize, out: config.numLabels, std: Float(config.initializerRange))
        namedParameters = registry.entries
        rng = registry.rng.fork(stream: 1)
    }

    /// Whether the loss is regression (mean squared error) rather than classification.
    var isRegression: Bool { config.problemType == .regression || (config.problemType == nil && config.numLabels == 1) }

    /// Logits `[B, num_labels]`; with class `labels` `[B]` also the loss. For regression use
    /// ``callAsFunction(inputIds:attentionMask:tokenTypeIds:targets:)``.
    public func callAsFunction(
        inputIds: IndexTensor, attentionMask: IndexTensor? = nil, tokenTypeIds: IndexTensor? = nil,
        labels: IndexTensor? = nil
    ) throws -> ModelOutput {
        let logits = try classify(inputIds, attentionMask, tokenTypeIds)
        guard let labels else { return ModelOutput(logits: logits, loss: nil) }
        if isRegression {
            throw ModelError.invalidInput(name: "labels", reason: "a regression model takes float targets")
        }
        try ModelInput.checkLabels(labels, shape: [inputIds.shape[0]], classes: config.numLabels)
        return ModelOutput(logits: logits, loss: try crossEntropy(logits: logits, targets: labels))
    }

    /// Regression: outputs `[B, num_labels]` and the mean squared error against `targets` `[B, num_labels]`.
    public func callAsFunction(
        inputIds: IndexTensor, attentionMask: IndexTensor? = nil, tokenTypeIds: IndexTensor? = nil,
        targets: Tensor
    ) throws -> ModelOutput {
        let logits = try classify(inputIds, attentionMask, tokenTypeIds)
        guard targets.shape == logits.shape else {
            throw ModelError.invalidInput(name: "labels", reason: "shape \(targets.shape), expected \(logits.shape)")
        }
        return ModelOutput(logits: logits, loss: try (logits - targets).square().mean())
    }

    private func classify(_ ids: IndexTensor, _ mask: IndexTensor?, _ types: IndexTensor?) throws -> Tensor {
        let pooled = try bert(inputIds: ids, attentionMask: mask, tokenTypeIds: types, training: isTraining, rng: &rng)
            .poolerOutput!
        return try classifier(dropout(pooled, training: isTraining, rng: &rng))  // [B, num_labels]
    }
}

/// `BertForTokenClassification`: the encoder (no pooler), dropout, and `classifier` per token; the loss is
/// cross-entropy over labels that are not `-100`.
public final class BertForTokenClassification: PretrainedModel {
    /// `"BertForTokenClassification"`.
    public static let architecture = "BertForTokenClassification"
    /// `"bert."`.
    public static let basePrefix = "bert."

    /// The configuration.
    public let config: BertConfig
    /// The parameters under their checkpoint keys.
    public let namedParameters: [(key: String, tensor: Tensor)]
    /// Whether dropout is active (default false: evaluation).
    public var isTraining = false
    /// The generator dropout draws from.
    public var rng: KalamRandom
    /// No tied weights.
    public var tiedAliases: [String: String] { [:] }
    /// `classifier.weight`, `classifier.bias`.
    public var headKeys: Set<String> { ["classifier.weight", "classifier.bias"] }

    let bert: BertBackbone
    let dropout: DropoutLayer
    let classifier: DenseLayer

    /// A model initialised as transformers does, drawn from `seed`.
    public init(config: BertConfig, seed: UInt64) throws {
        try config.validate()
        self.config = config
        let registry = ParameterRegistry(rng: KalamRandom(seed: seed))
        bert = BertBackbone(registry, prefix: "bert.", config: config, pooler: false)
        dropout = DropoutLayer(config.classifierDropout ?? config.hiddenDropoutProb)
        classifier = DenseLayer(
            registry, "classifier", in: config.hiddenSize, out: config.numLabels, std: Float(config.initializerRange))
        namedParameters = registry.entries
        rng = registry.rng.fork(stream: 1)
    }

    /// Logits `[B, T, num_labels]`; with `labels` `[B, T]` (`-100` on padding) also the loss.
    public func callAsFunction(
        inputIds: IndexTensor, attentionMask: IndexTensor? = nil, tokenTypeIds: IndexTensor? = nil,
        labels: IndexTensor? = nil
    ) throws -> ModelOutput {
        let hidden = try bert(
            inputIds: inputIds, attentionMask: attentionMask, tokenTypeIds: tokenTypeIds,
            training: isTraining, rng: &rng
        ).lastHiddenState  // [B, T, C]
        let logits = try classifier(dropout(hidden, training: isTraining, rng: &rng))  // [B, T, K]
        guard let labels else { return ModelOutput(logits: logits, loss: nil) }
        try ModelInput.checkLabels(labels, shape: inputIds.shape, classes: config.numLabels)
        return ModelOutput(logits: logits, loss: try crossEntropy(logits: logits, targets: labels))
    }
}
