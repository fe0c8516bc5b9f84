import Foundation

/// The scores of a continual run: `matrix[i][j]` is the score on task `j` after training through task
/// `i` (0-based, T tasks), and `baseline[j]` the score on task `j` of the model before any training
/// (a freshly initialised head where the task has its own). Scores are "higher is better": accuracies
/// as fractions, or negative log-perplexity for language-model tasks.
///
/// The metrics follow Lopez-Paz & Ranzato (2017) for ACC, BWT and FWT and Chaudhry et al. (2018) for
/// average forgetting:
///
/// - ACC = (1/T) Σ_j R[T−1][j]
/// - BWT = (1/(T−1)) Σ_{j<T−1} (R[T−1][j] − R[j][j])
/// - FWT = (1/(T−1)) Σ_{j≥1} (R[j−1][j] − b[j])
/// - forgetting = (1/(T−1)) Σ_{j<T−1} (max_{l<T−1} R[l][j] − R[T−1][j])
public struct ScoreMatrix: Sendable, Equatable, Codable {
    /// `matrix[i][j]`: the score on task `j` after training through task `i`.
    public var matrix: [[Double]]
    /// `baseline[j]`: the score on task `j` before any training.
    public var baseline: [Double]

    /// A matrix of `T` rows of `T` scores and a baseline of `T`.
    /// - Throws: ``ContinualError/malformedMatrix(reason:)`` when it is not square, holds fewer than two
    ///   tasks, or the baseline has another length.
    public init(matrix: [[Double]], baseline: [Double]) throws {
        let t = baseline.count
        guard t >= 2 else { throw ContinualError.malformedMatrix(reason: "needs at least 2 tasks, found \(t)") }
        guard matrix.count == t, matrix.allSatisfy({ $0.count == t }) else {
            throw ContinualError.malformedMatrix(
                reason: "needs \(t) rows of \(t) scores, found rows of \(matrix.map(\.count))")
        }
        self.matrix = matrix
        self.baseline = baseline
    }

    /// The number of tasks.
    public var taskCount: Int { baseline.count }

    /// The mean final score over all tasks.
    public var averageAccuracy: Double {
        let last = matrix[taskCount - 1]
        return last.reduce(0, +) / Double(taskCount)
    }

    /// The mean change of each earlier task's score from just after it was learnt to the end
    /// (negative: forgetting).
    public var backwardTransfer: Double {
        let t = taskCount
        var sum = 0.0
        for j in 0..<(t - 1) { sum += matrix[t - 1][j] - matrix[j][j] }
        return sum / Double(t - 1)
    }

    /// The mean gain on each later task, just before it is learnt, over the untrained model.
    public var forwardTransfer: Double {
        let t = taskCount
        var sum = 0.0
        for j in 1..<t { sum += matrix[j - 1][j] - baseline[j] }
        return sum / Double(t - 1)
    }

    /// The mean drop of each earlier task from its best score before the last task to its final score.
    public var forgetting: Double {
        let t = taskCount
        var sum = 0.0
        for j in 0..<(t - 1) {
            let best = (0..<(t - 1)).map { matrix[$0][j] }.max()!
            sum += best - matrix[t - 1][j]
        }
        return sum / Double(t - 1)
    }
}
