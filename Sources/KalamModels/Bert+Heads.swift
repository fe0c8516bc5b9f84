import Foundation
import KalamCore
import KalamNN

// The BERT task heads, in transformers' order: BertPredictionHeadTransform, BertLMPredictionHead,
// BertOnlyMLMHead, BertForMaskedLM, BertForSequenceClassification, BertForTokenClassification. Each
// keeps the encoder under `bert.` as transformers does.

/// `BertPredictionHeadTransform`: `LayerNorm(act(dense(x)))`.
public final class BertPredictionHeadTransform: Module {
    /// `[C, C]`.
    @Child(key: "dense") public var dense: Linear
    @Child(key: "LayerNorm") var layerNorm: LayerNorm
    let activation: Activation

    init(config c: BertConfig, rng: inout KalamRandom) {
        activation = c.hiddenAct
        super.init()
        _dense.wrappedValue = Linear(
            c.hiddenSize, c.hiddenSize, initializer: .normal(std: Float(c.initializerRange)), rng: &rng)
        _layerNorm.wrappedValue = LayerNorm(c.hiddenSize, eps: Float(c.layerNormEps))
    }

    /// `[B, T, C]` → `[B, T, C]`.
    func callAsFunction(_ x: Tensor) throws -> Tensor { try layerNorm(activation.apply(dense(x))) }
}

/// `BertLMPredictionHead` (under `cls.predictions`): the transform, then the decoder tied to the word
/// embeddings with its own bias `cls.predictions.bias` (listed first, as transformers lists it).
public final class BertLMPredictionHead: Module {
    /// `[V]`.
    @Parameter public var bias: Tensor
    /// The transform before the decoder.
    @Child(key: "transform") public var transform: BertPredictionHeadTransform

    init(config c: BertConfig, rng: inout KalamRandom) {
        bias = Tensor.zeros([c.vocabSize])
        super.init()
        _transform.wrappedValue = BertPredictionHeadTransform(config: c, rng: &rng)
    }

    /// `[B, T, C]` → `[B, T, V]` with the decoder `weight` `[V, C]`.
    func callAsFunction(_ hidden: Tensor, decoder weight: Tensor) throws -> Tensor {
        try linear(transform(hidden), weight: weight, bias: bias)
    }
}

/// `BertOnlyMLMHead` (key `cls`): the prediction head under `predictions`.
public final class BertOnlyMLMHead: Module {
    /// The prediction head.
    @Child(key: "predictions") public var predictions: BertLMPredictionHead

    init(config c: BertConfig, rng: inout KalamRandom) {
        super.init()
        _predictions.wrappedValue = BertLMPredictionHead(config: c, rng: &rng)
    }
}

/// `BertForMaskedLM`: the encoder (no pooler) and `cls.predictions`, whose decoder is tied to
/// `bert.embeddings.word_embeddings.weight`; the loss is cross-entropy over labels that are not `-100`.
public final class BertForMaskedLM: Module, PretrainedModel {
    /// `"BertForMaskedLM"`.
    public static let architecture = "BertForMaskedLM"
    /// `"bert."`.
    public static let basePrefix = "bert."

    /// The configuration.
    public let config: BertConfig
    /// The generator every dropout of the model draws from.
    public let randomSource: RandomSource
    /// The encoder.
    @Child(key: "bert") public var bert: BertModel
    /// The masked-LM head.
    @Child(key: "cls") public var cls: BertOnlyMLMHead

    /// The decoder's weight and bias are the word embeddings and `cls.predictions.bias`.
    public override var tiedKeyAliases: [String: String] {
        [
            "cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
            "cls.predictions.decoder.bias": "cls.predictions.bias",
        ]
    }
    /// `cls.predictions.*`, which a `BertModel` checkpoint lacks.
    public var headKeys: Set<String> { Set(namedParameters().map(\.key).filter { $0.hasPrefix("cls.") }) }

    /// A model initialised as transformers does, drawn from `seed`, in evaluation mode.
    public init(config: BertConfig, seed: UInt64) throws {
        try config.validate()
        self.config = config
        var rng = KalamRandom(seed: seed)
        randomSource = RandomSource(seed: 0)
        super.init()
        _bert.wrappedValue = BertModel(config: config, pooler: false, source: randomSource, rng: &rng)
        _cls.wrappedValue = BertOnlyMLMHead(config: config, rng: &rng)
        randomSource.generator = rng.fork(stream: 1)
        eval()
    }

    /// Logits `[B, T, V]`; with `labels` `[B, T]` (`-100` where nothing is predicted) also the MLM loss.
    public func callAsFunction(
        inputIds: IndexTensor, attentionMask: IndexTensor? = nil, tokenTypeIds: IndexTensor? = nil,
        labels: IndexTensor? = nil
    ) throws -> ModelOutput {
        let hidden = try bert(inputIds: inputIds, attentionMask: attentionMask, tokenTypeIds: tokenTypeIds)
            .lastHiddenState  // [B, T, C]
        let logits = try cls.predictions(hidden, decoder: bert.embeddings.wordEmbeddings.weight)  // [B, T, V]
        guard let labels else { return ModelOutput(logits: logits, loss: nil) }
        try ModelInput.checkLabels(labels, shape: inputIds.shape, classes: config.vocabSize)
        return ModelOutput(logits: logits, loss: try crossEntropy(logits: logits, targets: labels))
    }
}

