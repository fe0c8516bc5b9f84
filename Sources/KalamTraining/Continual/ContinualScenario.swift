import Foundation
import KalamCore
import KalamModels
import KalamNN

/// One example of a continual scenario: token ids, its target in the scenario's output space (a class
/// column; −1 for language modelling, whose targets are the ids shifted by one) and the task it belongs
/// to.
public struct ContinualExample: Sendable, Equatable, Hashable {
    /// Token ids (for language modelling, a block of the context length plus one).
    public var ids: [Int32]
    /// The class column, or −1.
    public var label: Int32
    /// The task, from 0.
    public var task: Int

    /// An example.
    public init(ids: [Int32], label: Int32, task: Int) {
        self.ids = ids
        self.label = label
        self.task = task
    }
}

/// One task of a scenario: its name and its training and test examples.
public struct ContinualTask: Sendable {
    /// The name (`business-vs-entertainment`, `kjv`).
    public var name: String
    /// Training examples.
    public var train: [ContinualExample]
    /// Test examples (scored after every task).
    public var test: [ContinualExample]

    /// A task.
    public init(name: String, train: [ContinualExample], test: [ContinualExample]) {
        self.name = name
        self.train = train
        self.test = test
    }
}

/// How a scenario's model answers and how a task is scored.
public enum ContinualOutput: Sendable, Equatable {
    /// Task-incremental: every task has its own head, the columns of one output layer; a row is scored
    /// over its task's columns only (the task id chooses the head at test time).
    case taskHeads([Range<Int>])
    /// Class-incremental: one head over every class; each task brings the classes listed.
    case sharedHead(classes: Int, taskClasses: [[Int]])
    /// Language modelling over a vocabulary: next-token cross-entropy, scored as negative
    /// log-perplexity.
    case nextToken(vocabulary: Int)
}

/// The settings of a scenario's training: the same for every strategy.
public struct ContinualSettings: Sendable, Equatable {
    /// Optimizer steps per task.
    public var stepsPerTask: Int
    /// Examples per batch.
    public var batchSize: Int
    /// The peak learning rate (AdamW, warm-up then cosine within each task).
    public var learningRate: Float
    /// Warm-up steps at the start of each task.
    public var warmupSteps: Int
    /// Examples of each task that importance estimates (EWC's Fisher, MAS) are taken on.
    public var importanceExamples: Int

    /// Settings.
    public init(
        stepsPerTask: Int, batchSize: Int, learningRate: Float, warmupSteps: Int = 0, importanceExamples: Int = 64
    ) {
        self.stepsPerTask = stepsPerTask
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.warmupSteps = warmupSteps
        self.importanceExamples = importanceExamples
    }
}

/// A sequence of tasks over one model: what the runner trains through and scores after each task, and
/// what strategies ask of the model (logits, losses, its own predictions).
public final class ContinualScenario {
    /// The scenario's name (`bbc-tasks`).
    public let name: String
    /// The tasks, in training order.
    public let tasks: [ContinualTask]
    /// The model trained through the tasks.
    public let model: TrainableModel
    /// How outputs are read.
    public let output: ContinualOutput
    /// The padding id of classification rows.
    public let padTokenId: Int32
    /// Training settings.
    public var settings: ContinualSettings
    /// Rows per evaluation batch.
    public var evaluationBatchSize = 32
    /// The logits of right-padded ids `[B, T]` with their mask: `[B, K]` for classifiers, `[B, T, V]` for
    /// language models.
    let forward: (IndexTensor, IndexTensor) throws -> Tensor

    /// A scenario over `model`, whose outputs `forward` computes.
    /// - Throws: ``ContinualError/notEnoughData(task:reason:)`` when there are fewer than 3 tasks or a
    ///   task has no training or test examples.
    public init(
        name: String, tasks: [ContinualTask], model: TrainableModel, output: ContinualOutput, padTokenId: Int32,
        settings: ContinualSettings, forward: @escaping (IndexTensor, IndexTensor) throws -> Tensor
    ) throws {
        guard tasks.count >= 3 else {
            throw ContinualError.notEnoughData(
                task: name, reason: "a scenario needs at least 3 tasks, has \(tasks.count)")
        }
        for task in tasks where task.train.isEmpty || task.test.isEmpty {
            throw ContinualError.notEnoughData(
                task: task.name, reason: "has \(task.train.count) training and \(task.test.count) test examples")
        }
        self.name = name
        self.tasks = tasks
        self.model = model
        self.output = output
        self.padTokenId = padTokenId
        self.settings = settings
        self.forward = forward
    }

    /// Whether scores are negative log-perplexities (else accuracies).
    public var isLanguageModelling: Bool {
        if case .nextToken = output { return true }
        return false
    }

    // MARK: - Batches and losses

    /// The batch of `examples`: classification rows right-padded with their class columns, or language
    /// model blocks (inputs the ids but the last, targets the ids shifted by one).
    public func batch(_ examples: [ContinualExample]) -> Batch {
        let indices = Array(examples.indices)
        if isLanguageModelling {
            return Batch(
                rows: examples.map { Array($0.ids.dropLast()) },
                tokenLabels: examples.map { Array($0.ids.dropFirst()) },
                padTokenId: 0, indices: indices)
        }
        return Batch(rows: examples.map(\.ids), labels: examples.map(\.label), padTokenId: padTokenId, indices: indices)
    }

    /// The raw logits of a batch (`[B, K]` or `[B, T, V]`).
    public func logits(_ batch: Batch) throws -> Tensor {
        let shape = [batch.batchSize, batch.contextLength]
        return try forward(IndexTensor(batch.inputs, shape: shape), IndexTensor(batch.attentionMask, shape: shape))
    }

