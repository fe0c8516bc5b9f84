import Foundation
import Testing

@testable import KalamGeneration

/// UTF-8-safe streaming, Persian included.
struct StreamingDetokenizerTests {
    /// A byte-level "tokenizer" where token i is the i-th chunk of a fixed byte split.
    static func chunks(_ text: String, size: Int) -> [[UInt8]] {
        let bytes = Array(text.utf8)
        return stride(from: 0, to: bytes.count, by: size).map { Array(bytes[$0..<min($0 + size, bytes.count)]) }
    }

    @Test("pieces are whole characters and add up to the text", arguments: [1, 2, 3, 5])
    func persianSplitAnywhere(size: Int) {
        let text = "سلام دنیا! کلام یعنی سخن. ✓ 🌹"
        let parts = Self.chunks(text, size: size)
        var detokenizer = StreamingDetokenizer { parts[Int($0)] }
        var pieces: [String] = []
        for token in 0..<parts.count { pieces.append(detokenizer.append(Int32(token))) }
        pieces.append(detokenizer.finish())
        #expect(pieces.joined() == text)
        #expect(pieces.allSatisfy { !$0.contains("\u{FFFD}") })
        if size == 1 {
            // "س" is two bytes: nothing after the first byte, the letter after the second.
            #expect(pieces[0] == "")
            #expect(pieces[1] == "س")
            // The rose is four bytes: it appears only with its last byte.
            #expect(pieces[pieces.count - 2] == "🌹")
            #expect(pieces[pieces.count - 3] == "")
        }
    }

    @Test func unfinishedAndInvalidBytesBecomeReplacementCharacters() {
        let parts: [[UInt8]] = [[0x61, 0xD8], [0xFF, 0x62], [0xE2, 0x9C]]
        var detokenizer = StreamingDetokenizer { parts[Int($0)] }
        #expect(detokenizer.append(0) == "a")
        #expect(detokenizer.append(1) == "\u{FFFD}\u{FFFD}b")
        #expect(detokenizer.append(2) == "")
        #expect(detokenizer.finish() == "\u{FFFD}")
        #expect(detokenizer.pending.isEmpty)
    }

    @Test func textStreamFollowsTheTokens() throws {
        let fixture = try GenerationFixtures.json("table_model.json")
        let decoder = TableDecoder(fixture: fixture)
        var params = GenerationParameters()
        params.maxNewTokens = 5
        // Token i prints the i-th Persian letter (two bytes).
        let letters = Array("ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی".unicodeScalars).map { Array(String($0).utf8) }
        var stream = try TextStream(decoder: decoder, prompt: [3, 7, 1], parameters: params) { letters[Int($0)] }
        var tokens: [Int32] = []
        var text = ""
        while let piece = try stream.next() {
            tokens.append(piece.token)
            text += piece.text
        }
        #expect(tokens == [8, 14, 1, 19, 15])
        #expect(text == "خسبظش")
        #expect(stream.finishReason == .maxNewTokens)
    }
}
