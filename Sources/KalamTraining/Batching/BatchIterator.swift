import KalamCore

/// Training batches drawn from packed blocks, epoch after epoch, in a seeded order; its position can
/// be saved and restored so that a resumed run sees exactly the batches the uninterrupted run would.
///
/// Epoch `e` visits the blocks in the order `KalamRandom(seed: seed).fork(stream: e).permutation(count)`
/// (or in stored order when `shuffle` is false), `batchSize` blocks per batch; the last blocks that do
/// not fill a batch are left out of that epoch (a different set each epoch when shuffling). The order
/// depends only on the seed and the epoch number, so ``position`` (epoch, batch) is all the state.
public struct BatchIterator: Sendable {
    /// Where the iterator stands: the next batch is batch `batch` of epoch `epoch`. Also records what
    /// it belongs to (block count, batch size, seed, shuffling) so a mismatched restore is caught.
    public struct Position: Codable, Sendable, Equatable {
        /// The epoch, from 0.
        public var epoch: Int
        /// The next batch within the epoch, from 0.
        public var batch: Int
        /// The number of blocks of the iterator that saved it.
        public var blockCount: Int
        /// Its batch size.
        public var batchSize: Int
        /// Its seed.
        public var seed: UInt64
        /// Whether it shuffled.
        public var shuffle: Bool
    }

    /// The blocks batches are drawn from.
    public let blocks: PackedBlocks
    /// Rows per batch.
    public let batchSize: Int
    /// The seed of the epoch orders.
    public let seed: UInt64
    /// Whether each epoch visits the blocks in a seeded random order.
    public let shuffle: Bool
    /// Full batches per epoch.
    public var batchesPerEpoch: Int { blocks.count / batchSize }

    private var epoch = 0
    private var batch = 0
    private var order: [Int] = []

    /// An iterator at epoch 0, batch 0. Throws when `batchSize` < 1 or there are fewer blocks than
    /// one batch.
    public init(blocks: PackedBlocks, batchSize: Int, seed: UInt64, shuffle: Bool = true) throws {
        guard batchSize >= 1 else {
            throw BatchingError.invalidOption(name: "batchSize", value: String(batchSize), reason: "must be at least 1")
        }
        guard blocks.count >= batchSize else {
            throw BatchingError.notEnoughBlocks(blocks: blocks.count, batchSize: batchSize)
        }
        self.blocks = blocks
        self.batchSize = batchSize
        self.seed = seed
        self.shuffle = shuffle
        order = Self.order(epoch: 0, count: blocks.count, seed: seed, shuffle: shuffle)
    }

    /// The position of the next batch.
    public var position: Position {
        Position(
            epoch: epoch, batch: batch, blockCount: blocks.count, batchSize: batchSize, seed: seed, shuffle: shuffle)
    }

    /// Moves to a saved position. Throws ``BatchingError/positionMismatch(reason:)`` when the position
    /// was saved by an iterator over other blocks, with another batch size, seed or shuffling, or is out
    /// of range.
    public mutating func restore(_ saved: Position) throws {
        if saved.blockCount != blocks.count {
            throw BatchingError.positionMismatch(
                reason: "saved for \(saved.blockCount) blocks, the data has \(blocks.count)")
        }
        if saved.batchSize != batchSize {
            throw BatchingError.positionMismatch(reason: "saved with batch size \(saved.batchSize), now \(batchSize)")
        }
        if saved.seed != seed || saved.shuffle != shuffle {
            throw BatchingError.positionMismatch(reason: "saved with another seed or shuffling")
        }
        guard saved.epoch >= 0, saved.batch >= 0, saved.batch < batchesPerEpoch else {
            throw BatchingError.positionMismatch(reason: "epoch \(saved.epoch), batch \(saved.batch) is out of range")
        }
        if saved.epoch != epoch {
            order = Self.order(epoch: saved.epoch, count: blocks.count, seed: seed, shuffle: shuffle)
        }
        epoch = saved.epoch
        batch = saved.batch
    }

    /// The next batch; after the last full batch of an epoch the next epoch starts.
    public mutating func next() -> Batch {
        let start = batch * batchSize
        let result = Batch(blocks: blocks, indices: Array(order[start..<(start + batchSize)]))
        batch += 1
        if batch == batchesPerEpoch {
            batch = 0
            epoch += 1
            order = Self.order(epoch: epoch, count: blocks.count, seed: seed, shuffle: shuffle)
        }
        return result
    }

    /// The block order of one epoch.
    static func order(epoch: Int, count: Int, seed: UInt64, shuffle: Bool) -> [Int] {
        guard shuffle else { return Array(0..<count) }
        var rng = KalamRandom(seed: seed).fork(stream: UInt64(epoch))
        return rng.permutation(count)
    }
}
