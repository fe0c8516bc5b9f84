import Foundation

/// Linear warm-up from 0 to `peak` over `warmupSteps`, then half a cosine from `peak` down to
/// `peak · minRatio` at `totalSteps`.
///
/// Equals transformers' `get_cosine_schedule_with_warmup` (`num_cycles = 0.5`) when `minRatio` is 0
/// and `get_cosine_with_min_lr_schedule_with_warmup(min_lr_rate: minRatio)` otherwise:
/// `step < warmup`: `peak · step / max(1, warmup)`; else with
/// `progress = (step − warmup) / max(1, total − warmup)`:
/// `peak · (minRatio + (1 − minRatio) · ½ (1 + cos(π · progress)))`.
/// One deviation: past `totalSteps` the rate stays at the floor (transformers lets the cosine rise again).
public struct WarmupCosineSchedule: LearningRateSchedule, Equatable, Codable {
    /// The rate at the end of warm-up.
    public var peak: Float
    /// Steps of linear warm-up.
    public var warmupSteps: Int
    /// The step at which the floor is reached.
    public var totalSteps: Int
    /// The floor as a fraction of `peak`.
    public var minRatio: Float

    /// A warm-up + cosine schedule.
    public init(peak: Float, warmupSteps: Int, totalSteps: Int, minRatio: Float = 0) {
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.minRatio = minRatio
    }

    /// The learning rate at `step`.
    public func learningRate(at step: Int) -> Float {
        if step < warmupSteps { return Float(Double(peak) * Double(step) / Double(max(1, warmupSteps))) }
        let progress = min(1, Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps)))
        let cosine = 0.5 * (1 + Foundation.cos(Double.pi * progress))
        let factor = cosine * (1 - Double(minRatio)) + Double(minRatio)
        return Float(Double(peak) * max(0, factor))
    }
}
