import Foundation
import KalamText

/// Sequences for masked or span-corruption training, one per block, with the word boundaries and tags
/// the masking needs cached beside the token ids (so a corpus is tagged once, not once per batch).
///
/// Each ``MaskableSequence`` (at most `contextLength` tokens; longer ones are cut) becomes one block,
/// padded with `padId`; batches carry the rows' words and tags (``Batch/words``, ``Batch/tags``).
public struct AnnotatedBlocks: Sendable {
    /// The token ids as blocks (one sequence per block).
    public let blocks: PackedBlocks
    /// Word index per block token (`blocks.tokens` layout), −1 where never a target.
    public let words: [Int32]
    /// UPOS per block token, or empty when untagged.
    public let tags: [UniversalTag?]

    /// The sequences as blocks of `contextLength` tokens.
    /// - Throws: ``BatchingError/emptyCorpus`` when no sequence has two tokens or more.
    public init(sequences: [MaskableSequence], contextLength: Int, padId: Int32) throws {
        guard contextLength >= 2 else {
            throw BatchingError.invalidOption(
                name: "contextLength", value: String(contextLength), reason: "must be at least 2")
        }
        let blockLength = contextLength + 1
        let kept = sequences.filter { $0.ids.count >= 2 }
        guard !kept.isEmpty else { throw BatchingError.emptyCorpus }
        let tagged = kept.contains { !$0.tags.isEmpty }
        var tokens: [Int32] = [], lengths: [Int32] = [], words: [Int32] = [], tags: [UniversalTag?] = []
        tokens.reserveCapacity(kept.count * blockLength)
        for sequence in kept {
            let n = min(sequence.ids.count, contextLength)
            tokens += sequence.ids[..<n] + repeatElement(padId, count: blockLength - n)
            words += sequence.words[..<n] + repeatElement(-1, count: blockLength - n)
            if tagged {
                let own = sequence.tags.isEmpty ? [UniversalTag?](repeating: nil, count: n) : Array(sequence.tags[..<n])
                tags += own + repeatElement(nil, count: blockLength - n)
            }
            lengths.append(Int32(n))
        }
        self.blocks = PackedBlocks(blockLength: blockLength, tokens: tokens, lengths: lengths)
        self.words = words
        self.tags = tags
    }

    /// `batch` (made from ``blocks``) with its rows' words and tags attached.
    public func annotate(_ batch: Batch) -> Batch {
        var out = batch
        let t = batch.contextLength, blockLength = blocks.blockLength
        var w: [Int32] = []
        var g: [UniversalTag?] = []
        w.reserveCapacity(batch.batchSize * t)
        for index in batch.blockIndices {
            w += words[(index * blockLength)..<(index * blockLength + t)]
            if !tags.isEmpty { g += tags[(index * blockLength)..<(index * blockLength + t)] }
        }
        out.words = w
        out.tags = tags.isEmpty ? nil : g
        return out
    }

    /// Every block in order, as annotated batches of up to `batchSize` rows (for evaluation).
    public func sequentialBatches(batchSize: Int) throws -> [Batch] {
        try blocks.sequentialBatches(batchSize: batchSize).map(annotate)
    }

    /// The natural log of each token's share of the eligible tokens (word index ≥ 0, so no special or
    /// padding token), add-one smoothed over the vocabulary: `log((count + 1) / (N + V))`. As a
    /// masked-LM decoder's starting bias it makes an untrained model predict the unigram distribution,
    /// so training starts past the steps that would learn it (see
    /// ``MaskedLMObjective/startDecoderBiasAtUnigram(of:)``).
    /// - Throws: ``TrainingError/invalidOption(name:value:reason:)`` for a vocabulary below 1 or a
    ///   token outside it.
    public func logUnigramFrequencies(vocabularySize: Int) throws -> [Float] {
        guard vocabularySize >= 1 else {
            throw TrainingError.invalidOption(
                name: "vocabulary size", value: "\(vocabularySize)", reason: "must be at least 1")
        }
        var counts = [Double](repeating: 1, count: vocabularySize)
        for i in words.indices where words[i] >= 0 {
            let id = Int(blocks.tokens[i])
            guard id >= 0, id < vocabularySize else {
                throw TrainingError.invalidOption(
                    name: "token id", value: "\(id)", reason: "outside the vocabulary of \(vocabularySize)")
            }
            counts[id] += 1
        }
        let total = counts.reduce(0, +)
        return counts.map { Float(Foundation.log($0 / total)) }
    }

    /// A seeded training source over the blocks (``BatchIterator``'s order, annotations attached).
    public func iterator(batchSize: Int, seed: UInt64) throws -> AnnotatedBatchIterator {
        AnnotatedBatchIterator(
            blocks: self, iterator: try BatchIterator(blocks: blocks, batchSize: batchSize, seed: seed))
    }
}

/// A ``BatchIterator`` over ``AnnotatedBlocks`` whose batches carry words and tags; its position is the
/// inner iterator's, so a resumed run sees the batches (and, with the trainer's generator, the masks)
/// the uninterrupted run saw.
public struct AnnotatedBatchIterator: BatchSource, Sendable {
    /// The blocks and their annotations.
    public let blocks: AnnotatedBlocks
    /// The order of the blocks.
    public var iterator: BatchIterator

    /// The next annotated batch.
    public mutating func nextBatch() throws -> Batch { blocks.annotate(iterator.next()) }

