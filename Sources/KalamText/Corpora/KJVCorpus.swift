import Foundation
import KalamFiles

/// One verse of the King James Bible.
public struct KJVVerse: Sendable, Equatable, Hashable {
    /// The book's full name, e.g. `Genesis`, `1 Samuel`, `Song of Solomon`.
    public var book: String
    /// Chapter, from 1.
    public var chapter: Int
    /// Verse within the chapter, from 1.
    public var verse: Int
    /// The verse text.
    public var text: String

    /// A verse.
    public init(book: String, chapter: Int, verse: Int, text: String) {
        self.book = book
        self.chapter = chapter
        self.verse = verse
        self.text = text
    }

    /// `Book chapter:verse`, e.g. `John 3:16`.
    public var reference: String { "\(book) \(chapter):\(verse)" }
}

/// The King James Bible (31,102 verses) as plain text.
///
/// Debian's `bible-kjv-text` ships the text compressed in the `bible` program's own format
/// (`/usr/lib/bible.data`). `kalam data install kjv` also fetches Debian's `bible-kjv` (the program),
/// runs `bible -f -p <bible-kjv-text>/usr/lib Gen1:1-Rev22:21` (one verse per line, each preceded by a
/// reference such as `Ge1:1` or `1Sm3:4`), and writes two aligned files under `corpora/kjv/`:
/// `kjv.txt` (the verse texts, one per line) and `kjv-refs.tsv` (`book<TAB>chapter<TAB>verse` for the
/// same line). Book abbreviations are mapped to full names by their order of appearance.
public enum KJVCorpus {
    /// The corpus name used by `kalam data install` and ``CorpusCatalog``.
    public static let name = "kjv"
    /// The verse text file, one verse per line.
    public static let textFileName = "kjv.txt"
    /// The references file aligned line by line with ``textFileName``.
    public static let referencesFileName = "kjv-refs.tsv"
    /// Number of verses in the KJV.
    public static let verseCount = 31_102

    /// The 66 books in canonical order.
    public static let books: [String] = [
        "Genesis", "Exodus", "Leviticus", "Numbers", "Deuteronomy", "Joshua", "Judges", "Ruth",
        "1 Samuel", "2 Samuel", "1 Kings", "2 Kings", "1 Chronicles", "2 Chronicles", "Ezra", "Nehemiah",
        "Esther", "Job", "Psalms", "Proverbs", "Ecclesiastes", "Song of Solomon", "Isaiah", "Jeremiah",
        "Lamentations", "Ezekiel", "Daniel", "Hosea", "Joel", "Amos", "Obadiah", "Jonah", "Micah", "Nahum",
        "Habakkuk", "Zephaniah", "Haggai", "Zechariah", "Malachi",
        "Matthew", "Mark", "Luke", "John", "Acts", "Romans", "1 Corinthians", "2 Corinthians", "Galatians",
        "Ephesians", "Philippians", "Colossians", "1 Thessalonians", "2 Thessalonians", "1 Timothy",
        "2 Timothy", "Titus", "Philemon", "Hebrews", "James", "1 Peter", "2 Peter", "1 John", "2 John",
        "3 John", "Jude", "Revelation",
    ]

    /// The folder of the derived corpus: `corpora/kjv` in the data cache.
    public static var defaultDirectory: URL { DataDirectory.corpus(name) }

