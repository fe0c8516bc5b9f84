import Foundation

/// A WordNet part of speech, as written in the `ss_type` field of the `data.*` files.
public enum WordNetPartOfSpeech: String, Sendable, CaseIterable {
    /// `n`
    case noun = "n"
    /// `v`
    case verb = "v"
    /// `a`
    case adjective = "a"
    /// `s`: an adjective satellite (listed in `data.adj`).
    case adjectiveSatellite = "s"
    /// `r`
    case adverb = "r"
}

/// One WordNet synset: its words, its definition and its example sentences.
public struct WordNetSynset: Sendable, Equatable, Hashable {
    /// Byte offset of the synset in its `data.*` file (WordNet's synset id within a part of speech).
    public var offset: Int
    /// Part of speech.
    public var partOfSpeech: WordNetPartOfSpeech
    /// The synset's words, underscores replaced by spaces (`physical entity`).
    public var words: [String]
    /// The definition: the gloss without its quoted examples.
    public var definition: String
    /// The example sentences: the double-quoted parts of the gloss, quotes removed.
    public var examples: [String]

    /// A synset.
    public init(offset: Int, partOfSpeech: WordNetPartOfSpeech, words: [String], definition: String, examples: [String])
    {
        self.offset = offset
        self.partOfSpeech = partOfSpeech
        self.words = words
        self.definition = definition
        self.examples = examples
    }
}

/// WordNet 3.0 glosses and example sentences from Debian's `wordnet-base`
/// (`usr/share/wordnet/data.{noun,verb,adj,adv}`): 117,659 synsets, 48,339 quoted examples.
///
/// Each data line is `offset lex_filenum ss_type w_cnt word lex_id … p_cnt pointers … | gloss`
/// (see wndb(5WN)); lines starting with two spaces are the licence header and are skipped.
public enum WordNetCorpus {
    /// The corpus name used by `kalam data install`.
    public static let name = "wordnet"
    /// The data files read, in this order.
    public static let dataFiles = ["data.noun", "data.verb", "data.adj", "data.adv"]

    /// `usr/share/wordnet` inside the installed `wordnet-base` package.
    public static var defaultDirectory: URL {
        DataDirectory.debian("wordnet-base").appendingPathComponent("usr/share/wordnet", isDirectory: true)
    }

    /// Reads every synset of the four data files in `directory`.
    public static func load(directory: URL = defaultDirectory) throws -> [WordNetSynset] {
        var synsets: [WordNetSynset] = []
        for file in dataFiles {
            let url = directory.appendingPathComponent(file)
            try CorpusFile.requireInstalled(url, corpus: name)
            synsets += try parse(CorpusFile.text(url), path: url.path)
        }
        guard !synsets.isEmpty else { throw CorpusError.empty(path: directory.path) }
        return synsets
    }

    /// The definitions as documents (id `n/00001740`, label = part of speech).
    public static func glossDocuments(directory: URL = defaultDirectory) throws -> [TextDocument] {
        try load(directory: directory).map {
            TextDocument(
                id: "\($0.partOfSpeech.rawValue)/\($0.offset)", text: $0.definition, label: $0.partOfSpeech.rawValue)
        }
    }

    /// The example sentences as documents (id `v/00002325#0`, label = part of speech).
    public static func exampleDocuments(directory: URL = defaultDirectory) throws -> [TextDocument] {
        try load(directory: directory).flatMap { synset in
            synset.examples.enumerated().map { index, example in
                TextDocument(
                    id: "\(synset.partOfSpeech.rawValue)/\(synset.offset)#\(index)", text: example,
                    label: synset.partOfSpeech.rawValue)
            }
        }
    }

    /// Parses the text of one `data.*` file; `path` names it in errors.
    public static func parse(_ text: String, path: String) throws -> [WordNetSynset] {
        var synsets: [WordNetSynset] = []
        for (index, line) in CorpusFile.lines(text).enumerated() where !line.isEmpty && !line.hasPrefix("  ") {
            synsets.append(try parseLine(line, lineNumber: index + 1, path: path))
        }
        return synsets
    }

    private static func parseLine(_ line: Substring, lineNumber: Int, path: String) throws -> WordNetSynset {
        func fail(_ reason: String) -> CorpusError {
            .malformed(path: path, line: lineNumber, reason: reason)
        }
        guard let bar = line.range(of: " | ") else { throw fail("no ' | ' before the gloss") }
        let fields = line[..<bar.lowerBound].split(separator: " ")
        guard fields.count >= 4, let offset = Int(fields[0]),
            let pos = WordNetPartOfSpeech(rawValue: String(fields[2])),
            let wordCount = Int(fields[3], radix: 16), fields.count >= 4 + 2 * wordCount
        else {
            throw fail("bad synset header")
        }
        var words: [String] = []
        for k in 0..<wordCount {
            var word = fields[4 + 2 * k]
            // Adjectives may carry a syntactic marker: `word(p)`, `word(a)`, `word(ip)`.
            if pos == .adjective || pos == .adjectiveSatellite, word.hasSuffix(")"), let open = word.lastIndex(of: "(")
            {
                word = word[..<open]
            }
            words.append(word.replacingOccurrences(of: "_", with: " "))
        }
        let (definition, examples) = splitGloss(line[bar.upperBound...])
        return WordNetSynset(
            offset: offset, partOfSpeech: pos, words: words, definition: definition, examples: examples)
    }

    /// Splits a gloss into its definition (text outside double quotes, `;` separators trimmed) and its
    /// examples (each double-quoted span).
    static func splitGloss(_ gloss: Substring) -> (String, [String]) {
        var examples: [String] = []
        var definition = ""
        var rest = gloss[...]
        while let open = rest.firstIndex(of: "\"") {
            definition += rest[..<open]
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: "\"") else {
                definition += rest[open...]
                rest = rest[rest.endIndex...]
                break
            }
            examples.append(String(rest[afterOpen..<close]))
            rest = rest[rest.index(after: close)...]
        }
        definition += rest
        let trimSet = CharacterSet.whitespaces.union(CharacterSet(charactersIn: ";"))
        return (definition.trimmingCharacters(in: trimSet), examples)
    }
}
