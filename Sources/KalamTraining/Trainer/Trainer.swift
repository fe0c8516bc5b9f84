import Foundation
import KalamCore
import KalamNN

/// Why a run ended.
public enum StopReason: String, Codable, Sendable {
    /// All configured steps were taken.
    case completed
    /// The validation loss stopped improving.
    case earlyStopped = "early_stopped"
    /// SIGINT (or ``InterruptFlag/set()``) asked the run to stop.
    case interrupted
    /// `run(stopAfter:)` reached its step.
    case stoppedAt = "stopped_at"
}

/// What a run returns.
public struct TrainingResult: Sendable {
    /// Steps taken in total (including those before a resume).
    public var step: Int
    /// Why it ended.
    public var stopReason: StopReason
    /// The training loss of every step, from step 1 (the part before a resume comes from the checkpoint).
    public var losses: [Float]
    /// Every evaluation of this run: (step, validation loss).
    public var evaluations: [(step: Int, loss: Float)]
    /// The last checkpoint written, if any.
    public var lastCheckpoint: URL?
    /// Target tokens trained on in total.
    public var tokensSeen: Int
    /// Seconds this run (not counting time before a resume) spent training.
    public var seconds: Double
}

/// The one training loop for every model and objective: AdamW (with parameter groups) and a warm-up +
/// cosine learning-rate schedule (extendable on resume), gradient clipping and accumulation; plug-ins
/// that add a loss term, transform gradients or act after each step; evaluation every N steps;
/// checkpoints every N steps and at the end (atomic, newest K kept); resuming bit-identically from a
/// checkpoint (parameters, optimizer moments, schedule, both generators, the data position and the
/// plug-ins' state); early stopping on validation loss; a JSONL metrics log; a progress display; and a
/// clean stop with a checkpoint on Ctrl-C.
///
/// ```swift
/// let model = try GPT2LMHeadModel(config: config, seed: 1)
/// let trainer = try Trainer(model: model, objective: CausalLMObjective(model: model),
///                           train: blocks.train, validation: blocks.validation,
///                           configuration: options, runDirectory: out)
/// let result = try trainer.run()
/// ```
public final class Trainer {
    /// The model being trained.
    public let model: TrainableModel
    /// How a batch becomes a loss.
    public let objective: TrainingObjective
    /// Validation batches (`nil`: no evaluation, no early stopping).
    public let validationBatches: [Batch]?
    /// The settings.
    public let configuration: TrainerConfiguration
    /// Where checkpoints (`checkpoints/`) and the metrics log (`metrics.jsonl`) go; `nil` keeps nothing.
    public let runDirectory: URL?
    /// The optimizer (AdamW from the configuration unless another is given).
    public let optimizer: any Optimizer
    /// The learning-rate schedule (extended when a resumed run asks for more steps).
    public internal(set) var schedule: TrainingSchedule
    /// Plug-ins called by the loop, in order.
    public let plugins: [TrainerPlugin]
    /// Shows progress; `nil` shows nothing.
    public var display: ProgressDisplay?
    /// Checked between steps; set by SIGINT when its handler is installed.
    public let interrupt = InterruptFlag()
    /// Called with each checkpoint's temporary folder before it is renamed into place: write extra
    /// files there (a `config.json`, a `tokenizer.json`).
    public var writeExtraCheckpointFiles: ((URL) throws -> Void)?
    /// Called between writing a checkpoint and renaming it into place (a test hook for killing a
    /// process mid-write).
    public var beforeCheckpointRename: ((URL) -> Void)?

    var data: any BatchSource
    var objectiveRNG: KalamRandom
    var step = 0
    var tokensSeen = 0
    var losses: [Float] = []
    var bestValidationLoss: Float?
    var evaluationsWithoutImprovement = 0
    /// The step and validation loss of the newest evaluation, this run's or the checkpoint's it resumed.
    public internal(set) var lastEvaluation: (step: Int, loss: Float)?
    private var log: MetricsLog?

