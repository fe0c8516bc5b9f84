import Foundation

/// Named corpora for training and evaluation (`--corpus kjv`), or a path to the user's own text.
public enum CorpusCatalog {
    /// A corpus known by name: what it reads and which installed data set it needs.
    public struct Entry: Sendable {
        /// The name given on the command line.
        public let name: String
        /// One line on what the documents are.
        public let summary: String
        /// The `kalam data install` name of the data set it reads.
        public let dataSet: String
        let load: @Sendable () throws -> [TextDocument]
    }

    /// Every named corpus.
    public static let entries: [Entry] = [
        Entry(name: "kjv", summary: "King James Bible, one document per verse (31,102)", dataSet: "kjv") {
            try KJVCorpus.documents()
        },
        Entry(name: "wordnet-glosses", summary: "WordNet 3.0 definitions, one per synset (117,659)", dataSet: "wordnet")
        {
            try WordNetCorpus.glossDocuments()
        },
        Entry(name: "wordnet-examples", summary: "WordNet 3.0 example sentences (48,339)", dataSet: "wordnet") {
            try WordNetCorpus.exampleDocuments()
        },
        Entry(name: "fortunes", summary: "fortune quotations, label = file (14,396)", dataSet: "fortunes") {
            try FortuneCorpus.documents()
        },
        Entry(name: "bbc-news", summary: "BBC News articles, label = topic (2,225 in 5 topics)", dataSet: "bbc-news") {
            try BBCNewsCorpus.documents()
        },
        Entry(name: "chatterbot-en", summary: "chatterbot English conversations, label = topic", dataSet: "chatterbot")
        {
            try ChatterbotCorpus.documents(language: "english")
        },
        Entry(name: "chatterbot-fa", summary: "chatterbot Persian conversations, label = topic", dataSet: "chatterbot")
        {
            try ChatterbotCorpus.documents(language: "persian")
        },
        Entry(name: "hafez", summary: "Hafez's ghazals (Persian), one document per poem (495)", dataSet: "hafez") {
            try HafezCorpus.poemDocuments()
        },
    ]

    /// The names of ``entries``.
    public static var names: [String] { entries.map(\.name) }

    /// The documents of a named corpus, or of a file or folder when `nameOrPath` is not a name:
    /// `.jsonl` files are read with ``JSONLCorpus`` (field `text`), anything else with
    /// ``PlainTextCorpus`` (one document per paragraph). Neither a name nor an existing path is
    /// ``CorpusError/unknownCorpus(name:known:)``.
    public static func documents(_ nameOrPath: String) throws -> [TextDocument] {
        if let entry = entries.first(where: { $0.name == nameOrPath }) { return try entry.load() }
        let url = URL(fileURLWithPath: nameOrPath)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw CorpusError.unknownCorpus(name: nameOrPath, known: names)
        }
        if url.pathExtension.lowercased() == "jsonl" { return try JSONLCorpus.load(url) }
        return try PlainTextCorpus.load(url, split: .paragraphs)
    }
}
