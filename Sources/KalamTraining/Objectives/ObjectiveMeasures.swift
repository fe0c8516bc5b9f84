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
                let attention = batch.attentionMask
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

    /// The discriminator's replaced-token detection on randomly replaced tokens: each eligible token
    /// replaced by a random non-special token with probability `rate` (drawn from `seed`), then the
    /// area under the ROC curve of its logits (replaced vs. kept) and its accuracy at probability ½.
    ///
    /// - Parameter replacementWeights: how the replacements are drawn: `nil` uniformly over the
    ///   non-special vocabulary; otherwise in proportion to these per-token weights (e.g. the training
    ///   data's unigram counts, so replacements are as frequent as real tokens are: a discriminator
    ///   trained on a generator's plausible samples cannot then tell them apart by rarity alone).
    public static func replacedTokenDetection(
        discriminator: ElectraForPreTraining, batches: [Batch], specialTokenIds: Set<Int32>, rate: Double = 0.15,
        seed: UInt64 = 0, replacementWeights: [Double]? = nil
    ) throws -> (auc: Double, accuracy: Double, replaced: Int, tokens: Int) {
        let v = discriminator.config.vocabSize
        let replacer = try TokenMasker(
            strategy: .random(exactCount: false), rate: rate, split: ReplacementSplit(mask: 0, random: 1),
            maskTokenId: 0, vocabularySize: v, specialTokenIds: specialTokenIds)
        var cumulative: [Double] = []
        if let weights = replacementWeights {
            guard weights.count == v else {
                throw TrainingError.invalidOption(
                    name: "replacement weights", value: "\(weights.count)", reason: "need one per token (\(v))")
            }
            var total = 0.0
            cumulative = weights.enumerated().map { i, w in
                total += specialTokenIds.contains(Int32(i)) || !(w > 0) ? 0 : w
                return total
            }
            guard total > 0 else {
                throw TrainingError.invalidOption(
                    name: "replacement weights", value: "0", reason: "no token has a positive weight")
            }
        }
        /// A token drawn in proportion to the weights (binary search of the cumulative sums).
        func drawWeighted(_ rng: inout KalamRandom) -> Int32 {
            let u = rng.nextDouble() * cumulative[cumulative.count - 1]
            var (lo, hi) = (0, cumulative.count - 1)
            while lo < hi {
                let mid = (lo + hi) / 2
                if cumulative[mid] > u { hi = mid } else { lo = mid + 1 }
            }
            return Int32(lo)
        }
        let wasTraining = discriminator.isTraining
        discriminator.eval()
        defer { discriminator.train(wasTraining) }
        var rng = KalamRandom(seed: seed).fork(stream: 11)
        var scored: [(logit: Float, replaced: Bool)] = []
        try Tensor.withoutGrad {
            for batch in batches {
                var inputs: [Int32] = [], eligible: [Bool] = []
                for row in 0..<batch.batchSize {
                    let sequence = batch.maskableRow(row, specialTokenIds: specialTokenIds)
                    if cumulative.isEmpty {
                        inputs += try replacer.mask(sequence, rng: &rng).inputs
                    } else {
                        for (id, word) in zip(sequence.ids, sequence.words) {
                            inputs.append(word >= 0 && rng.nextDouble() < rate ? drawWeighted(&rng) : id)
                        }
                    }
                    eligible += sequence.words.map { $0 >= 0 }
                }
                let shape = [batch.batchSize, batch.contextLength]
                let attention = batch.attentionMask
                let logits = try discriminator(
                    inputIds: IndexTensor(inputs, shape: shape), attentionMask: IndexTensor(attention, shape: shape)
                ).logits.scalars  // [B, T]
                for i in inputs.indices where eligible[i] {
                    scored.append((logits[i], inputs[i] != batch.inputs[i]))
                }
            }
        }
        let auc = rocAUC(scored)
        let positives = scored.filter(\.replaced).count
        let correct = scored.filter { ($0.logit > 0) == $0.replaced }.count
        return (auc, Double(correct) / Double(max(scored.count, 1)), positives, scored.count)
    }

    /// Replaced-token detection on the generator's own samples, the task the discriminator trains on.
    public struct GeneratorReplacements: Sendable, Equatable {
        /// The discriminator's mean binary cross-entropy over the tokens it reads (the training loss).
        public var loss: Double
        /// The loss of the best constant guess, the replaced share p: −p·log p − (1−p)·log(1−p). A
        /// discriminator that has learned nothing beyond how many tokens are replaced scores this.
        public var priorLoss: Double
        /// The share of the tokens read that the generator replaced (a sample equal to the original
        /// is not a replacement).
        public var replacedShare: Double
        /// The area under the ROC curve of its logits (replaced vs. not), over the tokens read.
        public var auc: Double
        /// The tokens read (attention mask 1, special tokens included, as in training).
        public var tokens: Int
    }

    /// ``GeneratorReplacements`` of `objective`'s discriminator on `batches` corrupted by its generator
    /// (masking and samples drawn from `seed`), with both models in evaluation mode.
    public static func generatorReplacements(
        objective: ReplacedTokenDetectionObjective, batches: [Batch], seed: UInt64 = 0
    ) throws -> GeneratorReplacements {
        let model = objective.model
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        var rng = KalamRandom(seed: seed).fork(stream: 11)
        var scored: [(logit: Float, replaced: Bool)] = []
        var loss = 0.0
        try Tensor.withoutGrad {
            for batch in batches {
                let c = try objective.corrupt(batch, rng: &rng)
                let shape = [batch.batchSize, batch.contextLength]
                let attention = batch.attentionMask
                let out = try model.discriminator(
                    inputIds: IndexTensor(c.inputs, shape: shape), attentionMask: IndexTensor(attention, shape: shape),
                    labels: IndexTensor(c.isReplaced, shape: shape))
                let logits = out.logits.scalars  // [B, T]
                let before = scored.count
                for i in logits.indices where attention[i] == 1 { scored.append((logits[i], c.isReplaced[i] == 1)) }
                // The model's loss is the mean over the tokens it reads: weight it by their count.
                loss += Double(try out.loss!.item()) * Double(scored.count - before)
            }
        }
        let n = Double(max(scored.count, 1))
        let p = Double(scored.filter(\.replaced).count) / n
        let prior = p > 0 && p < 1 ? -(p * Foundation.log(p) + (1 - p) * Foundation.log(1 - p)) : 0
        return GeneratorReplacements(
            loss: loss / n, priorLoss: prior, replacedShare: p, auc: rocAUC(scored), tokens: scored.count)
    }

    /// The area under the ROC curve of scores for `replaced` vs. not, by ranks (Mann-Whitney), ties
    /// sharing their mean rank; NaN without both kinds.
    static func rocAUC(_ scored: [(logit: Float, replaced: Bool)]) -> Double {
        let order = scored.indices.sorted { scored[$0].logit < scored[$1].logit }
        var ranks = [Double](repeating: 0, count: scored.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scored[order[j + 1]].logit == scored[order[i]].logit { j += 1 }
            for k in i...j { ranks[order[k]] = Double(i + j) / 2 + 1 }
            i = j + 1
        }
        let positives = scored.filter(\.replaced).count, negatives = scored.count - positives
        let rankSum = scored.indices.filter { scored[$0].replaced }.reduce(0.0) { $0 + ranks[$1] }
        return positives == 0 || negatives == 0
            ? .nan : (rankSum - Double(positives * (positives + 1)) / 2) / Double(positives * negatives)
    }
}
