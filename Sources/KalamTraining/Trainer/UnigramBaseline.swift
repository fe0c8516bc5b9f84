import Foundation

/// The cross-entropy of a unigram model — every token predicted by its training frequency, ignoring
/// context — the floor a language model must beat to show it learned anything from context.
///
/// Probabilities use add-one (Laplace) smoothing over the vocabulary, so validation tokens never seen
/// in training have a finite cost: `p(t) = (count(t) + 1) / (N + V)`.
public struct UnigramBaseline: Sendable, Equatable {
    /// The vocabulary size.
    public let vocabularySize: Int
    /// Training counts per token id.
    public let counts: [Int]
    /// The number of training tokens counted.
    public let total: Int

    /// Counts the targets of `blocks` (every real token after each block's first, so shared boundary
    /// tokens count once).
    /// - Throws: ``TrainingError/invalidOption(name:value:reason:)`` for a vocabulary size below 1 or an
    ///   id outside it.
    public init(blocks: PackedBlocks, vocabularySize: Int) throws {
        guard vocabularySize >= 1 else {
            throw TrainingError.invalidOption(
                name: "vocabulary size", value: "\(vocabularySize)", reason: "must be at least 1")
        }
        var counts = [Int](repeating: 0, count: vocabularySize)
        var total = 0
        try Self.forEachTarget(blocks) { id in
            guard id >= 0, Int(id) < vocabularySize else {
                throw TrainingError.invalidOption(
                    name: "token id", value: "\(id)", reason: "outside the vocabulary of \(vocabularySize)")
            }
            counts[Int(id)] += 1
            total += 1
        }
        self.vocabularySize = vocabularySize
        self.counts = counts
        self.total = total
    }

    /// The mean cross-entropy (nats per token) of the targets of `blocks` under this model.
    public func crossEntropy(on blocks: PackedBlocks) -> Double {
        let denominator = Double(total + vocabularySize)
        var sum: Double = 0, n = 0
        Self.forEachTarget(blocks) { id in
            let c = (id >= 0 && Int(id) < vocabularySize) ? counts[Int(id)] : 0
            sum -= Foundation.log(Double(c + 1) / denominator)
            n += 1
        }
        return n == 0 ? .nan : sum / Double(n)
    }

    /// Calls `body` with every target token of `blocks` (positions 1..<length of each block).
    static func forEachTarget(_ blocks: PackedBlocks, _ body: (Int32) throws -> Void) rethrows {
        for b in 0..<blocks.count {
            let length = Int(blocks.lengths[b])
            let base = b * blocks.blockLength
            for k in 1..<max(length, 1) { try body(blocks.tokens[base + k]) }
        }
    }
}
