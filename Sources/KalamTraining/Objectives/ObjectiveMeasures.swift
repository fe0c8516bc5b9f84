import Foundation
import KalamCore
import KalamModels

/// Each objective's own measure on held-out data, under a fixed, seeded masking (the generator
/// ``Trainer/evaluate(model:objective:batches:seed:)`` uses), so two evaluations of one model agree.
public enum ObjectiveMeasures {
    /// Masked-token loss and accuracy, and the accuracy of always guessing the most frequent token.
    public struct MaskedLM: Sendable, Equatable {
        /// Mean cross-entropy over the targets.
        public var loss: Double
        /// The share of targets whose arg-max prediction is the original token.
        public var accuracy: Double
        /// The share of targets equal to `mostFrequentToken`.
        public var baselineAccuracy: Double
        /// The number of targets.
        public var targets: Int
    }

    /// The most frequent eligible token of `blocks` (word index ≥ 0), by count, lowest id on a tie.
    public static func mostFrequentToken(_ blocks: AnnotatedBlocks) -> Int32 {
        var counts: [Int32: Int] = [:]
        for i in blocks.words.indices where blocks.words[i] >= 0 { counts[blocks.blocks.tokens[i], default: 0] += 1 }
        return counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key ?? 0
    }

    /// ``MaskedLM`` of `objective` over `batches`; `mostFrequent` is the baseline's guess.
    public static func maskedLM(
        objective: MaskedLMObjective, batches: [Batch], mostFrequent: Int32, seed: UInt64 = 0
    ) throws -> MaskedLM {
        let model = objective.model
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        var rng = KalamRandom(seed: seed).fork(stream: 11)
        var loss = 0.0, correct = 0, baseline = 0, targets = 0
        try Tensor.withoutGrad {
            for batch in batches {
                let (inputs, labels) = try objective.mask(batch, rng: &rng)
                let count = labels.reduce(0) { $0 + ($1 == Batch.ignoreIndex ? 0 : 1) }
                guard count > 0 else { continue }
                let shape = [batch.batchSize, batch.contextLength]
                let attention = (0..<batch.batchSize).flatMap { row in
                    (0..<batch.contextLength).map { Int32($0 < Int(batch.lengths[row]) ? 1 : 0) }
                }
                let out = try model(
                    inputIds: IndexTensor(inputs, shape: shape), attentionMask: IndexTensor(attention, shape: shape),
                    labels: IndexTensor(labels, shape: shape))
                loss += Double(try out.loss!.item()) * Double(count)
                targets += count
                let v = model.config.vocabSize
                let scalars = out.logits.scalars  // [B, T, V]
                for i in labels.indices where labels[i] != Batch.ignoreIndex {
                    let row = scalars[(i * v)..<((i + 1) * v)]
                    let best = row.indices.max { row[$0] < row[$1] }! - i * v
                    if best == Int(labels[i]) { correct += 1 }
                    if labels[i] == mostFrequent { baseline += 1 }
                }
            }
        }
        let n = Double(max(targets, 1))
        return MaskedLM(
            loss: loss / n, accuracy: Double(correct) / n, baselineAccuracy: Double(baseline) / n, targets: targets)
    }

    /// The span-corruption loss of `objective` over `batches`, and that of a unigram model of the
    /// targets (add-one smoothing over the vocabulary) counted on `training` batches corrupted the same way.
    public static func spanCorruption(
        objective: SpanCorruptionObjective, batches: [Batch], training: [Batch], seed: UInt64 = 0
    ) throws -> (loss: Double, unigramLoss: Double) {
        let loss = try Trainer.evaluate(model: objective.model, objective: objective, batches: batches, seed: seed)
        let v = objective.model.config.vocabSize
        func targets(_ batches: [Batch]) throws -> [Int32] {
            var rng = KalamRandom(seed: seed).fork(stream: 11)
            var all: [Int32] = []
            for batch in batches {
                let labels = try objective.corruption.batch(batch, padId: 0, rng: &rng).labels
                all += labels.values.filter { $0 != Batch.ignoreIndex }
            }
            return all
        }
        var counts = [Int](repeating: 0, count: v)
        let train = try targets(training)
        for t in train where Int(t) < v { counts[Int(t)] += 1 }
        let denominator = Double(train.count + v)
        let held = try targets(batches)
        let unigram = held.reduce(0.0) { $0 - Foundation.log(Double(counts[Int($1)] + 1) / denominator) }
        return (Double(loss), unigram / Double(max(held.count, 1)))
    }
}
