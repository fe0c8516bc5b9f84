/// Linear warm-up from 0 to `peak` over `warmupSteps`, then a straight line down to `peak · minRatio`
/// at `totalSteps`, constant afterwards.
///
/// With `minRatio` 0 this is transformers' `get_linear_schedule_with_warmup`:
/// `step < warmup`: `peak · step / max(1, warmup)`, else
/// `peak · max(0, (total − step) / max(1, total − warmup))`; a floor interpolates to `minRatio` instead of 0.
public struct WarmupLinearSchedule: LearningRateSchedule, Equatable {
    /// The rate at the end of warm-up.
    public var peak: Float
    /// Steps of linear warm-up.
    public var warmupSteps: Int
    /// The step at which the floor is reached.
    public var totalSteps: Int
    /// The floor as a fraction of `peak`.
    public var minRatio: Float

    /// A warm-up + linear decay schedule.
    public init(peak: Float, warmupSteps: Int, totalSteps: Int, minRatio: Float = 0) {
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.minRatio = minRatio
    }

    /// The learning rate at `step`.
    public func learningRate(at step: Int) -> Float {
        if step < warmupSteps { return Float(Double(peak) * Double(step) / Double(max(1, warmupSteps))) }
        let remaining = max(0, Double(totalSteps - step) / Double(max(1, totalSteps - warmupSteps)))
        let factor = Double(minRatio) + (1 - Double(minRatio)) * remaining
        return Float(Double(peak) * factor)
    }
}
