import Foundation
import KalamText

/// A corpus made ready for language-model training: documents split into training and validation
/// (the last `validationFraction` of the documents, like nanoGPT's split, so the same corpus always
/// gives the same validation set), tokenized, and packed into blocks of the context length with an
/// end-of-text token between documents.
public struct LanguageModelData: Sendable {
    /// Training blocks.
    public let train: PackedBlocks
    /// Validation blocks.
    public let validation: PackedBlocks
    /// Tokens in the training documents (separators included).
    public let trainTokenCount: Int
    /// Tokens in the validation documents (separators included).
    public let validationTokenCount: Int

    /// Splits, tokenizes and packs `documents`.
    /// - Parameters:
    ///   - endOfText: the id placed after every document (`<|endoftext|>`), or `nil`.
    /// - Throws: `BatchingError.emptyCorpus` when the documents hold no tokens,
    ///   `BatchingError.corpusShorterThanBlock` when a side has fewer tokens than one block,
    ///   `BatchingError.emptySplit` / `.invalidOption` for a bad fraction.
    public init(
        documents: [TextDocument], tokenizer: PipelineTokenizer, contextLength: Int,
        validationFraction: Double = 0.05, endOfText: Int32?
    ) throws {
        let ids = Self.tokenize(documents.map(\.text), tokenizer: tokenizer)
        guard ids.contains(where: { !$0.isEmpty }) else { throw BatchingError.emptyCorpus }
        let packing = BlockPacking(contextLength: contextLength, separator: endOfText)
        let (trainIds, validationIds): ([[Int32]], [[Int32]])
        if ids.count == 1 {
            // One document (a single paragraph): split its tokens instead.
            let all = ids[0]
            let cut = all.count - max(1, Int((Double(all.count) * validationFraction).rounded()))
            (trainIds, validationIds) = ([Array(all[..<max(cut, 0)])], [Array(all[max(cut, 0)...])])
        } else {
            (trainIds, validationIds) = try TrainValidationSplit.split(ids, validationFraction: validationFraction)
        }
        train = try PackedBlocks(documents: trainIds, packing: packing)
        validation = try PackedBlocks(documents: validationIds, packing: packing)
        let extra = endOfText == nil ? 0 : 1
        trainTokenCount = trainIds.reduce(0) { $0 + $1.count + extra }
        validationTokenCount = validationIds.reduce(0) { $0 + $1.count + extra }
    }

    /// Token ids of each text (no special tokens added), tokenized on all cores.
    public static func tokenize(_ texts: [String], tokenizer: PipelineTokenizer) -> [[Int32]] {
        let chunks = max(1, min(ProcessInfo.processInfo.activeProcessorCount, texts.count / 64))
        var parts = [[[Int32]]](repeating: [], count: chunks)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = c * texts.count / chunks, hi = (c + 1) * texts.count / chunks
            let part = texts[lo..<hi].map { tokenizer.encodeIds($0).map { Int32($0) } }
            lock.lock()
            parts[c] = part
            lock.unlock()
        }
        return parts.flatMap { $0 }
    }
}
