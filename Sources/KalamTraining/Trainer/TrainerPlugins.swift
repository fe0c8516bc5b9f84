import Foundation
import KalamCore
import KalamNN

/// Where the trainer's batches come from: a task's data, replay mixed in, the data of all tasks at once.
/// Its position is part of every checkpoint, so a resumed run sees exactly the batches the
/// uninterrupted run would.
public protocol BatchSource {
    /// The next training batch.
    mutating func nextBatch() throws -> Batch
    /// The position as a JSON object (written into `trainer_state.json`).
    func checkpointPosition() throws -> Data
    /// Moves to a position written by ``checkpointPosition()``; throws when it belongs to other data.
    mutating func restore(checkpointPosition: Data) throws
}

extension BatchIterator: BatchSource {
    /// The next batch.
    public mutating func nextBatch() throws -> Batch { next() }

    /// ``position`` as JSON.
    public func checkpointPosition() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(position)
    }

    /// Restores ``position`` from JSON.
    public mutating func restore(checkpointPosition data: Data) throws {
        try restore(try JSONDecoder().decode(Position.self, from: data))
    }
}

/// A plug-in to the training loop: what a continual-learning strategy, a regulariser or an
/// optimisation-based method adds. Every method has a default that does nothing, so a plug-in
/// implements only what it changes. Its state is keyed like the parameters and saved in checkpoints.
public protocol TrainerPlugin: AnyObject {
    /// The name its state is saved under (unique among a trainer's plug-ins).
    var name: String { get }
    /// A term added to the objective's loss at each micro-batch (EWC, SI, MAS, L2-SP, distillation),
    /// or nil; it is differentiated with the loss.
    func extraLoss(model: TrainableModel, batch: Batch) throws -> Tensor?
    /// Called after backward and before clipping with the parameters that have gradients; may rewrite
    /// the gradients in place (A-GEM's projection).
    func transformGradients(_ parameters: NamedParameters, step: Int) throws
    /// Called after each optimizer step (accumulate importance, update a slow model).
    func afterStep(model: TrainableModel, step: Int) throws
    /// The state to checkpoint, by key (e.g. `fisher.<parameter key>`).
    func stateTensors() -> [String: Tensor]
    /// Restores state saved by ``stateTensors()``.
    func restore(stateTensors: [String: Tensor]) throws
}

extension TrainerPlugin {
    public func extraLoss(model: TrainableModel, batch: Batch) throws -> Tensor? { nil }
    public func transformGradients(_ parameters: NamedParameters, step: Int) throws {}
    public func afterStep(model: TrainableModel, step: Int) throws {}
    public func stateTensors() -> [String: Tensor] { [:] }
    public func restore(stateTensors: [String: Tensor]) throws {}
}

/// The learning-rate schedule of a run: linear warm-up to the peak, then cosine decay to
/// `peak · minRatio` at the last step. A run extended on resume (a larger `--steps`) keeps the curve it
/// has followed and, from the step reached, decays by a cosine from the rate there to the same floor at
/// the new last step; every extension is recorded, so a later resume reproduces the same curve.
public struct TrainingSchedule: Codable, Sendable, Equatable, LearningRateSchedule {
    /// A cosine segment from `start` (rate `startRate`) to `end` (the floor).
    public struct Segment: Codable, Sendable, Equatable {
        /// The step where it starts.
        public var start: Int
        /// The rate at `start`.
        public var startRate: Float
        /// The step where it reaches the floor.
        public var end: Int
    }

    /// The warm-up and the first cosine.
    public var base: WarmupCosineSchedule
    /// Extensions, in order.
    public var extensions: [Segment] = []

    /// The schedule of a run of `totalSteps`.
    public init(peak: Float, warmupSteps: Int, totalSteps: Int, minRatio: Float) {
        base = WarmupCosineSchedule(peak: peak, warmupSteps: warmupSteps, totalSteps: totalSteps, minRatio: minRatio)
    }

    /// The last step.
    public var totalSteps: Int { extensions.last?.end ?? base.totalSteps }

    /// The rate of step `step` (1-based).
    public func learningRate(at step: Int) -> Float {
        guard let segment = extensions.last(where: { step > $0.start }) else { return base.learningRate(at: step) }
        let floor = Double(base.peak) * Double(base.minRatio)
        let progress = min(1, Double(step - segment.start) / Double(max(1, segment.end - segment.start)))
        let cosine = 0.5 * (1 + Foundation.cos(Double.pi * progress))
        return Float(floor + (Double(segment.startRate) - floor) * cosine)
    }

    /// The schedule continued from `step` to a new last step.
    public func extended(from step: Int, to newTotal: Int) -> TrainingSchedule {
        var copy = self
        copy.extensions.append(Segment(start: step, startRate: learningRate(at: step), end: newTotal))
        return copy
    }
}

/// The encoded fields whose values differ between two values of a type, with both values as text.
func differences<T: Encodable>(_ a: T, _ b: T) -> [(key: String, a: String, b: String)] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    func object(_ value: T) -> [String: Any] {
        guard let data = try? encoder.encode(value),
            let dictionary = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return dictionary
    }
    let (x, y) = (object(a), object(b))
    return Set(x.keys).union(y.keys).sorted().compactMap { key in
        let (u, v) = (x[key].map { "\($0)" } ?? "none", y[key].map { "\($0)" } ?? "none")
        return u == v ? nil : (key, u, v)
    }
}
