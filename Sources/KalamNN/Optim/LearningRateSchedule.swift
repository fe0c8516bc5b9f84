/// A learning rate as a function of the step number.
///
/// Schedules are value types; `learningRate(at:)` is Hugging Face transformers' `lr_lambda(step)` times
/// the peak rate. Pass the 1-based number of the step about to be taken (`optimizer.stepCount + 1`),
/// as nanoGPT does, or the 0-based count of steps taken, as transformers' `LambdaLR` does (its first
/// step runs at `lr_lambda(0)`, which is 0 during warm-up).
public protocol LearningRateSchedule: Sendable {
    /// The learning rate at `step`.
    func learningRate(at step: Int) -> Float
}

/// The same learning rate at every step.
public struct ConstantSchedule: LearningRateSchedule, Equatable {
    /// The learning rate.
    public var value: Float

    /// A constant schedule.
    public init(_ value: Float) { self.value = value }

    /// `value`.
    public func learningRate(at step: Int) -> Float { value }
}
