import Foundation
import KalamCore

/// Everything besides the parameters and the optimizer's moments that a resumed run needs to continue
/// exactly where the saved one stopped. Stored as `trainer_state.json` in each checkpoint.
public struct TrainerState: Codable, Sendable, Equatable {
    /// The format version of this file.
    public var version = 2
    /// Optimizer steps taken.
    public var step: Int
    /// Target tokens trained on so far.
    public var tokensSeen: Int
    /// The model's architecture descriptor (``TrainableModel/architectureDescriptor``).
    public var architecture: String
    /// The configuration of the run that saved it.
    public var configuration: TrainerConfiguration
    /// The next training batch: the batch source's position (JSON).
    public var dataPosition: Data
    /// The learning-rate schedule, with the extensions of resumed runs.
    public var schedule: TrainingSchedule
    /// The trainer's generator (objectives that draw at random).
    public var objectiveRNG: KalamRandom
    /// The model's dropout generator.
    public var modelRNG: KalamRandom
    /// The best validation loss so far, if any evaluation ran.
    public var bestValidationLoss: Float?
    /// Evaluations since the best one (early stopping).
    public var evaluationsWithoutImprovement: Int
    /// The step and loss of the newest evaluation, if any (so a run resumed from its last checkpoint
    /// does not evaluate the same step twice). Absent in checkpoints written before it existed.
    public var lastEvaluationStep: Int?
    /// The validation loss at ``lastEvaluationStep``.
    public var lastValidationLoss: Float?
    /// The training loss of every step so far (the loss curve, for comparison after resuming).
    public var losses: [Float]

    enum CodingKeys: String, CodingKey {
        case version, step, architecture, configuration, losses, schedule
        case tokensSeen = "tokens_seen"
        case dataPosition = "data_position"
        case objectiveRNG = "objective_rng"
        case modelRNG = "model_rng"
        case bestValidationLoss = "best_validation_loss"
        case evaluationsWithoutImprovement = "evaluations_without_improvement"
        case lastEvaluationStep = "last_evaluation_step"
        case lastValidationLoss = "last_validation_loss"
    }
}
