import Testing

@testable import KalamText

@Suite("WordTable")
struct WordTableTests {
    @Test func findsKeysExactlyAndASCIILowercased() {
        let keys = ["the", "dog", "café", "", "n't", "<s>"] + (0..<500).map { "w\($0)" }
        let table = WordTable(keys: keys)
        for (index, key) in keys.enumerated() { #expect(table.find(key) == index) }
        #expect(table.find("The") == -1)  // exact look-up is case-sensitive
        #expect(table.find("cafe") == -1)
        #expect(table.find("cafe\u{301}") == -1)  // bytes, not canonical equivalence (as Python compares)
        var word = "THE"
        let found = word.withUTF8 {
            table.find(hash: WordTable.hash($0, lowercaseASCII: true), $0, lowercaseASCII: true)
        }
        #expect(found == 0)
    }
}
