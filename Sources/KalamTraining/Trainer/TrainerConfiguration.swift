import Foundation

/// The settings of a training run: optimisation (AdamW, warm-up + cosine schedule, clipping,
/// gradient accumulation), evaluation, checkpointing, early stopping and logging.
///
/// It is saved with every checkpoint; a resumed run must use the same values for the settings that
/// shape the loss curve (``checkCompatible(with:)``).
public struct TrainerConfiguration: Codable, Sendable, Equatable {
    /// Optimizer steps to take in total.
    public var steps: Int
    /// Rows per micro-batch.
    public var batchSize: Int
    /// Micro-batches whose gradients are summed (averaged) before each optimizer step.
    public var gradientAccumulation: Int = 1
    /// The peak learning rate (after warm-up).
    public var learningRate: Float = 1e-3
    /// Warm-up steps (linear from 0).
    public var warmupSteps: Int = 0
    /// The learning rate at the last step as a fraction of the peak (cosine decay).
    public var minLearningRateRatio: Float = 0.1
    /// AdamW's decoupled weight decay (not applied to biases, norms and embeddings).
    public var weightDecay: Float = 0.1
    /// AdamW's β₁.
    public var beta1: Float = 0.9
    /// AdamW's β₂.
    public var beta2: Float = 0.95
    /// AdamW's ε.
    public var eps: Float = 1e-8
    /// The global gradient norm is clipped to this value; `nil` for no clipping.
    public var maxGradNorm: Float? = 1
    /// Evaluate on the validation blocks every this many steps (0: only at the end).
    public var evalEvery: Int = 0
    /// At most this many validation batches per evaluation (`nil`: all of them).
    public var evalBatches: Int? = nil
    /// Save a checkpoint every this many steps (0: only at the end).
    public var checkpointEvery: Int = 0
    /// Keep this many checkpoints (the most recent ones).
    public var keepCheckpoints: Int = 2
    /// Stop after this many evaluations without a validation loss at least `earlyStoppingMinDelta`
    /// below the best; `nil` never stops early.
    public var earlyStoppingPatience: Int? = nil
    /// The improvement that counts for early stopping.
    public var earlyStoppingMinDelta: Float = 0
    /// Seeds the data order and the objective's generator.
    public var seed: UInt64 = 0
    /// Report (progress line, metrics log) every this many steps.
    public var logEvery: Int = 1

    /// A configuration with the defaults above.
    public init(steps: Int, batchSize: Int) {
        self.steps = steps
        self.batchSize = batchSize
    }

    /// Throws ``TrainingError/invalidOption(name:value:reason:)`` for the first setting out of range.
    public func validate() throws {
        func check(_ ok: Bool, _ name: String, _ value: Any, _ reason: String) throws {
            if !ok { throw TrainingError.invalidOption(name: name, value: "\(value)", reason: reason) }
        }
        try check(steps >= 1, "steps", steps, "must be at least 1")
        try check(batchSize >= 1, "batch size", batchSize, "must be at least 1")
        try check(gradientAccumulation >= 1, "gradient accumulation", gradientAccumulation, "must be at least 1")
        try check(learningRate.isFinite && learningRate > 0, "learning rate", learningRate, "must be positive")
        try check(warmupSteps >= 0, "warm-up steps", warmupSteps, "must not be negative")
        try check(
            minLearningRateRatio >= 0 && minLearningRateRatio <= 1, "minimum learning-rate ratio", minLearningRateRatio,
            "must be in [0, 1]")
        try check(weightDecay >= 0, "weight decay", weightDecay, "must not be negative")
        try check(beta1 >= 0 && beta1 < 1, "beta1", beta1, "must be in [0, 1)")
        try check(beta2 >= 0 && beta2 < 1, "beta2", beta2, "must be in [0, 1)")
        try check(maxGradNorm.map { $0 > 0 } ?? true, "max gradient norm", maxGradNorm ?? 0, "must be positive")
        try check(evalEvery >= 0, "eval-every", evalEvery, "must not be negative")
        try check(evalBatches.map { $0 >= 1 } ?? true, "eval batches", evalBatches ?? 0, "must be at least 1")
        try check(checkpointEvery >= 0, "checkpoint-every", checkpointEvery, "must not be negative")
        try check(keepCheckpoints >= 1, "keep-checkpoints", keepCheckpoints, "must be at least 1")
        try check(
            earlyStoppingPatience.map { $0 >= 1 } ?? true, "early-stopping patience", earlyStoppingPatience ?? 0,
            "must be at least 1")
        try check(logEvery >= 1, "log-every", logEvery, "must be at least 1")
    }

    /// Throws ``TrainingError/configurationMismatch(fields:)``, naming each setting and its two values,
    /// when `saved` (a checkpoint's configuration) differs in a setting that shapes the loss curve;
    /// `steps` (a run may be extended: see ``TrainingSchedule``), evaluation, logging, checkpointing and
    /// early stopping may change on resume.
    public func checkCompatible(with saved: TrainerConfiguration) throws {
        let changed = differences(saved.curveSettings, curveSettings)
        if !changed.isEmpty {
            throw TrainingError.configurationMismatch(
                fields: changed.map { "\($0.key): checkpoint \($0.a), now \($0.b)" })
        }
    }

    /// This configuration with every setting that may change on resume set to a fixed value (a new
    /// setting is compared unless it is added here).
    var curveSettings: TrainerConfiguration {
        var c = self
        (c.steps, c.evalEvery, c.evalBatches, c.checkpointEvery, c.keepCheckpoints) = (0, 0, nil, 0, 1)
        (c.earlyStoppingPatience, c.earlyStoppingMinDelta, c.logEvery) = (nil, 0, 1)
        return c
    }
}
