import Foundation
import KalamCore
import KalamNN

/// `GPT2ForSequenceClassification`: the decoder stack and `score` (`[num_labels, C]`, no bias) applied
/// to the hidden state of each row's last real token, as transformers does (its last non-padding
/// token; here the last position the attention mask keeps, which is the same for right-padded rows).
public final class GPT2ForSequenceClassification: Module, PretrainedModel {
    /// `"GPT2ForSequenceClassification"`.
    public static let architecture = "GPT2ForSequenceClassification"
    /// `"transformer."`: a `GPT2Model` checkpoint loads too.
    public static let basePrefix = "transformer."

    /// The configuration.
    public let config: GPT2Config
    /// The generator every dropout of the model draws from.
    public let randomSource: RandomSource
    /// The decoder stack.
    @Child(key: "transformer") public var transformer: GPT2Model
    /// `[num_labels, C]`.
    @Child(key: "score") public var score: Linear

    /// `score.weight`, which a language-model checkpoint lacks (its `lm_head.weight` is unused then).
    public var headKeys: Set<String> { ["score.weight"] }

    /// A model initialised as transformers does, drawn from `seed`, in evaluation mode.
    public init(config: GPT2Config, seed: UInt64) throws {
        try config.validate()
        self.config = config
        var rng = KalamRandom(seed: seed)
        randomSource = RandomSource(seed: 0)
        super.init()
        _transformer.wrappedValue = GPT2Model(config: config, source: randomSource, rng: &rng)
        _score.wrappedValue = Linear(
            config.nEmbd, config.numLabels, bias: false, initializer: .normal(std: Float(config.initializerRange)),
            rng: &rng)
        randomSource.generator = rng.fork(stream: 1)
        eval()
    }

    /// Logits `[B, num_labels]` for right-padded `inputIds` `[B, T]` (rows' lengths from `attentionMask`,
    /// all `T` without one); with class `labels` `[B]` also the cross-entropy.
    public func callAsFunction(
        inputIds: IndexTensor, attentionMask: IndexTensor? = nil, labels: IndexTensor? = nil
    ) throws -> ModelOutput {
        let hidden = try transformer.hiddenStates(inputIds: inputIds, attentionMask: attentionMask)  // [B, T, C]
        let (b, t) = (inputIds.shape[0], inputIds.shape[1])
        let maskValues = attentionMask?.values
        let last = (0..<b).map { row -> Int in
            guard let maskValues else { return row * t + t - 1 }
            var end = 0
            for k in 0..<t where maskValues[row * t + k] != 0 { end = k }
            return row * t + end
        }
        // A gather that backpropagates: the rows of the [B·T, C] states as an embedding table.
        let pooled = try embedding(
            IndexTensor(last.map { Int32($0) }), weight: hidden.reshaped([b * t, config.nEmbd]))  // [B, C]
        let logits = try score(pooled)  // [B, num_labels]
        guard let labels else { return ModelOutput(logits: logits, loss: nil) }
        try ModelInput.checkLabels(labels, shape: [b], classes: config.numLabels)
        return ModelOutput(logits: logits, loss: try crossEntropy(logits: logits, targets: labels))
    }
}
