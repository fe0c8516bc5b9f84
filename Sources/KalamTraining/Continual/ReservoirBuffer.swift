import Foundation
import KalamCore

/// A replay memory of at most `capacity` examples, filled by reservoir sampling (Vitter's algorithm R)
/// over the stream of every training example seen: after `n` examples each of them is kept with
/// probability `capacity / n`. The decision for the `n`-th example draws from a generator forked from
/// the seed by `n`, so the buffer is a function of the seed and the stream, and a checkpoint needs only
/// the kept examples and the count seen.
public final class ReservoirBuffer {
    /// The most examples kept.
    public let capacity: Int
    /// The seed of the keep/replace decisions.
    public let seed: UInt64
    /// The examples kept, in slot order.
    public private(set) var examples: [ContinualExample] = []
    /// The number of examples offered so far.
    public private(set) var seen = 0

    /// An empty buffer.
    /// - Throws: ``ContinualError/invalidSetting(strategy:name:value:reason:)`` for a capacity below 1.
    public init(capacity: Int, seed: UInt64) throws {
        guard capacity >= 1 else {
            throw ContinualError.invalidSetting(
                strategy: "replay", name: "memory", value: "\(capacity)", reason: "must be at least 1 example")
        }
        self.capacity = capacity
        self.seed = seed
    }

    /// Offers one example: kept while the buffer is not full, else it replaces a uniformly chosen slot
    /// with probability `capacity / seen`.
    public func offer(_ example: ContinualExample) {
        seen += 1
        if examples.count < capacity {
            examples.append(example)
            return
        }
        var rng = KalamRandom(seed: seed).fork(stream: UInt64(seen))
        let j = rng.nextInt(below: seen)
        if j < capacity { examples[j] = example }
    }

    /// Offers every example in order.
    public func offer(_ examples: [ContinualExample]) {
        for example in examples { offer(example) }
    }

    /// `count` examples drawn uniformly with replacement by `rng` (none when the buffer is empty).
    public func sample(_ count: Int, rng: inout KalamRandom) -> [ContinualExample] {
        guard !examples.isEmpty else { return [] }
        return (0..<count).map { _ in examples[rng.nextInt(below: examples.count)] }
    }

    /// The buffer as checkpoint tensors under `prefix`: ids (concatenated), lengths, labels, tasks and
    /// the count seen (token ids and counts are exact in float32 below 2^24).
    public func stateTensors(prefix: String) -> [String: Tensor] {
        let ids = examples.flatMap { $0.ids.map(Float.init) }
        return [
            prefix + "ids": try! Tensor(ids, shape: [ids.count]),  // count matches the shape
            prefix + "lengths": try! Tensor(examples.map { Float($0.ids.count) }, shape: [examples.count]),
            prefix + "labels": try! Tensor(examples.map { Float($0.label) }, shape: [examples.count]),
            prefix + "tasks": try! Tensor(examples.map { Float($0.task) }, shape: [examples.count]),
            prefix + "seen": Tensor(scalar: Float(seen)),
        ]
    }

    /// Restores a buffer saved by ``stateTensors(prefix:)``; an empty state empties it.
    /// - Throws: ``TrainingError/corruptCheckpoint(path:reason:)`` when the tensors do not agree.
    public func restore(_ state: [String: Tensor], prefix: String) throws {
        guard let seenTensor = state[prefix + "seen"] else {
            examples = []
            seen = 0
            return
        }
        guard let ids = state[prefix + "ids"]?.scalars, let lengths = state[prefix + "lengths"]?.scalars,
            let labels = state[prefix + "labels"]?.scalars, let tasks = state[prefix + "tasks"]?.scalars,
            lengths.count == labels.count, labels.count == tasks.count, lengths.count <= capacity,
            Int(lengths.reduce(0, +)) == ids.count
        else {
            throw TrainingError.corruptCheckpoint(path: prefix, reason: "the replay buffer's tensors do not agree")
        }
        var restored: [ContinualExample] = []
        var offset = 0
        for i in lengths.indices {
            let n = Int(lengths[i])
            restored.append(
                ContinualExample(
                    ids: ids[offset..<(offset + n)].map { Int32($0) }, label: Int32(labels[i]), task: Int(tasks[i])))
            offset += n
        }
        examples = restored
        seen = Int(try seenTensor.item())
    }
}