    /// A trainer at step 0.
    /// - Parameters:
    ///   - data: where training batches come from.
    ///   - validation: batches to evaluate on, or nil.
    ///   - parameterGroups: weight decay and learning-rate scale by parameter (the default rule
    ///     otherwise: no decay for biases, norms and embeddings).
    ///   - plugins: extra loss terms, gradient transforms and per-step actions.
    ///   - optimizer: another optimizer (e.g. `SGD`); its learning rate follows the schedule.
    /// - Throws: ``TrainingError/invalidOption(name:value:reason:)`` for bad settings.
    public init(
        model: TrainableModel, objective: TrainingObjective, data: any BatchSource, validation: [Batch]?,
        configuration: TrainerConfiguration, runDirectory: URL? = nil, parameterGroups: [ParameterGroup] = [],
        plugins: [TrainerPlugin] = [], optimizer: (any Optimizer)? = nil
    ) throws {
        try configuration.validate()
        guard Set(plugins.map(\.name)).count == plugins.count else {
            throw TrainingError.invalidOption(
                name: "plugins", value: plugins.map(\.name).joined(separator: ","), reason: "names must be unique")
        }
        self.model = model
        self.objective = objective
        self.data = data
        validationBatches = validation
        self.configuration = configuration
        self.runDirectory = runDirectory
        self.plugins = plugins
        let c = configuration
        self.optimizer =
            try optimizer
            ?? AdamW(
                learningRate: c.learningRate, betas: (c.beta1, c.beta2), eps: c.eps, weightDecay: c.weightDecay,
                groups: parameterGroups)
        schedule = TrainingSchedule(
            peak: c.learningRate, warmupSteps: c.warmupSteps, totalSteps: c.steps, minRatio: c.minLearningRateRatio)
        objectiveRNG = KalamRandom(seed: c.seed).fork(stream: 7)
    }

    /// A trainer over packed token blocks: training batches in a seeded order, all validation blocks.
    /// - Throws: `BatchingError.notEnoughBlocks` when the training blocks do not fill one batch.
    public convenience init(
        model: TrainableModel, objective: TrainingObjective, train: PackedBlocks, validation: PackedBlocks?,
        configuration: TrainerConfiguration, runDirectory: URL? = nil, parameterGroups: [ParameterGroup] = [],
        plugins: [TrainerPlugin] = [], optimizer: (any Optimizer)? = nil
    ) throws {
        try configuration.validate()
        let iterator = try BatchIterator(
            blocks: train, batchSize: configuration.batchSize, seed: configuration.seed, shuffle: true)
        var batches = try validation?.sequentialBatches(batchSize: configuration.batchSize)
        if let limit = configuration.evalBatches { batches = batches.map { Array($0.prefix(limit)) } }
        try self.init(
            model: model, objective: objective, data: iterator, validation: batches, configuration: configuration,
            runDirectory: runDirectory, parameterGroups: parameterGroups, plugins: plugins, optimizer: optimizer)
    }

    /// The checkpoint store of ``runDirectory``.
    public var checkpointStore: CheckpointStore? {
        runDirectory.map {
            CheckpointStore(
                directory: $0.appendingPathComponent("checkpoints", isDirectory: true),
                keep: configuration.keepCheckpoints)
        }
    }

    /// Steps taken so far.
    public var currentStep: Int { step }

    // MARK: - The loop