/// `BertForSequenceClassification`: the pooled `[CLS]` state, dropout, and `classifier` (`num_labels`
/// outputs). The loss is cross-entropy, or mean squared error when `problem_type` is `regression` (or
/// unset with one label), as transformers chooses.
public final class BertForSequenceClassification: Module, PretrainedModel {
    /// `"BertForSequenceClassification"`.
    public static let architecture = "BertForSequenceClassification"
    /// `"bert."`.
    public static let basePrefix = "bert."

    /// The configuration.
    public let config: BertConfig
    /// The generator every dropout of the model draws from.
    public let randomSource: RandomSource
    /// `classifier.weight`, `classifier.bias`, and the pooler's `bert.pooler.dense.*`, which a
    /// checkpoint of a masked-LM model lacks (transformers initialises them afresh then, too).
    public var headKeys: Set<String> {
        ["classifier.weight", "classifier.bias", "bert.pooler.dense.weight", "bert.pooler.dense.bias"]
    }

    /// The encoder, with its pooler.
    @Child(key: "bert") public var bert: BertModel
    @Child(key: "dropout") var dropout: Dropout
    /// `[num_labels, C]`.
    @Child(key: "classifier") public var classifier: Linear

    /// A model initialised as transformers does, drawn from `seed`, in evaluation mode.
    public init(config: BertConfig, seed: UInt64) throws {
        try config.validate()
        self.config = config
        var rng = KalamRandom(seed: seed)
        randomSource = RandomSource(seed: 0)
        super.init()
        (_bert.wrappedValue, _dropout.wrappedValue, _classifier.wrappedValue) = BertModel.classificationParts(
            config: config, pooler: true, source: randomSource, rng: &rng)
        randomSource.generator = rng.fork(stream: 1)
        eval()
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
        let pooled = try bert(inputIds: ids, attentionMask: mask, tokenTypeIds: types).poolerOutput!
        return try classifier(dropout(pooled))  // [B, num_labels]
    }
}

/// `BertForTokenClassification`: the encoder (no pooler), dropout, and `classifier` per token; the loss is
/// cross-entropy over labels that are not `-100`.
public final class BertForTokenClassification: Module, PretrainedModel {
    /// `"BertForTokenClassification"`.
    public static let architecture = "BertForTokenClassification"
    /// `"bert."`.
    public static let basePrefix = "bert."

    /// The configuration.
    public let config: BertConfig
    /// The generator every dropout of the model draws from.
    public let randomSource: RandomSource
    /// `classifier.weight`, `classifier.bias`.
    public var headKeys: Set<String> { ["classifier.weight", "classifier.bias"] }

    /// The encoder, without the pooler.
    @Child(key: "bert") public var bert: BertModel
    @Child(key: "dropout") var dropout: Dropout
    /// `[num_labels, C]`.
    @Child(key: "classifier") public var classifier: Linear

    /// A model initialised as transformers does, drawn from `seed`, in evaluation mode.
    public init(config: BertConfig, seed: UInt64) throws {
        try config.validate()
        self.config = config
        var rng = KalamRandom(seed: seed)
        randomSource = RandomSource(seed: 0)
        super.init()
        (_bert.wrappedValue, _dropout.wrappedValue, _classifier.wrappedValue) = BertModel.classificationParts(
            config: config, pooler: false, source: randomSource, rng: &rng)
        randomSource.generator = rng.fork(stream: 1)
        eval()
    }

    /// Logits `[B, T, num_labels]`; with `labels` `[B, T]` (`-100` on padding) also the loss.
    public func callAsFunction(
        inputIds: IndexTensor, attentionMask: IndexTensor? = nil, tokenTypeIds: IndexTensor? = nil,
        labels: IndexTensor? = nil
    ) throws -> ModelOutput {
        let hidden = try bert(inputIds: inputIds, attentionMask: attentionMask, tokenTypeIds: tokenTypeIds)
            .lastHiddenState  // [B, T, C]
        let logits = try classifier(dropout(hidden))  // [B, T, K]
        guard let labels else { return ModelOutput(logits: logits, loss: nil) }
        try ModelInput.checkLabels(labels, shape: inputIds.shape, classes: config.numLabels)
        return ModelOutput(logits: logits, loss: try crossEntropy(logits: logits, targets: labels))
    }
}

extension BertModel {
    /// The encoder, the dropout and the `classifier` of the classification heads, drawn in
    /// transformers' order.
    static func classificationParts(
        config: BertConfig, pooler: Bool, source: RandomSource, rng: inout KalamRandom
    ) -> (BertModel, Dropout, Linear) {
        let bert = BertModel(config: config, pooler: pooler, source: source, rng: &rng)
        let dropout = Dropout(Float(config.classifierDropout ?? config.hiddenDropoutProb), source: source)
        let classifier = Linear(
            config.hiddenSize, config.numLabels, initializer: .normal(std: Float(config.initializerRange)), rng: &rng)
        return (bert, dropout, classifier)
    }
}
