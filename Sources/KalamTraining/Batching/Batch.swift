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
    /// One class index per row, for sequence classification (empty for language modelling).
    public var labels: [Int32] = []
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

    /// A classification batch: `rows` (token ids of different lengths) right-padded with `padTokenId`
    /// to the longest, one class index per row in `labels`; `targets` are all ``ignoreIndex``.
    public init(rows: [[Int32]], labels: [Int32], padTokenId: Int32, indices: [Int]) {
        let t = max(1, rows.map(\.count).max() ?? 1)
        batchSize = rows.count
        contextLength = t
        blockIndices = indices
        inputs = rows.flatMap { $0 + [Int32](repeating: padTokenId, count: t - $0.count) }
        targets = [Int32](repeating: Batch.ignoreIndex, count: rows.count * t)
        lengths = rows.map { Int32($0.count) }
        self.labels = labels
    }

    /// A token-classification batch: `rows` right-padded with `padTokenId` to the longest; `targets` are
    /// each row's `tokenLabels` (one per token, ``ignoreIndex`` where none), ``ignoreIndex`` on padding.
    public init(rows: [[Int32]], tokenLabels: [[Int32]], padTokenId: Int32, indices: [Int]) {
        self.init(rows: rows, labels: [], padTokenId: padTokenId, indices: indices)
        for (row, labels) in tokenLabels.enumerated() {
            for (k, label) in labels.prefix(min(rows[row].count, contextLength)).enumerated() {
                targets[row * contextLength + k] = label
            }
        }
    }

    /// The attention mask `[batchSize, contextLength]` row-major: 1 on the first `lengths[row]`
    /// positions of each row, 0 on padding.
    public var attentionMask: [Int32] {
        (0..<batchSize).flatMap { row in (0..<contextLength).map { Int32($0 < Int(lengths[row]) ? 1 : 0) } }
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