    /// The inner iterator's position.
    public func checkpointPosition() throws -> Data { try iterator.checkpointPosition() }

    /// Restores the inner iterator's position.
    public mutating func restore(checkpointPosition data: Data) throws {
        try iterator.restore(checkpointPosition: data)
    }
}

/// A corpus made ready for masked or span-corruption pretraining: documents split into training and
/// validation (the last `validationFraction`, as ``LanguageModelData`` splits), each document annotated
/// once (``MaskingAnnotator``) and made one block.
public struct AnnotatedData: Sendable {
    /// Training blocks.
    public let train: AnnotatedBlocks
    /// Validation blocks.
    public let validation: AnnotatedBlocks

    /// Splits and annotates `documents`.
    /// - Parameters:
    ///   - addSpecialTokens: add the tokenizer's special tokens (BERT's `[CLS]`/`[SEP]`); T5's span
    ///     corruption takes the text tokens only.
    ///   - pack: join consecutive documents of each split into sequences of up to `contextLength`
    ///     tokens (as BERT's pretraining data fills each sequence with consecutive sentences), so a
    ///     step sees full sequences rather than one short verse per row, and cut longer documents at
    ///     word boundaries into several sequences; `false` keeps one document per sequence
    ///     (truncated). Validation documents are packed among themselves, never with training ones.
    /// - Throws: `BatchingError` for an empty corpus or split.
    public init(
        documents: [TextDocument], annotator: MaskingAnnotator, contextLength: Int, padId: Int32,
        validationFraction: Double = 0.05, addSpecialTokens: Bool, pack: Bool = true
    ) throws {
        var (train, validation) = try TrainValidationSplit.split(
            documents.map(\.text), validationFraction: validationFraction)
        if pack {
            let special = addSpecialTokens ? (annotator.tokenizer.postProcessor?.addedTokenCount(pair: false) ?? 0) : 0
            let budget = max(1, contextLength - special)
            train = Self.pack(train, tokenizer: annotator.tokenizer, budget: budget)
            validation = Self.pack(validation, tokenizer: annotator.tokenizer, budget: budget)
        }
        self.train = try AnnotatedBlocks(
            sequences: annotator.annotate(train, addSpecialTokens: addSpecialTokens), contextLength: contextLength,
            padId: padId)
        self.validation = try AnnotatedBlocks(
            sequences: annotator.annotate(validation, addSpecialTokens: addSpecialTokens),
            contextLength: contextLength, padId: padId)
    }

    /// Consecutive texts joined by a space while their token counts add up to at most `budget`. A text
    /// longer than the budget is first cut at word boundaries into pieces of at most `budget` tokens, so
    /// that a long document fills several sequences instead of losing all but its first `budget` tokens
    /// (a single word longer than the budget is a piece of its own, truncated when annotated).
    public static func pack(_ texts: [String], tokenizer: PipelineTokenizer, budget: Int) -> [String] {
        var units = [[(text: String, count: Int)]](repeating: [], count: texts.count)
        units.withUnsafeMutableBufferPointer { out in
            let chunks = max(1, min(ProcessInfo.processInfo.activeProcessorCount, texts.count / 256))
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                for i in (c * texts.count / chunks)..<((c + 1) * texts.count / chunks) {
                    out[i] = pieces(of: texts[i], tokenizer: tokenizer, budget: budget)
                }
            }
        }
        var packed: [String] = []
        var current: [String] = [], used = 0
        for (text, count) in units.joined() {
            if !current.isEmpty, used + count > budget {
                packed.append(current.joined(separator: " "))
                (current, used) = ([], 0)
            }
            current.append(text)
            used += count
        }
        if !current.isEmpty { packed.append(current.joined(separator: " ")) }
        return packed
    }

    /// `text` whole with its token count when it fits `budget`; otherwise cut before the first token of
    /// a word, each piece holding at most `budget` tokens (a longer single word is one piece).
    static func pieces(of text: String, tokenizer: PipelineTokenizer, budget: Int) -> [(text: String, count: Int)] {
        let encoding = tokenizer.encode(text, pair: nil, addSpecialTokens: false)
        let count = encoding.ids.count
        guard count > budget, budget > 0 else { return [(text, count)] }
        let scalars = Array(text.unicodeScalars)
        func slice(_ from: Int, _ to: Int) -> String {
            var piece = String.UnicodeScalarView()
            piece.append(contentsOf: scalars[min(from, scalars.count)..<min(max(from, to), scalars.count)])
            return String(piece).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let words = encoding.wordIds
        var result: [(text: String, count: Int)] = []
        var first = 0
        while first < count {
            var end = first + budget
            if end >= count {
                end = count
            } else {
                // Back to the start of the word that token `end` belongs to; past it when one word
                // alone is longer than the budget.
                var cut = end
                while cut > first, words[cut] != nil, words[cut] == words[cut - 1] { cut -= 1 }
                if cut == first {
                    while end < count, words[end] != nil, words[end] == words[end - 1] { end += 1 }
                } else {
                    end = cut
                }
            }
            let from = encoding.offsets[first].start
            let to = end < count ? encoding.offsets[end].start : scalars.count
            let piece = slice(from, to)
            if !piece.isEmpty { result.append((piece, end - first)) }
            first = end
        }
        return result
    }
}
