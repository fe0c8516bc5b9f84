import Foundation
import KalamFiles

/// The weights of an averaged-perceptron tagger, in the JSON layout `denckring-en-pos` ships.
///
/// The file is one JSON object (optionally gzip-compressed):
/// `{"classes": [label…], "tagdict": {word: label}, "vocabulary": [word…],
///   "weights": {feature: {label: weight}}}`.
/// Feature strings follow ``PerceptronTagger``'s template (`"suf3 ing"`, `"t-1 w DET|- dog"`, …);
/// labels are usually UPOS tags, optionally joined to a UD verb form (`"VERB|Fin"`).
public struct PerceptronModel: Codable, Equatable, Sendable {
    /// Every label the model can output.
    public var classes: [String]
    /// Words (lower-cased) tagged without the model because training saw them with one label only.
    public var tagdict: [String: String]
    /// Lower-cased words seen in training (used to say whether a word is known).
    public var vocabulary: [String]
    /// Feature → label → weight.
    public var weights: [String: [String: Double]]

    /// Makes a model from its parts; ``validate(path:)`` checks their consistency.
    public init(classes: [String], tagdict: [String: String], vocabulary: [String], weights: [String: [String: Double]])
    {
        self.classes = classes
        self.tagdict = tagdict
        self.vocabulary = vocabulary
        self.weights = weights
    }

    /// Checks that every label used by `tagdict` and `weights` is one of `classes`.
    ///
    /// Throws ``TaggerError/corruptModel(path:reason:)`` for an empty class list and
    /// ``TaggerError/tagSetMismatch(label:tagSet:known:)`` for a label outside it.
    public func validate(path: String = "<memory>") throws {
        guard !classes.isEmpty else { throw TaggerError.corruptModel(path: path, reason: "no classes") }
        let known = Set(classes)
        guard known.count == classes.count else {
            throw TaggerError.corruptModel(path: path, reason: "duplicate classes")
        }
        for (_, label) in tagdict where !known.contains(label) {
            throw TaggerError.tagSetMismatch(label: label, tagSet: "model classes", known: classes.sorted())
        }
        for (_, row) in weights {
            for (label, weight) in row {
                guard known.contains(label) else {
                    throw TaggerError.tagSetMismatch(label: label, tagSet: "model classes", known: classes.sorted())
                }
                guard weight.isFinite else {
                    throw TaggerError.corruptModel(path: path, reason: "non-finite weight for \(label)")
                }
            }
        }
    }

    /// Reads a model from JSON bytes, gunzipping first when the bytes start with the gzip magic.
    public init(data: Data, path: String = "<memory>") throws {
        var json = data
        if Gzip.isGzip(data) {
            do {
                json = try Gzip.decompress(data)
            } catch let error as GzipError {
                throw TaggerError.corruptModel(path: path, reason: error.description)
            }
        }
        do {
            self = try JSONDecoder().decode(PerceptronModel.self, from: json)
        } catch let error as DecodingError {
            throw TaggerError.corruptModel(path: path, reason: Self.describe(error))
        } catch {
            throw TaggerError.corruptModel(path: path, reason: "\(error)")
        }
        try validate(path: path)
    }

    /// Reads a model file (`.json` or gzip-compressed `.json.gz`).
    public init(contentsOf url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { throw TaggerError.fileNotFound(path: url.path) }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TaggerError.io(path: url.path, message: error.localizedDescription)
        }
        try self.init(data: data, path: url.path)
    }

    /// The JSON bytes of the model, keys sorted so equal models give equal files.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Writes the model as JSON (uncompressed) with ``AtomicFile``.
    /// - Throws: ``TaggerError/io(path:message:)``.
    public func save(to url: URL) throws {
        let data = try jsonData()
        do {
            try AtomicFile.write(data, to: url)
        } catch let error as FileWriteError {
            throw TaggerError.io(path: error.path, message: error.reason)
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, _): return "missing key '\(key.stringValue)'"
        case .typeMismatch(_, let context): return "wrong type at '\(path(context))'"
        case .valueNotFound(_, let context): return "missing value at '\(path(context))'"
        case .dataCorrupted(let context):
            return "invalid JSON\(context.codingPath.isEmpty ? "" : " at '\(path(context))'")"
        @unknown default: return "undecodable JSON"
        }
    }
}
