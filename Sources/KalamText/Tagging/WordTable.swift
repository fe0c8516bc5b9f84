/// An open-addressing hash table from UTF-8 words to their index, for the tagger's hot path.
///
/// Looking a word up hashes its bytes (FNV-1a), lower-casing ASCII letters on the fly, so the
/// tagger needs neither a lower-cased copy of the word nor `String` hashing per token.
struct WordTable: Sendable {
    private var bytes: [UInt8] = []
    private var starts: [Int] = []
    private var lengths: [Int] = []
    private var slots: [Int32]
    private let mask: Int

    /// A table of `keys` (distinct); a key's index is its position in `keys`.
    init(keys: [String]) {
        var size = 16
        while size < keys.count * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        for (index, key) in keys.enumerated() {
            var key = key
            key.withUTF8 { buffer in
                starts.append(bytes.count)
                lengths.append(buffer.count)
                bytes.append(contentsOf: buffer)
                var slot = Int(truncatingIfNeeded: Self.hash(buffer, lowercaseASCII: false)) & mask
                while slots[slot] >= 0 { slot = (slot + 1) & mask }
                slots[slot] = Int32(index)
            }
        }
    }

    /// FNV-1a over the bytes, optionally reading `A`–`Z` as `a`–`z`.
    @inline(__always) static func hash(_ buffer: UnsafeBufferPointer<UInt8>, lowercaseASCII: Bool) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in buffer {
            let l = lowercaseASCII && b &- 0x41 < 26 ? b &+ 32 : b
            h = (h ^ UInt64(l)) &* 0x0000_0100_0000_01b3
        }
        return h
    }

    /// The index of the key equal to `buffer` (ASCII-lower-cased when asked), or -1.
    @inline(__always) func find(hash: UInt64, _ buffer: UnsafeBufferPointer<UInt8>, lowercaseASCII: Bool) -> Int {
        var slot = Int(truncatingIfNeeded: hash) & mask
        return bytes.withUnsafeBufferPointer { stored in
            while true {
                let index = Int(slots[slot])
                if index < 0 { return -1 }
                if lengths[index] == buffer.count {
                    let start = starts[index]
                    var equal = true
                    for k in 0..<buffer.count {
                        let b = buffer[k]
                        let l = lowercaseASCII && b &- 0x41 < 26 ? b &+ 32 : b
                        if stored[start &+ k] != l {
                            equal = false
                            break
                        }
                    }
                    if equal { return index }
                }
                slot = (slot + 1) & mask
            }
        }
    }

    /// The index of `word` exactly as given, or -1.
    func find(_ word: String) -> Int {
        var word = word
        return word.withUTF8 { find(hash: Self.hash($0, lowercaseASCII: false), $0, lowercaseASCII: false) }
    }
}
