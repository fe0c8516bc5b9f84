import KalamText

/// One batch for next-token prediction: `inputs[b, t]` predicts `targets[b, t]`, both row-major
/// `[batchSize, contextLength]`. Targets at padding positions are ``ignoreIndex``.
public struct Batch: Sendable, Equatable {
    /// The target value for positions that have nothing to predict (PyTorch's `ignore_index`).
    public static let ignoreIndex: Int32 = -100

    /// Rows.
    public let batchSize: Int
    /// Columns.
    public let contextLength: Int
    /// Input ids, `[batchSize, contextLength]` row-major.
    public var inputs: [Int32]
    /// Target ids (the inputs shifted by one), `[batchSize, contextLength]`; ``ignoreIndex`` where the
    /// block is padding.
    public var targets: [Int32]
    /// The number of real input tokens in each row (`contextLength` unless the block was padded).
    public var lengths: [Int32]
    /// The block indices the rows came from.
    public var blockIndices: [Int]
    /// For masking: each input token's word index (−1 where never a target), `[batchSize,
    /// contextLength]`, or `nil` when the batch carries no word boundaries (see ``AnnotatedBlocks``).
    public var words: [Int32]? = nil
    /// For POS masking: each input token's word's UPOS tag, `[batchSize, contextLength]`, or `nil`.
    public var tags: [UniversalTag?]? = nil

    /// A batch made of `blocks` at `indices`, one row per block.
    public init(blocks: PackedBlocks, indices: [Int]) {
        let t = blocks.contextLength
        batchSize = indices.count
        contextLength = t
        blockIndices = indices
        var inputs = [Int32](repeating: 0, count: indices.count * t)
        var targets = [Int32](repeating: Batch.ignoreIndex, count: indices.count * t)
        var lengths: [Int32] = []
        lengths.reserveCapacity(indices.count)
        blocks.tokens.withUnsafeBufferPointer { all in
            for (row, index) in indices.enumerated() {
                let base = index * blocks.blockLength
                let real = Int(blocks.lengths[index])
                for k in 0..<t {
                    inputs[row * t + k] = all[base + k]
                    if k + 1 < real { targets[row * t + k] = all[base + k + 1] }
                }
                lengths.append(Int32(min(real, t)))
            }
        }
        self.inputs = inputs
        self.targets = targets
        self.lengths = lengths
    }

    /// Row `row` as a ``MaskableSequence`` (its first `lengths[row]` tokens eligible unless special,
    /// each its own word, when the batch carries no word boundaries).
    public func maskableRow(_ row: Int, specialTokenIds: Set<Int32>) -> MaskableSequence {
        let range = (row * contextLength)..<((row + 1) * contextLength)
        let ids = Array(inputs[range])
        guard let words else {
            return MaskableSequence(ids: ids, length: Int(lengths[row]), specialTokenIds: specialTokenIds)
        }
        var rowWords = Array(words[range])
        for i in rowWords.indices where i >= Int(lengths[row]) || specialTokenIds.contains(ids[i]) { rowWords[i] = -1 }
        return MaskableSequence(ids: ids, words: rowWords, tags: tags.map { Array($0[range]) } ?? [])
    }

    /// The number of targets that are not ``ignoreIndex`` (the tokens this batch trains on).
    public var targetCount: Int { targets.reduce(0) { $0 + ($1 == Batch.ignoreIndex ? 0 : 1) } }
}