    /// Reads the verses from `kjv.txt` and `kjv-refs.tsv` in `directory`.
    public static func load(directory: URL = defaultDirectory) throws -> [KJVVerse] {
        let textURL = directory.appendingPathComponent(textFileName)
        let refsURL = directory.appendingPathComponent(referencesFileName)
        try CorpusFile.requireInstalled(textURL, corpus: name)
        try CorpusFile.requireInstalled(refsURL, corpus: name)
        let texts = CorpusFile.lines(try CorpusFile.text(textURL))
        let refs = CorpusFile.lines(try CorpusFile.text(refsURL))
        let textCount = texts.last == "" ? texts.count - 1 : texts.count
        let refCount = refs.last == "" ? refs.count - 1 : refs.count
        guard textCount > 0 else { throw CorpusError.empty(path: textURL.path) }
        guard refCount == textCount else {
            throw CorpusError.malformed(
                path: refsURL.path, line: min(refCount, textCount) + 1,
                reason: "\(refCount) references for \(textCount) verses")
        }
        var verses: [KJVVerse] = []
        verses.reserveCapacity(textCount)
        for i in 0..<textCount {
            let fields = refs[i].split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 3, let chapter = Int(fields[1]), let verse = Int(fields[2]) else {
                throw CorpusError.malformed(
                    path: refsURL.path, line: i + 1, reason: "expected book<TAB>chapter<TAB>verse")
            }
            verses.append(KJVVerse(book: String(fields[0]), chapter: chapter, verse: verse, text: String(texts[i])))
        }
        return verses
    }

    /// The verses as documents (id = reference), for training.
    public static func documents(directory: URL = defaultDirectory) throws -> [TextDocument] {
        try load(directory: directory).map { TextDocument(id: $0.reference, text: $0.text) }
    }

    /// Parses the output of `bible -f` (one verse per line, `Ge1:1 In the beginning …`); `path` names the
    /// source in errors. Abbreviations are mapped to ``books`` in order of appearance; more than 66
    /// distinct books is an error.
    public static func parseBibleDump(_ text: String, path: String) throws -> [KJVVerse] {
        var verses: [KJVVerse] = []
        var abbreviations: [String: String] = [:]
        var lastAbbreviation = ""
        for (index, line) in CorpusFile.lines(text).enumerated() where !line.isEmpty {
            guard let (abbreviation, chapter, verse, body) = splitReference(line) else {
                throw CorpusError.malformed(path: path, line: index + 1, reason: "expected a reference like Ge1:1")
            }
            if abbreviation != lastAbbreviation {
                guard abbreviations[abbreviation] == nil else {
                    throw CorpusError.malformed(
                        path: path, line: index + 1, reason: "book \(abbreviation) appears twice")
                }
                guard abbreviations.count < books.count else {
                    throw CorpusError.malformed(path: path, line: index + 1, reason: "more than 66 books")
                }
                abbreviations[abbreviation] = books[abbreviations.count]
                lastAbbreviation = abbreviation
            }
            verses.append(KJVVerse(book: abbreviations[abbreviation]!, chapter: chapter, verse: verse, text: body))
        }
        guard !verses.isEmpty else { throw CorpusError.empty(path: path) }
        return verses
    }

    /// Writes `kjv.txt` and `kjv-refs.tsv` into `directory` (each through a temporary file and a rename).
    public static func write(_ verses: [KJVVerse], to directory: URL) throws {
        try AtomicFile.createFolder(directory)
        var text = ""
        var refs = ""
        for verse in verses {
            text += verse.text
            text += "\n"
            refs += "\(verse.book)\t\(verse.chapter)\t\(verse.verse)\n"
        }
        try AtomicFile.write(text, to: directory.appendingPathComponent(textFileName))
        try AtomicFile.write(refs, to: directory.appendingPathComponent(referencesFileName))
    }

    /// `Ge1:1 text` → (`Ge`, 1, 1, `text`); a leading digit belongs to the book (`1Sm3:4`).
    private static func splitReference(_ line: Substring) -> (String, Int, Int, String)? {
        guard let space = line.firstIndex(of: " ") else { return nil }
        let ref = line[..<space]
        guard let colon = ref.firstIndex(of: ":") else { return nil }
        var bookEnd = ref.startIndex
        if bookEnd < ref.endIndex, ref[bookEnd].isNumber { bookEnd = ref.index(after: bookEnd) }
        while bookEnd < colon, ref[bookEnd].isLetter { bookEnd = ref.index(after: bookEnd) }
        guard bookEnd > ref.startIndex,
            let chapter = Int(ref[bookEnd..<colon]),
            let verse = Int(ref[ref.index(after: colon)...])
        else { return nil }
        return (String(ref[..<bookEnd]), chapter, verse, String(line[line.index(after: space)...]))
    }
}