    /// The columns a row of a classification batch is scored over (its task's head, or every class).
    func columns(ofLabel label: Int32) -> Range<Int>? {
        switch output {
        case let .taskHeads(heads): return heads.first { $0.contains(Int(label)) }
        case let .sharedHead(classes, _): return 0..<classes
        case .nextToken: return nil
        }
    }

    /// The logits with every column outside each row's task head at a large negative value
    /// (task-incremental scenarios; others unchanged).
    public func taskLogits(_ logits: Tensor, batch: Batch) throws -> Tensor {
        guard case .taskHeads = output else { return logits }
        let k = logits.shape[1]
        var mask = [Float](repeating: 1, count: batch.batchSize * k)
        for row in 0..<batch.batchSize {
            guard let range = columns(ofLabel: batch.labels[row]) else { continue }
            for c in range { mask[row * k + c] = 0 }
        }
        return try logits.maskedFill(Tensor(mask, shape: [batch.batchSize, k]), value: -1e9)
    }

    /// The training loss of a batch: cross-entropy over each row's task head, over every class, or over
    /// the next tokens.
    public func loss(_ batch: Batch) throws -> Tensor {
        try loss(logits: logits(batch), batch: batch)
    }

    /// ``loss(_:)`` from logits already computed.
    public func loss(logits: Tensor, batch: Batch) throws -> Tensor {
        if isLanguageModelling {
            let targets = try IndexTensor(batch.targets, shape: [batch.batchSize, batch.contextLength])
            return try crossEntropy(logits: logits, targets: targets, ignoreIndex: Batch.ignoreIndex)
        }
        let targets = try IndexTensor(batch.labels, shape: [batch.batchSize])
        return try crossEntropy(logits: taskLogits(logits, batch: batch), targets: targets)
    }

    /// The loss against targets drawn from the model's own predictive distribution (one draw per row,
    /// or per token), the log-likelihood whose squared gradient estimates the Fisher information.
    public func ownPredictionLoss(_ batch: Batch, rng: inout KalamRandom) throws -> Tensor {
        let raw = try logits(batch)
        let logits = try taskLogits(raw, batch: batch)
        let v = logits.shape[logits.rank - 1]
        let values = logits.detached().contiguous().scalars
        var drawn = batch
        let rows = values.count / v
        var samples = [Int32](repeating: 0, count: rows)
        for r in 0..<rows {
            let row = values[(r * v)..<((r + 1) * v)]
            let top = row.max()!
            let weights = row.map { Foundation.exp(Double($0 - top)) }
            var u = Double(rng.nextDouble()) * weights.reduce(0, +)
            var pick = v - 1
            for (c, w) in weights.enumerated() {
                u -= w
                if u < 0 {
                    pick = c
                    break
                }
            }
            samples[r] = Int32(pick)
        }
        if isLanguageModelling {
            drawn.targets = zip(batch.targets, samples).map { $0 == Batch.ignoreIndex ? Batch.ignoreIndex : $1 }
        } else {
            drawn.labels = samples
        }
        return try loss(logits: raw, batch: drawn)
    }

    // MARK: - Scores

    /// The score of the model on task `task`'s test examples, in evaluation mode without gradients:
    /// accuracy over the task's columns (task-incremental) or over every class, or the negative
    /// log-perplexity per target token.
    public func score(task: Int) throws -> Double {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        let examples = tasks[task].test
        var correct = 0, total = 0.0, targets = 0
        try Tensor.withoutGrad {
            for start in stride(from: 0, to: examples.count, by: evaluationBatchSize) {
                let batch = batch(Array(examples[start..<min(start + evaluationBatchSize, examples.count)]))
                let raw = try logits(batch)
                if isLanguageModelling {
                    let n = batch.targetCount
                    total += Double(try loss(logits: raw, batch: batch).item()) * Double(n)
                    targets += n
                    continue
                }
                let k = raw.shape[1]
                let values = raw.contiguous().scalars
                for row in 0..<batch.batchSize {
                    let range = columns(ofLabel: batch.labels[row]) ?? 0..<k
                    var best = range.lowerBound
                    for c in range where values[row * k + c] > values[row * k + best] { best = c }
                    if best == Int(batch.labels[row]) { correct += 1 }
                }
            }
        }
        return isLanguageModelling ? -total / Double(max(1, targets)) : Double(correct) / Double(examples.count)
    }

    /// Column groups whose softmax a distillation (LwF) keeps while task `task` is learnt: each earlier
    /// task's head, the classes of earlier tasks, or the whole vocabulary.
    public func distillationGroups(before task: Int) -> [Range<Int>] {
        switch output {
        case let .taskHeads(heads): return Array(heads.prefix(task))
        case let .sharedHead(_, taskClasses):
            let seen = taskClasses.prefix(task).flatMap { $0 }
            guard let lo = seen.min(), let hi = seen.max(), task > 0 else { return [] }
            return [lo..<(hi + 1)]
        case let .nextToken(vocabulary): return task > 0 ? [0..<vocabulary] : []
        }
    }
}

/// A scenario's training loss as a ``TrainingObjective`` for the trainer.
struct ContinualObjective: TrainingObjective {
    let scenario: ContinualScenario

    func loss(on batch: Batch, rng: inout KalamRandom) throws -> ObjectiveLoss {
        let targets = scenario.isLanguageModelling ? batch.targetCount : batch.batchSize
        return ObjectiveLoss(try scenario.loss(batch), targetCount: targets)
    }
}
