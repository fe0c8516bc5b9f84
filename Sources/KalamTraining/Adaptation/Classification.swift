import Foundation
import KalamCore
import KalamNN

/// Classification batches over encoded examples, epoch after epoch in a seeded order; each batch is
/// padded to its longest row. Unlike language-model blocks, the last partial batch of an epoch is kept
/// (every example is seen once per epoch). The order depends only on the seed and the epoch, so the
/// position (epoch, batch) is all the state a checkpoint needs.
public struct ExampleBatches: BatchSource {
    /// Where the source stands, and what it belongs to.
    public struct Position: Codable, Sendable, Equatable {
        /// The epoch, from 0.
        public var epoch: Int
        /// The next batch within the epoch.
        public var batch: Int
        /// The number of examples of the source that saved it.
        public var exampleCount: Int
        /// Its batch size.
        public var batchSize: Int
        /// Its seed.
        public var seed: UInt64
    }

    /// The token ids of every example.
    public let rows: [[Int32]]
    /// One class per example (sequence classification), or empty.
    public let sequenceLabels: [Int32]
    /// One class per token (−100 where none) of every example (token classification), or nil.
    public let tokenLabels: [[Int32]]?
    /// Rows per batch.
    public let batchSize: Int
    /// The seed of the epoch orders.
    public let seed: UInt64
    /// The padding id.
    public let padTokenId: Int32
    /// Batches per epoch (the last may be partial).
    public var batchesPerEpoch: Int { (rows.count + batchSize - 1) / batchSize }

    private var epoch = 0
    private var batch = 0
    private var order: [Int]

    /// A source of sequence-classification batches at epoch 0, batch 0.
    /// - Throws: ``FineTuningError/noExamples(source:)`` without examples,
    ///   ``TrainingError/invalidOption(name:value:reason:)`` for a batch size below 1.
    public init(examples: [ClassificationExample], batchSize: Int, seed: UInt64, padTokenId: Int32) throws {
        try self.init(
            rows: examples.map(\.ids), sequenceLabels: examples.map(\.label), tokenLabels: nil, batchSize: batchSize,
            seed: seed, padTokenId: padTokenId)
    }

    /// A source of token-classification batches at epoch 0, batch 0.
    public init(tokenExamples: [TokenClassificationExample], batchSize: Int, seed: UInt64, padTokenId: Int32) throws {
        try self.init(
            rows: tokenExamples.map(\.ids), sequenceLabels: [], tokenLabels: tokenExamples.map(\.labels),
            batchSize: batchSize, seed: seed, padTokenId: padTokenId)
    }

    init(
        rows: [[Int32]], sequenceLabels: [Int32], tokenLabels: [[Int32]]?, batchSize: Int, seed: UInt64,
        padTokenId: Int32
    ) throws {
        guard !rows.isEmpty else { throw FineTuningError.noExamples(source: "the training set") }
        guard batchSize >= 1 else {
            throw TrainingError.invalidOption(name: "batch size", value: "\(batchSize)", reason: "must be at least 1")
        }
        self.rows = rows
        self.sequenceLabels = sequenceLabels
        self.tokenLabels = tokenLabels
        self.batchSize = batchSize
        self.seed = seed
        self.padTokenId = padTokenId
        order = Self.order(epoch: 0, count: rows.count, seed: seed)
    }

    /// The batch of the rows at `indices`.
    func makeBatch(_ indices: [Int]) -> Batch {
        if let tokenLabels {
            return Batch(
                rows: indices.map { rows[$0] }, tokenLabels: indices.map { tokenLabels[$0] }, padTokenId: padTokenId,
                indices: indices)
        }
        return Batch(
            rows: indices.map { rows[$0] }, labels: indices.map { sequenceLabels[$0] }, padTokenId: padTokenId,
            indices: indices)
    }

    public mutating func nextBatch() throws -> Batch {
        let start = batch * batchSize
        let result = makeBatch(Array(order[start..<min(start + batchSize, rows.count)]))
        batch += 1
        if batch == batchesPerEpoch {
            batch = 0
            epoch += 1
            order = Self.order(epoch: epoch, count: rows.count, seed: seed)
        }
        return result
    }

    /// Every batch in example order (for evaluation).
    public func sequentialBatches() -> [Batch] {
        stride(from: 0, to: rows.count, by: batchSize).map { makeBatch(Array($0..<min($0 + batchSize, rows.count))) }
    }

    /// The position of the next batch.
    public var position: Position {
        Position(epoch: epoch, batch: batch, exampleCount: rows.count, batchSize: batchSize, seed: seed)
    }

    public func checkpointPosition() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(position)
    }

    public mutating func restore(checkpointPosition data: Data) throws {
        let saved = try JSONDecoder().decode(Position.self, from: data)
        guard saved.exampleCount == rows.count, saved.batchSize == batchSize, saved.seed == seed else {
            throw BatchingError.positionMismatch(
                reason:
                    "saved for \(saved.exampleCount) examples, batch size \(saved.batchSize), seed \(saved.seed); "
                    + "now \(rows.count), \(batchSize), \(seed)")
        }
        guard saved.epoch >= 0, saved.batch >= 0, saved.batch < batchesPerEpoch else {
            throw BatchingError.positionMismatch(reason: "epoch \(saved.epoch), batch \(saved.batch) is out of range")
        }
        epoch = saved.epoch
        batch = saved.batch
        order = Self.order(epoch: epoch, count: rows.count, seed: seed)
    }

    static func order(epoch: Int, count: Int, seed: UInt64) -> [Int] {
        var rng = KalamRandom(seed: seed).fork(stream: UInt64(epoch))
        return rng.permutation(count)
    }
}