    /// Trains until ``TrainerConfiguration/steps``, early stopping, an interrupt, or `stopAfter` steps
    /// in total; saves a checkpoint at the end (when there is a run directory).
    /// - Parameters:
    ///   - resumeFrom: a checkpoint (or a run folder) to continue from. When the configuration asks for
    ///     more steps than the checkpoint's run, the run is extended (see ``TrainingSchedule``).
    ///   - stopAfter: stop once this many steps have been taken in total (the schedule still spans
    ///     ``TrainerConfiguration/steps``), as an interrupted run would; resuming later continues the
    ///     same curve.
    public func run(resumeFrom: URL? = nil, stopAfter: Int? = nil) throws -> TrainingResult {
        if let resumeFrom { try restore(from: CheckpointStore.resolve(resumeFrom)) }
        if let dir = runDirectory {
            log = try MetricsLog(
                url: dir.appendingPathComponent("metrics.jsonl"), truncatingAfter: resumeFrom == nil ? nil : step)
        }
        let c = configuration
        let start = Date()
        var intervalStart = start, intervalTokens = 0
        var evaluations: [(step: Int, loss: Float)] = []
        var lastCheckpoint: URL?
        var lastValidation: Float?
        var reason = StopReason.completed
        let startStep = step
        model.train()
        defer {
            model.eval()
            display?.finish()
        }

        while step < c.steps {
            if interrupt.isSet {
                reason = .interrupted
                break
            }
            if let stopAfter, step >= stopAfter {
                reason = .stoppedAt
                break
            }
            let (loss, norm, lr, tokens) = try trainStep()
            tokensSeen += tokens
            intervalTokens += tokens
            losses.append(loss)
            if step % c.logEvery == 0 || step == c.steps {
                let now = Date()
                let rate = Double(intervalTokens) / max(now.timeIntervalSince(intervalStart), 1e-9)
                let perStep = now.timeIntervalSince(start) / Double(step - startStep)
                var r = MetricsRecord(kind: "train", step: step)
                r.loss = loss
                r.learningRate = lr
                r.gradNorm = norm
                r.tokensPerSecond = rate
                r.elapsed = now.timeIntervalSince(start)
                try log?.append(r)
                display?.show(
                    ProgressUpdate(
                        step: step, totalSteps: c.steps, loss: loss, tokensPerSecond: rate,
                        secondsRemaining: perStep * Double(c.steps - step), validationLoss: lastValidation))
                intervalStart = now
                intervalTokens = 0
            }
            if c.evalEvery > 0, step % c.evalEvery == 0, step < c.steps, validationBatches != nil {
                let v = try evaluate()
                lastValidation = v
                evaluations.append((step, v))
                try record(validation: v, elapsed: Date().timeIntervalSince(start))
                if let patience = c.earlyStoppingPatience, evaluationsWithoutImprovement >= patience {
                    reason = .earlyStopped
                    break
                }
            }
            if c.checkpointEvery > 0, step % c.checkpointEvery == 0, step < c.steps, runDirectory != nil {
                lastCheckpoint = try saveCheckpoint()
                display?.message("saved checkpoint \(CheckpointStore.name(step: step))")
            }
        }
        if reason == .completed, validationBatches != nil, lastEvaluation?.step != step {
            let v = try evaluate()
            evaluations.append((step, v))
            try record(validation: v, elapsed: Date().timeIntervalSince(start))
        }
        if runDirectory != nil, step > 0 { lastCheckpoint = try saveCheckpoint() }
        return TrainingResult(
            step: step, stopReason: reason, losses: losses, evaluations: evaluations,
            lastCheckpoint: lastCheckpoint, tokensSeen: tokensSeen,
            seconds: Date().timeIntervalSince(start))
    }

