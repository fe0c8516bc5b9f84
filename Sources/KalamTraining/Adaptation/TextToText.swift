import Foundation
import KalamCore
import KalamModels
import KalamNN

/// T5 classifies text to text (Raffel et al. 2020): the decoder is trained to write the name of the
/// class (`labels` = the name's tokens and `</s>`), and a text is given the class whose name the model
/// finds most likely. ``T5ForConditionalGeneration/labelTargets`` holds each class's target ids, made by
/// ``TextToText/labelTargets(names:eosTokenId:encode:)``.
///
/// For the adaptation modes the decoder is the head: `frozen` trains the decoder over a frozen encoder
/// and frozen shared embeddings (so a tied LM head stays frozen too), `partial:N` also the top N encoder
/// blocks, and layer-wise decay and gradual unfreezing count encoder blocks. LoRA wraps `q` and `v` of
/// every attention, as PEFT does for T5; there is no new module to save whole.
extension T5ForConditionalGeneration: SequenceClassifier {
    public var labelNames: [String] { config.labelNames }

    /// The log-likelihood of each class's target text, `[B, classes]`: `Σ_t log p(y_t | y_<t, x)` under
    /// teacher forcing. The arg-max is the prediction and a softmax over the row is the model's belief
    /// restricted to the class names. These scores carry no gradient; training uses
    /// ``classificationLoss(inputIds:attentionMask:labels:)``.
    public func classificationLogits(inputIds: IndexTensor, attentionMask: IndexTensor) throws -> Tensor {
        let targets = try checkedTargets()
        let (b, c) = (inputIds.shape.first ?? 0, targets.count)
        let length = targets.map(\.count).max() ?? 1
        var scores = [Float](repeating: 0, count: b * c)
        try Tensor.withoutGrad {
            let hidden = try encode(inputIds: inputIds, attentionMask: attentionMask).contiguous()  // [B, T, d]
            let (t, d) = (hidden.shape[1], hidden.shape[2])
            // Row i·c + k pairs text i with class k: the encoder states and mask repeated once per class.
            let states = hidden.scalars
            var repeated = [Float]()
            repeated.reserveCapacity(b * c * t * d)
            var mask = [Int32]()
            mask.reserveCapacity(b * c * t)
            var labels = [Int32]()
            labels.reserveCapacity(b * c * length)
            for i in 0..<b {
                for k in 0..<c {
                    repeated.append(contentsOf: states[(i * t * d)..<((i + 1) * t * d)])
                    mask.append(contentsOf: attentionMask.values[(i * t)..<((i + 1) * t)])
                    labels.append(contentsOf: targets[k] + [Int32](repeating: -100, count: length - targets[k].count))
                }
            }
            let labelIds = try IndexTensor(labels, shape: [b * c, length])
            let logits = try decode(
                decoderInputIds: shiftRight(labelIds), encoderHiddenStates: Tensor(repeated, shape: [b * c, t, d]),
                attentionMask: IndexTensor(mask, shape: [b * c, t])
            ).contiguous()  // [B·c, L, V]
            let v = logits.shape[2]
            let values = logits.scalars
            for row in 0..<(b * c) {
                var total = 0.0
                for p in 0..<length {
                    let target = labels[row * length + p]
                    guard target >= 0 else { break }
                    let base = (row * length + p) * v
                    let slice = values[base..<(base + v)]
                    let top = Double(slice.max() ?? 0)
                    let logSum = top + Foundation.log(slice.reduce(0.0) { $0 + Foundation.exp(Double($1) - top) })
                    total += Double(values[base + Int(target)]) - logSum
                }
                scores[row] = Float(total)
            }
        }
        return try Tensor(scores, shape: [b, c])
    }

    /// The cross-entropy of the decoder writing each row's class name (mean over target tokens), as
    /// transformers' `T5ForConditionalGeneration(labels=…)` computes it.
    public func classificationLoss(
        inputIds: IndexTensor, attentionMask: IndexTensor, labels: [Int32]
    ) throws
        -> Tensor
    {
        let targets = try checkedTargets()
        let length = targets.map(\.count).max() ?? 1
        var rows = [Int32]()
        rows.reserveCapacity(labels.count * length)
        for label in labels {
            guard label >= 0, Int(label) < targets.count else {
                throw FineTuningError.invalidLabelTargets(
                    reason: "class \(label) has no target text (\(targets.count) classes)")
            }
            let target = targets[Int(label)]
            rows.append(contentsOf: target + [Int32](repeating: -100, count: length - target.count))
        }
        let output = try self(
            inputIds: inputIds, attentionMask: attentionMask,
            labels: IndexTensor(rows, shape: [labels.count, length]))
        guard let loss = output.loss else { throw FineTuningError.invalidLabelTargets(reason: "no loss") }
        return loss
    }

    /// The targets, checked to be one per class.
    func checkedTargets() throws -> [[Int32]] {
        guard !labelTargets.isEmpty, labelTargets.count == labelNames.count else {
            throw FineTuningError.invalidLabelTargets(
                reason: "\(labelTargets.count) target texts for \(labelNames.count) classes "
                    + "(set labelTargets from the class names with TextToText.labelTargets)")
        }
        return labelTargets
    }

    /// The encoder blocks (the decoder is the head).
    public var layerCount: Int { config.numLayers }

    public func layerPrefix(_ i: Int) -> String { "encoder.block.\(i)." }

    /// The decoder, and an untied LM head.
    public var headPrefixes: [String] { ["decoder.", "lm_head."] }

    /// Text-to-text adds no module.
    public var peftModulesToSave: [String] { [] }

    /// After every attention's output projection and every feed-forward output.
    public var adapterSites: [String] {
        let encoder = (0..<config.numLayers).flatMap {
            ["encoder.block.\($0).layer.0.SelfAttention.o", "encoder.block.\($0).layer.1.DenseReluDense.wo"]
        }
        let decoder = (0..<config.decoderLayers).flatMap {
            [
                "decoder.block.\($0).layer.0.SelfAttention.o", "decoder.block.\($0).layer.1.EncDecAttention.o",
                "decoder.block.\($0).layer.2.DenseReluDense.wo",
            ]
        }
        return encoder + decoder
    }

    /// PEFT's defaults for T5: `q` and `v`.
    public var defaultLoRATargets: [String] { ["q", "v"] }
}

/// Target texts for text-to-text classification.
public enum TextToText {
    /// Each name's ids by `encode` (without special tokens) with `eosTokenId` appended.
    /// - Throws: ``FineTuningError/invalidLabelTargets(reason:)`` when a name gives no tokens or two
    ///   names give the same ids (the model could not tell them apart).
    public static func labelTargets(
        names: [String], eosTokenId: Int32, encode: (String) -> [Int32]
    ) throws
        -> [[Int32]]
    {
        var seen: [[Int32]: String] = [:]
        return try names.map { name in
            let ids = encode(name)
            guard !ids.isEmpty else {
                throw FineTuningError.invalidLabelTargets(reason: "'\(name)' gives no tokens")
            }
            let target = ids + [eosTokenId]
            if let other = seen[target] {
                throw FineTuningError.invalidLabelTargets(
                    reason: "'\(other)' and '\(name)' give the same tokens \(ids)")
            }
            seen[target] = name
            return target
        }
    }
}
