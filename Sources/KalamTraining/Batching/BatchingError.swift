/// An error building blocks or batches of token ids.
public enum BatchingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No tokens at all (no documents, or only empty ones).
    case emptyCorpus
    /// Fewer tokens than one block needs (`contextLength + 1` for next-token targets).
    case corpusShorterThanBlock(tokens: Int, blockLength: Int)
    /// An option out of range (`contextLength`, `batchSize`, `validationFraction`, …).
    case invalidOption(name: String, value: String, reason: String)
    /// Fewer blocks than one batch of training data needs.
    case notEnoughBlocks(blocks: Int, batchSize: Int)
    /// A split left one side empty.
    case emptySplit(side: String, items: Int, validationFraction: Double)
    /// A saved position that does not belong to this iterator (other data, batch size or seed).
    case positionMismatch(reason: String)

    /// One readable line.
    public var description: String {
        switch self {
        case .emptyCorpus:
            return "the corpus has no tokens"
        case .corpusShorterThanBlock(let tokens, let blockLength):
            return "the corpus has \(tokens) tokens, fewer than one block of \(blockLength) (context length + 1)"
        case .invalidOption(let name, let value, let reason):
            return "invalid \(name) \(value): \(reason)"
        case .notEnoughBlocks(let blocks, let batchSize):
            return "only \(blocks) blocks, fewer than one batch of \(batchSize)"
        case .emptySplit(let side, let items, let fraction):
            return "a validation fraction of \(fraction) over \(items) items leaves the \(side) set empty"
        case .positionMismatch(let reason):
            return "cannot restore the data position: \(reason)"
        }
    }
}