    /// One optimizer step over `gradientAccumulation` micro-batches.
    /// - Returns: the mean loss, the gradient norm before clipping, the learning rate and target tokens.
    private func trainStep() throws -> (Float, Float, Float, Int) {
        let c = configuration
        let parameters = model.trainableParameters()
        zeroGrad(parameters)
        var lossSum: Double = 0
        var tokens = 0
        let scale = Tensor(scalar: 1 / Float(c.gradientAccumulation))
        for _ in 0..<c.gradientAccumulation {
            let batch = try data.nextBatch()
            let out = try objective.loss(on: batch, rng: &objectiveRNG)
            tokens += out.targetCount
            var loss = out.value
            for plugin in plugins {
                if let extra = try plugin.extraLoss(model: model, batch: batch) { loss = try loss + extra }
            }
            let value = try loss.item()
            guard value.isFinite else { throw TrainingError.nonFiniteLoss(step: step + 1) }
            lossSum += Double(value)
            try (c.gradientAccumulation == 1 ? loss : loss * scale).backward()
        }
        for plugin in plugins {
            try plugin.transformGradients(parameters.filter { $0.tensor.grad != nil }, step: step + 1)
        }
        let norm = try clipGradNorm(parameters, maxNorm: c.maxGradNorm ?? .greatestFiniteMagnitude)
        let lr = schedule.learningRate(at: step + 1)
        optimizer.learningRate = lr
        try optimizer.step(parameters)
        zeroGrad(parameters)
        step += 1
        for plugin in plugins { try plugin.afterStep(model: model, step: step) }
        return (Float(lossSum / Double(c.gradientAccumulation)), norm, lr, tokens)
    }

    /// Logs an evaluation and updates early-stopping counters.
    private func record(validation v: Float, elapsed: Double) throws {
        if let best = bestValidationLoss, v > best - configuration.earlyStoppingMinDelta {
            evaluationsWithoutImprovement += 1
        } else {
            evaluationsWithoutImprovement = 0
        }
        bestValidationLoss = min(bestValidationLoss ?? v, v)
        lastEvaluation = (step, v)
        var r = MetricsRecord(kind: "eval", step: step)
        r.validationLoss = v
        let perplexity = objective.lossIsTokenCrossEntropy ? Foundation.exp(Double(v)) : nil
        r.validationPerplexity = perplexity
        r.elapsed = elapsed
        try log?.append(r)
        display?.message(
            String(format: "step %d: validation loss %.4f", step, v)
                + (perplexity.map { String(format: ", perplexity %.2f", $0) } ?? ""))
    }

    /// Appends a summary record to the metrics log.
    public func logSummary(_ extra: [String: String]) throws {
        var r = MetricsRecord(kind: "summary", step: step)
        r.extra = extra
        try log?.append(r)
    }

    // MARK: - Evaluation

    /// The mean loss per target over the validation batches, in evaluation mode, without gradients.
    /// - Throws: ``TrainingError/invalidOption(name:value:reason:)`` without validation batches.
    public func evaluate() throws -> Float {
        guard let validation = validationBatches else {
            throw TrainingError.invalidOption(
                name: "validation", value: "none", reason: "no validation blocks to evaluate on")
        }
        return try Trainer.evaluate(model: model, objective: objective, batches: validation, seed: configuration.seed)
    }

    /// The mean loss per target of `objective` over `batches`, in evaluation mode, without gradients,
    /// with a generator of its own (so evaluating changes nothing a resumed run depends on, and a
    /// random objective scores the same masking each time).
    public static func evaluate(
        model: TrainableModel, objective: TrainingObjective, batches: [Batch], seed: UInt64 = 0
    ) throws -> Float {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        var rng = KalamRandom(seed: seed).fork(stream: 11)
        var total: Double = 0, count = 0
        try Tensor.withoutGrad {
            for batch in batches {
                let out = try objective.loss(on: batch, rng: &rng)
                guard out.targetCount > 0 else { continue }
                total += Double(try out.value.item()) * Double(out.targetCount)
                count += out.targetCount
            }
        }
        return count == 0 ? .nan : Float(total / Double(count))
    }

    /// ``evaluate(model:objective:batches:seed:)`` over packed blocks in order (at most `maxBatches`
    /// batches of `batchSize`).
    public static func evaluate(
        model: TrainableModel, objective: TrainingObjective, blocks: PackedBlocks,
        batchSize: Int, maxBatches: Int? = nil, seed: UInt64 = 0
    ) throws -> Float {
        var batches = try blocks.sequentialBatches(batchSize: batchSize)
        if let maxBatches { batches = Array(batches.prefix(maxBatches)) }
        return try evaluate(model: model, objective: objective, batches: batches, seed: seed)
    }
}