/// Sequence classification: cross-entropy of the classifier's logits against each row's class.
public struct SequenceClassificationObjective: TrainingObjective {
    /// The model.
    public let model: SequenceClassifier

    /// An objective for `model`.
    public init(model: SequenceClassifier) { self.model = model }

    public func loss(on batch: Batch, rng: inout KalamRandom) throws -> ObjectiveLoss {
        let shape = [batch.batchSize, batch.contextLength]
        let loss = try model.classificationLoss(
            inputIds: IndexTensor(batch.inputs, shape: shape),
            attentionMask: IndexTensor(batch.attentionMask, shape: shape), labels: batch.labels)
        return ObjectiveLoss(loss, targetCount: batch.batchSize)
    }

    /// The logits `[B, classes]` of a batch.
    public func logits(_ batch: Batch) throws -> Tensor {
        let shape = [batch.batchSize, batch.contextLength]
        return try model.classificationLogits(
            inputIds: IndexTensor(batch.inputs, shape: shape),
            attentionMask: IndexTensor(batch.attentionMask, shape: shape))
    }
}

/// Accuracy, macro-F1 and the confusion matrix of a classifier on a labelled set.
public struct ClassificationMetrics: Sendable, Equatable, Codable {
    /// The share of examples whose arg-max class is their label.
    public var accuracy: Double
    /// The unweighted mean over classes of F1 (a class never predicted and never present counts 0).
    public var macroF1: Double
    /// F1 per class, in class order.
    public var f1: [Double]
    /// `confusion[label][predicted]`.
    public var confusion: [[Int]]
    /// The mean cross-entropy.
    public var loss: Double
    /// The number of examples.
    public var count: Int

    /// Metrics from predictions.
    public init(labels: [Int], predictions: [Int], classes: Int, loss: Double) {
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        for (l, p) in zip(labels, predictions) { confusion[l][p] += 1 }
        let correct = (0..<classes).reduce(0) { $0 + confusion[$1][$1] }
        f1 = (0..<classes).map { c in
            let tp = Double(confusion[c][c])
            let predicted = Double((0..<classes).reduce(0) { $0 + confusion[$1][c] })
            let actual = Double(confusion[c].reduce(0, +))
            return predicted + actual == 0 ? 0 : 2 * tp / (predicted + actual)
        }
        accuracy = labels.isEmpty ? 0 : Double(correct) / Double(labels.count)
        macroF1 = classes == 0 ? 0 : f1.reduce(0, +) / Double(classes)
        self.confusion = confusion
        self.loss = loss
        count = labels.count
    }

    /// Evaluates `model` on `examples` in evaluation mode without gradients (the model's mode is
    /// restored after).
    public static func evaluate(
        _ model: SequenceClassifier, on examples: [ClassificationExample], batchSize: Int = 32, padTokenId: Int32
    ) throws -> ClassificationMetrics {
        let (predictions, loss) = try predict(model, examples, batchSize: batchSize, padTokenId: padTokenId)
        return ClassificationMetrics(
            labels: examples.map { Int($0.label) }, predictions: predictions.map(\.predicted),
            classes: model.labelNames.count, loss: loss)
    }

    /// The predicted class and logits of every example, and the mean cross-entropy.
    public static func predict(
        _ model: SequenceClassifier, _ examples: [ClassificationExample], batchSize: Int, padTokenId: Int32
    ) throws -> (predictions: [(predicted: Int, logits: [Float])], loss: Double) {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        let objective = SequenceClassificationObjective(model: model)
        var result: [(predicted: Int, logits: [Float])] = []
        var total = 0.0
        try Tensor.withoutGrad {
            guard !examples.isEmpty else { return }
            let source = try ExampleBatches(
                examples: examples, batchSize: max(1, batchSize), seed: 0, padTokenId: padTokenId)
            for batch in source.sequentialBatches() {
                let logits = try objective.logits(batch)
                let k = logits.shape[1]
                guard k >= 1 else { throw FineTuningError.tooFewClasses(found: model.labelNames) }
                let values = logits.scalars
                for row in 0..<batch.batchSize {
                    let slice = Array(values[(row * k)..<((row + 1) * k)])
                    let (best, loss) = scoreRow(slice[...], target: Int(batch.labels[row]))
                    total += loss
                    result.append((best, slice))
                }
            }
        }
        return (result, examples.isEmpty ? .nan : total / Double(examples.count))
    }
}

/// The arg-max class of a row of logits and its cross-entropy against `target`
/// (`logsumexp(row) − row[target]`, computed stably).
func scoreRow(_ row: ArraySlice<Float>, target: Int) -> (best: Int, loss: Double) {
    var best = row.startIndex
    for c in row.indices where row[c] > row[best] { best = c }
    let top = Double(row[best])
    let logSum = top + Foundation.log(row.reduce(0.0) { $0 + Foundation.exp(Double($1) - top) })
    return (best - row.startIndex, logSum - Double(row[row.startIndex + target]))
}
