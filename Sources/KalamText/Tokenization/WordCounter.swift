import Foundation

/// Counts the pre-tokenized words of a corpus as a trainer sees them: each text is normalized and
/// pre-tokenized, and for byte-level pre-tokenizers each word is written in GPT-2's byte alphabet.
public struct WordCounter: Sendable {
    /// Normalizer applied to each text.
    public let normalizer: (any Normalizer)?
    /// Pre-tokenizer applied after normalization.
    public let preTokenizer: (any PreTokenizer)?
    /// Word (as symbols) → count.
    public private(set) var counts: [[UInt32]: Int] = [:]

    /// Creates an empty counter.
    public init(normalizer: (any Normalizer)?, preTokenizer: (any PreTokenizer)?) {
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
    }

    /// Adds the words of one text.
    public mutating func add(_ text: String) {
        var norm = NormalizedText(text)
        normalizer?.normalize(&norm)
        preTokenizer?.prepare(&norm)
        var words: [Range<Int>] = []
        norm.scalars.withUnsafeBufferPointer { s in
            if let p = preTokenizer {
                p.split(s, 0..<s.count, into: &words)
            } else if s.count > 0 {
                words.append(0..<s.count)
            }
        }
        let byteLevel = preTokenizer?.isByteLevel ?? false
        var symbols: [UInt32] = []
        for r in words {
            symbols.removeAll(keepingCapacity: true)
            if byteLevel {
                for k in r {
                    guard let u = Unicode.Scalar(norm.scalars[k]) else { continue }
                    for b in String(Character(u)).utf8 { symbols.append(ByteAlphabet.byteToScalar[Int(b)]) }
                }
            } else {
                symbols.append(contentsOf: norm.scalars[r])
            }
            counts[symbols, default: 0] += 1
        }
    }

    /// Adds the counts of another counter.
    public mutating func merge(_ other: WordCounter) {
        for (w, c) in other.counts { counts[w, default: 0] += c }
    }

    /// Counts the words of many texts, splitting the work over `threads` threads.
    public static func count(
        _ texts: [String], normalizer: (any Normalizer)?, preTokenizer: (any PreTokenizer)?,
        threads: Int = ProcessInfo.processInfo.activeProcessorCount
    ) -> WordCounter {
        let n = max(1, min(threads, texts.count / 256 + 1))
        var parts = [WordCounter](repeating: WordCounter(normalizer: normalizer, preTokenizer: preTokenizer), count: n)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: n) { k in
            var c = WordCounter(normalizer: normalizer, preTokenizer: preTokenizer)
            var i = k
            while i < texts.count {
                c.add(texts[i])
                i += n
            }
            lock.lock()
            parts[k] = c
            lock.unlock()
        }
        var total = parts[0]
        for p in parts.dropFirst() { total.merge(p) }
        return total
    }
}
