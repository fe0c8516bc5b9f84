import Foundation

/// A JSON Lines file a user points at: one JSON object per line, the text in a string field (`text` by
/// default) and optionally a label in another field (a string, or a number written as its decimal
/// form). Blank lines are skipped.
public enum JSONLCorpus {
    /// Reads the documents of `url`; ids are `<file name>:<line>`.
    ///
    /// A line that is not a JSON object, or lacks the text field, or has a non-string text, is
    /// ``CorpusError/malformed(path:line:reason:)`` naming the 1-based line.
    public static func load(_ url: URL, textField: String = "text", labelField: String? = nil) throws -> [TextDocument]
    {
        let text = try CorpusFile.text(url)
        var documents: [TextDocument] = []
        for (index, line) in CorpusFile.lines(text).enumerated() where !line.allSatisfy(\.isWhitespace) {
            func fail(_ reason: String) -> CorpusError {
                .malformed(path: url.path, line: index + 1, reason: reason)
            }
            let object: Any
            do {
                object = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
            } catch {
                throw fail("not valid JSON")
            }
            guard let dictionary = object as? [String: Any] else { throw fail("not a JSON object") }
            guard let value = dictionary[textField] else { throw fail("no \"\(textField)\" field") }
            guard let string = value as? String else { throw fail("\"\(textField)\" is not a string") }
            var label: String?
            if let labelField {
                switch dictionary[labelField] {
                case let s as String: label = s
                case let n as NSNumber: label = n.stringValue
                case nil: throw fail("no \"\(labelField)\" field")
                default: throw fail("\"\(labelField)\" is not a string or number")
                }
            }
            documents.append(TextDocument(id: "\(url.lastPathComponent):\(index + 1)", text: string, label: label))
        }
        guard !documents.isEmpty else { throw CorpusError.empty(path: url.path) }
        return documents
    }
}