/// The batches of one stage: the stage's examples epoch after epoch in a seeded order (the last
/// partial batch of an epoch kept), each batch followed by `replayRows` examples drawn from a replay
/// buffer when one is given and not empty. Draws come from a generator forked from the seed by the
/// batch's number, so the position (epoch, batch) is all a checkpoint needs.
public struct ContinualBatches: BatchSource {
    /// Where the source stands, and what it belongs to.
    public struct Position: Codable, Sendable, Equatable {
        /// The epoch, from 0.
        public var epoch: Int
        /// The next batch within the epoch.
        public var batch: Int
        /// Batches given so far.
        public var served: Int
        /// The number of examples of the source that saved it.
        public var exampleCount: Int
        /// Its batch size.
        public var batchSize: Int
        /// Its seed.
        public var seed: UInt64
    }

    /// The stage's examples.
    public let examples: [ContinualExample]
    /// Rows per batch from the stage's examples.
    public let batchSize: Int
    /// The seed of the epoch orders and replay draws.
    public let seed: UInt64
    /// Replay rows appended to each batch.
    public let replayRows: Int
    let buffer: ReservoirBuffer?
    let makeBatch: ([ContinualExample]) -> Batch
    private var epoch = 0
    private var batch = 0
    private var served = 0
    private var order: [Int]

    /// A source at epoch 0, batch 0.
    /// - Throws: ``ContinualError/notEnoughData(task:reason:)`` without examples.
    public init(
        examples: [ContinualExample], batchSize: Int, seed: UInt64, scenario: ContinualScenario,
        replay buffer: ReservoirBuffer? = nil, replayRows: Int = 0
    ) throws {
        guard !examples.isEmpty else { throw ContinualError.notEnoughData(task: "stage", reason: "has no examples") }
        guard batchSize >= 1 else {
            throw TrainingError.invalidOption(name: "batch size", value: "\(batchSize)", reason: "must be at least 1")
        }
        self.examples = examples
        self.batchSize = batchSize
        self.seed = seed
        self.buffer = buffer
        self.replayRows = replayRows
        makeBatch = scenario.batch
        order = ExampleBatches.order(epoch: 0, count: examples.count, seed: seed)
    }

    /// Batches per epoch.
    public var batchesPerEpoch: Int { (examples.count + batchSize - 1) / batchSize }

    public mutating func nextBatch() throws -> Batch {
        let start = batch * batchSize
        var rows = order[start..<min(start + batchSize, examples.count)].map { examples[$0] }
        if let buffer, replayRows > 0 {
            var rng = KalamRandom(seed: seed).fork(stream: 1 << 32 + UInt64(served))
            rows += buffer.sample(replayRows, rng: &rng)
        }
        served += 1
        batch += 1
        if batch == batchesPerEpoch {
            batch = 0
            epoch += 1
            order = ExampleBatches.order(epoch: epoch, count: examples.count, seed: seed)
        }
        return makeBatch(rows)
    }

    /// The position of the next batch.
    public var position: Position {
        Position(
            epoch: epoch, batch: batch, served: served, exampleCount: examples.count, batchSize: batchSize, seed: seed)
    }

    public func checkpointPosition() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(position)
    }

    public mutating func restore(checkpointPosition data: Data) throws {
        let saved = try JSONDecoder().decode(Position.self, from: data)
        guard saved.exampleCount == examples.count, saved.batchSize == batchSize, saved.seed == seed,
            saved.batch >= 0, saved.batch < batchesPerEpoch, saved.epoch >= 0
        else {
            throw BatchingError.positionMismatch(
                reason:
                    "saved for \(saved.exampleCount) examples, batch size \(saved.batchSize), seed \(saved.seed) at "
                    + "epoch \(saved.epoch) batch \(saved.batch); now \(examples.count), \(batchSize), \(seed)")
        }
        (epoch, batch, served) = (saved.epoch, saved.batch, saved.served)
        order = ExampleBatches.order(epoch: epoch, count: examples.count, seed: seed)
    }
}
