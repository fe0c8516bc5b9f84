import Foundation
import KalamCore
import KalamNN

/// `ElectraClassificationHead`: the first token's state, dropout, `dense`, GELU, dropout, `out_proj`
/// (transformers uses GELU here whatever `hidden_act` says).
public final class ElectraClassificationHead: Module {
    /// `[H, H]`.
    @Child(key: "dense") public var dense: Linear
    @Child(key: "dropout") var dropout: Dropout
    /// `[num_labels, H]`.
    @Child(key: "out_proj") public var outProj: Linear

    init(config c: ElectraConfig, source: RandomSource, rng: inout KalamRandom) {
        super.init()
        let std = Float(c.initializerRange)
        _dense.wrappedValue = Linear(c.hiddenSize, c.hiddenSize, initializer: .normal(std: std), rng: &rng)
        _dropout.wrappedValue = Dropout(Float(c.classifierDropout ?? c.hiddenDropoutProb), source: source)
        _outProj.wrappedValue = Linear(c.hiddenSize, c.numLabels, initializer: .normal(std: std), rng: &rng)
    }

    /// `[B, T, H]` → `[B, num_labels]`.
    func callAsFunction(_ hidden: Tensor) throws -> Tensor {
        let (b, t, h) = (hidden.shape[0], hidden.shape[1], hidden.shape[2])
        let first = (0..<b).map { Int32($0 * t) }
        let cls = try embedding(IndexTensor(first), weight: hidden.reshaped([b * t, h]))  // [B, H]
        return try outProj(dropout(dense(dropout(cls)).geluErf()))
    }
}

/// `ElectraForSequenceClassification`: the discriminator's encoder and the classification head on
/// the first (`[CLS]`) token; cross-entropy loss.
public final class ElectraForSequenceClassification: Module, PretrainedModel {
    /// `"ElectraForSequenceClassification"`.
    public static let architecture = "ElectraForSequenceClassification"
    /// `"electra."`.
    public static let basePrefix = "electra."

    /// The configuration.
    public let config: ElectraConfig
    /// The generator every dropout of the model draws from.
    public let randomSource: RandomSource
    /// `classifier.*`, which a pretraining checkpoint lacks.
    public var headKeys: Set<String> {
        ["classifier.dense.weight", "classifier.dense.bias", "classifier.out_proj.weight", "classifier.out_proj.bias"]
    }

    /// The encoder.
    @Child(key: "electra") public var electra: ElectraModel
    /// The head.
    @Child(key: "classifier") public var classifier: ElectraClassificationHead

    /// A model initialised as transformers does, drawn from `seed`, in evaluation mode.
    public init(config: ElectraConfig, seed: UInt64) throws {
        try config.validate()
        self.config = config
        var rng = KalamRandom(seed: seed)
        randomSource = RandomSource(seed: 0)
        super.init()
        _electra.wrappedValue = ElectraModel(config: config, source: randomSource, rng: &rng)
        _classifier.wrappedValue = ElectraClassificationHead(config: config, source: randomSource, rng: &rng)
        randomSource.generator = rng.fork(stream: 1)
        eval()
    }

    /// Logits `[B, num_labels]`; with class `labels` `[B]` also the cross-entropy.
    public func callAsFunction(
        inputIds: IndexTensor, attentionMask: IndexTensor? = nil, labels: IndexTensor? = nil
    ) throws -> ModelOutput {
        let logits = try classifier(electra(inputIds: inputIds, attentionMask: attentionMask))
        guard let labels else { return ModelOutput(logits: logits, loss: nil) }
        try ModelInput.checkLabels(labels, shape: [inputIds.shape[0]], classes: config.numLabels)
        return ModelOutput(logits: logits, loss: try crossEntropy(logits: logits, targets: labels))
    }
}
