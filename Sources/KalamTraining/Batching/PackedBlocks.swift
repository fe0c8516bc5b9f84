/// How token streams are cut into blocks.
public struct BlockPacking: Sendable, Equatable {
    /// Tokens the model sees per row; a block holds `contextLength + 1` tokens so that the targets
    /// are the inputs shifted by one.
    public var contextLength: Int
    /// Keep every block inside one document (needed by objectives that must not see across documents,
    /// such as MLM on sentences); when `false` the documents are concatenated into one stream.
    public var respectDocumentBoundaries: Bool
    /// A token placed after every document when concatenating (an end-of-text id), or `nil`.
    public var separator: Int32?
    /// With document boundaries respected: the token that pads a document's last, short block (its
    /// targets are ignored), or `nil` to drop that remainder. Unused when concatenating.
    public var padToken: Int32?

    /// Packing options; see the properties.
    public init(
        contextLength: Int, respectDocumentBoundaries: Bool = false, separator: Int32? = nil, padToken: Int32? = nil
    ) {
        self.contextLength = contextLength
        self.respectDocumentBoundaries = respectDocumentBoundaries
        self.separator = separator
        self.padToken = padToken
    }

    /// `contextLength + 1`.
    public var blockLength: Int { contextLength + 1 }
}

/// Token ids cut into fixed-length blocks, stored flat: block `i` is
/// `tokens[i * blockLength ..< (i + 1) * blockLength]`, of which the first `lengths[i]` tokens are real
/// and the rest padding.
///
/// A stream of `n` tokens gives `(n - 1) / contextLength` blocks with a stride of `contextLength`:
/// consecutive blocks share one token, so every token after the first is a target exactly once.
/// The final tokens that do not fill a block are dropped (or, per document, padded; see
/// ``BlockPacking/padToken``).
public struct PackedBlocks: Sendable, Equatable {
    /// Tokens per block (`contextLength + 1`).
    public let blockLength: Int
    /// All blocks, concatenated.
    public private(set) var tokens: [Int32]
    /// The number of real (non-padding) tokens in each block.
    public private(set) var lengths: [Int32]

    /// The number of blocks.
    public var count: Int { lengths.count }
    /// Context length (`blockLength - 1`).
    public var contextLength: Int { blockLength - 1 }

    /// Block `index` (real tokens and padding).
    public func block(_ index: Int) -> ArraySlice<Int32> {
        tokens[(index * blockLength)..<((index + 1) * blockLength)]
    }

    /// Blocks from already cut data (`tokens.count` must be `lengths.count * blockLength`).
    init(blockLength: Int, tokens: [Int32], lengths: [Int32]) {
        self.blockLength = blockLength
        self.tokens = tokens
        self.lengths = lengths
    }

    /// Packs tokenized documents into blocks.
    ///
    /// Throws ``BatchingError/emptyCorpus`` when there are no tokens, and
    /// ``BatchingError/corpusShorterThanBlock(tokens:blockLength:)`` when no block can be made.
    public init(documents: [[Int32]], packing: BlockPacking) throws {
        guard packing.contextLength >= 1 else {
            throw BatchingError.invalidOption(
                name: "contextLength", value: String(packing.contextLength), reason: "must be at least 1")
        }
        let total = documents.reduce(0) { $0 + $1.count }
        guard total > 0 else { throw BatchingError.emptyCorpus }
        let blockLength = packing.blockLength
        var tokens: [Int32] = []
        var lengths: [Int32] = []
        if packing.respectDocumentBoundaries {
            for document in documents {
                var stream = document
                if let separator = packing.separator { stream.append(separator) }
                Self.cut(stream, blockLength: blockLength, pad: packing.padToken, into: &tokens, lengths: &lengths)
            }
        } else {
            var stream: [Int32] = []
            stream.reserveCapacity(total + (packing.separator == nil ? 0 : documents.count))
            for document in documents {
                stream += document
                if let separator = packing.separator { stream.append(separator) }
            }
            Self.cut(stream, blockLength: blockLength, pad: nil, into: &tokens, lengths: &lengths)
        }
        guard !lengths.isEmpty else {
            let streamLength = total + (packing.separator == nil ? 0 : documents.count)
            throw BatchingError.corpusShorterThanBlock(tokens: streamLength, blockLength: blockLength)
        }
        self.init(blockLength: blockLength, tokens: tokens, lengths: lengths)
    }

    /// Appends the blocks of one stream (stride `blockLength - 1`); a remainder with at least one
    /// target is padded with `pad`, or dropped when `pad` is `nil`.
    private static func cut(
        _ stream: [Int32], blockLength: Int, pad: Int32?, into tokens: inout [Int32], lengths: inout [Int32]
    ) {
        let stride = blockLength - 1
        var start = 0
        while start + blockLength <= stream.count {
            tokens += stream[start..<(start + blockLength)]
            lengths.append(Int32(blockLength))
            start += stride
        }
        let remaining = stream.count - start
        if let pad, remaining >= 2 {
            tokens += stream[start...]
            tokens += repeatElement(pad, count: blockLength - remaining)
            lengths.append(Int32(remaining))
        }
    }

    /// The blocks at `indices`, in that order.
    public func subset(_ indices: [Int]) -> PackedBlocks {
        var tokens: [Int32] = []
        tokens.reserveCapacity(indices.count * blockLength)
        for index in indices { tokens += block(index) }
        return PackedBlocks(blockLength: blockLength, tokens: tokens, lengths: indices.map { lengths[$0] })
    }

    /// Every block in order as batches of up to `batchSize` rows (the last batch may be smaller), for
    /// evaluation.
    public func sequentialBatches(batchSize: Int) throws -> [Batch] {
        guard batchSize >= 1 else {
            throw BatchingError.invalidOption(name: "batchSize", value: String(batchSize), reason: "must be at least 1")
        }
        return stride(from: 0, to: count, by: batchSize).map { start in
            Batch(blocks: self, indices: Array(start..<min(start + batchSize, count)))
        }
    }
}
