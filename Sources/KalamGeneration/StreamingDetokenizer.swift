/// Turns a stream of token ids into text pieces that are always whole UTF-8 characters.
///
/// A byte-level BPE token may end in the middle of a multi-byte character (Persian letters take two
/// bytes, many symbols three or four); such bytes are held back until the character is complete, so no
/// piece ever shows a broken character. Bytes that can never become valid UTF-8 come out as U+FFFD.
public struct StreamingDetokenizer {
    /// Maps one token id to its bytes (an empty array for tokens that print nothing).
    public let tokenBytes: (Int32) -> [UInt8]
    /// Bytes of an incomplete character held back from the last piece.
    public private(set) var pending: [UInt8] = []

    /// Makes a detokenizer over a token-to-bytes function.
    public init(tokenBytes: @escaping (Int32) -> [UInt8]) {
        self.tokenBytes = tokenBytes
    }

    /// Adds one token and returns the text that became complete (possibly empty).
    public mutating func append(_ token: Int32) -> String {
        pending.append(contentsOf: tokenBytes(token))
        let cut = Self.completePrefixLength(pending)
        guard cut > 0 else { return "" }
        let text = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// Returns what is still held back (an unfinished character becomes U+FFFD) and empties the buffer.
    public mutating func finish() -> String {
        defer { pending = [] }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Length of the longest prefix of `bytes` that does not end inside an unfinished character.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let count = bytes.count
        // Find the last byte that is not a continuation byte (10xxxxxx), at most 3 bytes back.
        var lead = count - 1
        while lead >= 0, lead >= count - 4, bytes[lead] & 0xC0 == 0x80 { lead -= 1 }
        guard lead >= 0, lead >= count - 4 else { return count }
        let byte = bytes[lead]
        let expected: Int
        switch byte {
        case 0xC2...0xDF: expected = 2
        case 0xE0...0xEF: expected = 3
        case 0xF0...0xF4: expected = 4
        default: return count  // ASCII or a byte that can never start a character
        }
        return lead + expected > count ? lead : count
    }
}

/// One step of a text stream: the new token and the text it completed (possibly empty).
public struct StreamPiece: Equatable, Sendable {
    /// The generated id.
    public var token: Int32
    /// Newly completed text; empty while a character is still unfinished.
    public var text: String
}

/// Streams one prompt's greedy or sampled continuation as text pieces that are whole UTF-8
/// characters, ending with whatever the detokenizer held back.
public struct TextStream<Decoder: LanguageModelDecoder> {
    /// The underlying token loop.
    public private(set) var iterator: TokenIterator<Decoder>
    private var detokenizer: StreamingDetokenizer
    private var flushed = false

    /// Starts streaming `prompt`. `tokenBytes` maps ids to bytes (also used for stop strings).
    public init(
        decoder: Decoder, prompt: [Int32], parameters: GenerationParameters,
        tokenBytes: @escaping (Int32) -> [UInt8]
    ) throws {
        iterator = try TokenIterator(
            decoder: decoder, prompts: [prompt], parameters: parameters, tokenBytes: tokenBytes)
        detokenizer = StreamingDetokenizer(tokenBytes: tokenBytes)
    }

    /// The next token and its text; after the last token, one final piece with token -1 carrying the
    /// held-back text if there is any; then `nil`.
    public mutating func next() throws -> StreamPiece? {
        if let tokens = try iterator.next() {
            return StreamPiece(token: tokens[0], text: detokenizer.append(tokens[0]))
        }
        guard !flushed else { return nil }
        flushed = true
        let rest = detokenizer.finish()
        return rest.isEmpty ? nil : StreamPiece(token: -1, text: rest)
    }

    /// Why generation stopped, once it has.
    public var finishReason: FinishReason? { iterator.finishReasons[0] }
}
