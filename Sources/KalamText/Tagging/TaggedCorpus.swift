/// Readers for tagged training data: CoNLL-U and `word/TAG` lines.
public enum TaggedCorpus {
    /// A sentence of `(word, tag)` pairs.
    public typealias Sentence = [(word: String, tag: String)]

    /// Which CoNLL-U column supplies the tag.
    public enum Column: Int, Sendable {
        /// Column 4, the UPOS tag.
        case upos = 3
        /// Column 5, the language-specific tag (XPOS, e.g. Penn Treebank).
        case xpos = 4
    }

    /// Parses CoNLL-U: one token per line with 10 tab-separated columns, sentences separated by blank
    /// lines, `#` comments skipped, multi-word token ranges (`1-2`) and empty nodes (`1.1`) skipped.
    ///
    /// Throws ``TaggerError/malformedTrainingData(line:reason:)`` for a token line without 10 columns
    /// or without an integer id, or with an empty or `_` tag.
    public static func parseCoNLLU(_ text: String, column: Column = .upos) throws -> [Sentence] {
        var sentences: [Sentence] = []
        var current: Sentence = []
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
            if trimmed.allSatisfy({ $0 == " " || $0 == "\t" }) {
                if !current.isEmpty { sentences.append(current) }
                current = []
                continue
            }
            if trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 10 else {
                throw TaggerError.malformedTrainingData(
                    line: lineNumber, reason: "expected 10 tab-separated columns, found \(fields.count)")
            }
            let id = fields[0]
            if id.contains("-") || id.contains(".") { continue }
            guard Int(id) != nil else {
                throw TaggerError.malformedTrainingData(line: lineNumber, reason: "token id '\(id)' is not an integer")
            }
            let tag = String(fields[column.rawValue])
            guard !tag.isEmpty, tag != "_" else {
                throw TaggerError.malformedTrainingData(
                    line: lineNumber, reason: "no tag in column \(column.rawValue + 1)")
            }
            current.append((String(fields[1]), tag))
        }
        if !current.isEmpty { sentences.append(current) }
        return sentences
    }

    /// Parses one sentence per line of space-separated `word/TAG` items (the tag follows the last `/`,
    /// so `1/2/NUM` is the word `1/2`). Blank lines are skipped.
    ///
    /// Throws ``TaggerError/malformedTrainingData(line:reason:)`` for an item with no `/`, or an empty
    /// word or tag.
    public static func parseSlashTagged(_ text: String) throws -> [Sentence] {
        var sentences: [Sentence] = []
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var sentence: Sentence = []
            for item in line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }) {
                guard let slash = item.lastIndex(of: "/") else {
                    throw TaggerError.malformedTrainingData(line: lineNumber, reason: "'\(item)' has no /TAG")
                }
                let word = item[..<slash], tag = item[item.index(after: slash)...]
                guard !word.isEmpty, !tag.isEmpty else {
                    throw TaggerError.malformedTrainingData(
                        line: lineNumber, reason: "'\(item)' needs a word and a tag")
                }
                sentence.append((String(word), String(tag)))
            }
            if !sentence.isEmpty { sentences.append(sentence) }
        }
        return sentences
    }

    /// Formats sentences as `word/TAG` lines (the inverse of ``parseSlashTagged(_:)``).
    public static func formatSlashTagged(_ sentences: [Sentence]) -> String {
        sentences.map { $0.map { "\($0.word)/\($0.tag)" }.joined(separator: " ") }.joined(separator: "\n") + "\n"
    }
}
