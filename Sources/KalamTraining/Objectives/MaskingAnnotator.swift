import Foundation
import KalamText

/// Turns text into ``MaskableSequence``s: token ids with the tokenizer's special tokens, each token's
/// word (from the tokenizer's pre-tokenisation, so it works for WordPiece and byte-level BPE alike) and,
/// with a tagger, its word's UPOS tag (the tagger's words aligned to the tokens by offsets).
///
/// Tagging is the slow part, so a corpus is annotated once (``annotate(_:)-([String])``) and the
/// sequences, tags included, are kept with the token ids for every epoch.
public struct MaskingAnnotator: Sendable {
    /// The tokenizer.
    public let tokenizer: PipelineTokenizer
    /// The part-of-speech tagger, or `nil` when tags are not needed.
    public let tagger: (any PartOfSpeechTagger)?
    /// The tokens in at most this many tokens per sequence, special tokens included (`nil`: no limit).
    public let maxLength: Int?
    /// The ids of the tokenizer's special tokens (never chosen, never drawn as replacements).
    public let specialTokenIds: Set<Int32>

    /// An annotator.
    public init(tokenizer: PipelineTokenizer, tagger: (any PartOfSpeechTagger)? = nil, maxLength: Int? = nil) {
        self.tokenizer = tokenizer
        self.tagger = tagger
        self.maxLength = maxLength
        self.specialTokenIds = Set(tokenizer.addedTokens.filter(\.special).map { Int32($0.id) })
    }

    /// The id of `token` in the tokenizer.
    /// - Throws: ``TrainingError/missingSpecialToken(token:purpose:)`` when it has none.
    public func requireId(of token: String, for purpose: String) throws -> Int32 {
        guard let id = tokenizer.id(of: token) else {
            throw TrainingError.missingSpecialToken(token: token, purpose: purpose)
        }
        return Int32(id)
    }

    /// The T5 sentinels `<extra_id_0>`, `<extra_id_1>`, … the tokenizer has, in order.
    /// - Throws: ``TrainingError/missingSpecialToken(token:purpose:)`` when it has not even `<extra_id_0>`.
    public func sentinelIds() throws -> [Int32] {
        var ids: [Int32] = []
        while let id = tokenizer.id(of: "<extra_id_\(ids.count)>") { ids.append(Int32(id)) }
        guard !ids.isEmpty else {
            throw TrainingError.missingSpecialToken(token: "<extra_id_0>", purpose: "span corruption sentinels")
        }
        return ids
    }

    /// One text as the model sees it (special tokens added), truncated to ``maxLength``.
    public func annotate(_ text: String, addSpecialTokens: Bool = true) -> MaskableSequence {
        var encoding = tokenizer.encode(text, pair: nil, addSpecialTokens: false)
        if let maxLength {
            let room = maxLength - (addSpecialTokens ? (tokenizer.postProcessor?.addedTokenCount(pair: false) ?? 0) : 0)
            if encoding.count > max(room, 0) { encoding.keep(0..<max(room, 0)) }
        }
        if addSpecialTokens, let post = tokenizer.postProcessor {
            encoding = post.process(encoding, nil, addSpecialTokens: true)
        }
        let ids = encoding.ids.map { Int32($0) }
        var words = [Int32](repeating: -1, count: ids.count)
        for i in ids.indices where encoding.specialTokensMask[i] == 0 && !specialTokenIds.contains(ids[i]) {
            if let w = encoding.wordIds[i] { words[i] = Int32(w) }
        }
        var tags: [UniversalTag?] = []
        if let tagger {
            tags = SubwordAlignment.universalTags(words: tagger.tag(text: text), tokens: encoding.offsetTuples)
            for i in ids.indices where words[i] < 0 { tags[i] = nil }
        }
        return MaskableSequence(ids: ids, words: words, tags: tags)
    }

    /// Every text annotated, on all cores (the once-per-corpus cache of ids, words and tags).
    public func annotate(_ texts: [String], addSpecialTokens: Bool = true) -> [MaskableSequence] {
        let chunks = max(1, min(ProcessInfo.processInfo.activeProcessorCount, texts.count / 64))
        var parts = [[MaskableSequence]](repeating: [], count: chunks)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = c * texts.count / chunks, hi = (c + 1) * texts.count / chunks
            let part = texts[lo..<hi].map { annotate($0, addSpecialTokens: addSpecialTokens) }
            lock.lock()
            parts[c] = part
            lock.unlock()
        }
        return parts.flatMap { $0 }
    }
}
