/// One document of a corpus as plain text, with an optional label (a topic, a category) and an id that
/// says where it came from (`Genesis 1:1`, `tech/001.txt`, `fortunes/wisdom#12`).
public struct TextDocument: Sendable, Equatable, Hashable {
    /// Where the document came from, stable across runs.
    public var id: String
    /// The text.
    public var text: String
    /// A class label, when the corpus has one.
    public var label: String?

    /// A document with an id, its text and an optional label.
    public init(id: String, text: String, label: String? = nil) {
        self.id = id
        self.text = text
        self.label = label
    }
}
