import Foundation
import KalamCore
import KalamModels
import KalamNN

/// A model with a task head, described well enough for every adaptation mode: where its layers are,
/// which keys are the task head, what PEFT saves whole, where adapters go.
public protocol AdaptableModel: TrainableModel {
    /// The class names, by class index (`id2label` of the configuration).
    var labelNames: [String] { get }
    /// The number of transformer layers.
    var layerCount: Int { get }
    /// The key prefix of layer `i` (`bert.encoder.layer.3.`).
    func layerPrefix(_ i: Int) -> String
    /// Key prefixes of the task head, trained in every mode (`bert.pooler.`, `classifier.`).
    var headPrefixes: [String] { get }
    /// The modules PEFT saves whole next to a LoRA adapter (`modules_to_save`; `classifier`).
    var peftModulesToSave: [String] { get }
    /// The linear layers a bottleneck adapter follows (each layer's attention output and feed-forward
    /// output projections).
    var adapterSites: [String] { get }
    /// The module names LoRA wraps by default, as PEFT's defaults for the family (`query`, `value`).
    var defaultLoRATargets: [String] { get }
}

extension AdaptableModel {
    /// BERT-style attention: `query` and `value`.
    public var defaultLoRATargets: [String] { ["query", "value"] }
}

/// A model that reads token ids and gives one row of class logits per sequence.
/// BERT's `BertForSequenceClassification` conforms; other families conform the same way.
public protocol SequenceClassifier: AdaptableModel {
    /// Logits `[B, classes]` for right-padded ids `[B, T]` with their attention mask `[B, T]`.
    func classificationLogits(inputIds: IndexTensor, attentionMask: IndexTensor) throws -> Tensor
    /// The training loss for a batch with one class per row. By default the cross-entropy of
    /// ``classificationLogits(inputIds:attentionMask:)``; a text-to-text model trains on its target texts.
    func classificationLoss(inputIds: IndexTensor, attentionMask: IndexTensor, labels: [Int32]) throws -> Tensor
}

extension SequenceClassifier {
    public func classificationLoss(
        inputIds: IndexTensor, attentionMask: IndexTensor, labels: [Int32]
    ) throws
        -> Tensor
    {
        try crossEntropy(
            logits: classificationLogits(inputIds: inputIds, attentionMask: attentionMask),
            targets: IndexTensor(labels, shape: [labels.count]))
    }
}

/// A model that gives class logits for every token (part-of-speech tagging, NER).
public protocol TokenClassifier: AdaptableModel {
    /// Logits `[B, T, classes]` for right-padded ids `[B, T]` with their attention mask `[B, T]`.
    func tokenLogits(inputIds: IndexTensor, attentionMask: IndexTensor) throws -> Tensor
}

extension BertForTokenClassification: TokenClassifier {
    public var labelNames: [String] { config.labelNames }

    public func tokenLogits(inputIds: IndexTensor, attentionMask: IndexTensor) throws -> Tensor {
        try self(inputIds: inputIds, attentionMask: attentionMask).logits
    }

    public var layerCount: Int { config.numHiddenLayers }

    public func layerPrefix(_ i: Int) -> String { "bert.encoder.layer.\(i)." }

    public var headPrefixes: [String] { ["classifier."] }

    public var peftModulesToSave: [String] { ["classifier"] }

    public var adapterSites: [String] { BertConfig.adapterSites(layers: config.numHiddenLayers) }
}

extension BertForSequenceClassification: SequenceClassifier {
    public var labelNames: [String] { config.labelNames }

    public func classificationLogits(inputIds: IndexTensor, attentionMask: IndexTensor) throws -> Tensor {
        try self(inputIds: inputIds, attentionMask: attentionMask).logits
    }

    public var layerCount: Int { config.numHiddenLayers }

    public func layerPrefix(_ i: Int) -> String { "bert.encoder.layer.\(i)." }

    public var headPrefixes: [String] { ["bert.pooler.", "classifier."] }

    public var peftModulesToSave: [String] { ["classifier"] }

    public var adapterSites: [String] { BertConfig.adapterSites(layers: config.numHiddenLayers) }
}

extension BertConfig {
    /// The attention-output and feed-forward-output projections of every layer of a BERT-style encoder
    /// under `prefix` (`bert.`, `electra.`), where Houlsby adapters go.
    static func adapterSites(prefix: String = "bert.", layers: Int) -> [String] {
        (0..<layers).flatMap {
            ["\(prefix)encoder.layer.\($0).attention.output.dense", "\(prefix)encoder.layer.\($0).output.dense"]
        }
    }
}

extension GPT2ForSequenceClassification: TrainableModel {}

extension GPT2ForSequenceClassification: SequenceClassifier {
    public var labelNames: [String] { config.labelNames }

    public func classificationLogits(inputIds: IndexTensor, attentionMask: IndexTensor) throws -> Tensor {
        try self(inputIds: inputIds, attentionMask: attentionMask).logits
    }

    public var layerCount: Int { config.nLayer }

    public func layerPrefix(_ i: Int) -> String { "transformer.h.\(i)." }

    /// `score.`: GPT-2 has no pooler.
    public var headPrefixes: [String] { ["score."] }

    /// PEFT's `modules_to_save` for GPT-2 sequence classification.
    public var peftModulesToSave: [String] { ["score"] }

    /// PEFT's default for GPT-2: the fused query-key-value projection `c_attn` (a `Conv1D`).
    public var defaultLoRATargets: [String] { ["c_attn"] }

    /// After each block's attention projection and MLP projection (`attn.c_proj`, `mlp.c_proj` are
    /// `Conv1D`, which adapters do not wrap yet): none.
    public var adapterSites: [String] { [] }
}

extension ElectraForSequenceClassification: TrainableModel {}

extension ElectraForSequenceClassification: SequenceClassifier {
    public var labelNames: [String] { config.labelNames }

    public func classificationLogits(inputIds: IndexTensor, attentionMask: IndexTensor) throws -> Tensor {
        try self(inputIds: inputIds, attentionMask: attentionMask).logits
    }

    public var layerCount: Int { config.numHiddenLayers }

    public func layerPrefix(_ i: Int) -> String { "electra.encoder.layer.\(i)." }

    public var headPrefixes: [String] { ["classifier."] }

    public var peftModulesToSave: [String] { ["classifier"] }

    public var adapterSites: [String] {
        BertConfig.adapterSites(prefix: "electra.", layers: config.numHiddenLayers)
    }
}

/// A GPT-2 language model takes LoRA as a classifier does (a LoRA per task in continual learning). Its
/// output layer is tied to the token embeddings, so it has no head of its own to train.
extension GPT2LMHeadModel: AdaptableModel {
    public var labelNames: [String] { [] }
    public var layerCount: Int { config.nLayer }
    public func layerPrefix(_ i: Int) -> String { "transformer.h.\(i)." }
    public var headPrefixes: [String] { [] }
    public var peftModulesToSave: [String] { [] }
    /// None: the projections after attention and the MLP are `Conv1D`, which adapters do not wrap yet.
    public var adapterSites: [String] { [] }
    /// PEFT's default for GPT-2: the fused query-key-value projection `c_attn`.
    public var defaultLoRATargets: [String] { ["c_attn"] }
}
