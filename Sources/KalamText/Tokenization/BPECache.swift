import Foundation

/// A bounded, thread-safe memo of BPE results keyed by a word's symbols, stored in flat arenas
/// so a lookup allocates nothing. It is cleared whole when full.
final class BPECache: @unchecked Sendable {
    private struct Entry {
        var hash: UInt64 = 0
        var keyStart: Int32 = -1
        var keyCount: Int32 = 0
        var valueStart: Int32 = 0
        var valueCount: Int32 = 0
    }
    private var entries: [Entry]
    private var keyArena: [UInt32] = []
    private var valueArena: [Int32] = []  // (id, end) pairs
    private var used = 0
    private let lock = NSLock()
    private let mask: Int
    /// Words longer than this are not cached.
    let maxWordLength = 64

    init(slots: Int = 1 << 16) {
        entries = [Entry](repeating: Entry(), count: slots)
        mask = slots - 1
    }

    @inline(__always)
    static func hash(_ w: UnsafeBufferPointer<UInt32>) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for v in w { h = (h ^ UInt64(v)) &* 0x0000_0100_0000_01B3 }
        return h ^ (h >> 32)
    }

    /// Appends the cached tokens of `word` to `out` and returns true, or returns false.
    func lookup(_ word: UnsafeBufferPointer<UInt32>, hash h: UInt64, into out: inout ModelOutput) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = entries[i]
            if e.keyStart < 0 { return false }
            if e.hash == h && Int(e.keyCount) == word.count {
                var same = true
                keyArena.withUnsafeBufferPointer { k in
                    for j in 0..<word.count where k[Int(e.keyStart) + j] != word[j] {
                        same = false
                        break
                    }
                }
                if same {
                    var start: Int32 = 0
                    valueArena.withUnsafeBufferPointer { v in
                        var j = Int(e.valueStart)
                        for _ in 0..<Int(e.valueCount) {
                            out.append(id: v[j], start: start, end: v[j + 1])
                            start = v[j + 1]
                            j += 2
                        }
                    }
                    return true
                }
            }
            i = (i + 1) & mask
        }
    }

    /// Stores the tokens `out[from...]` for `word`.
    func store(_ word: UnsafeBufferPointer<UInt32>, hash h: UInt64, _ out: ModelOutput, from: Int) {
        lock.lock()
        defer { lock.unlock() }
        if used * 2 >= entries.count || keyArena.count > (1 << 22) {
            for k in 0..<entries.count { entries[k].keyStart = -1 }
            keyArena.removeAll(keepingCapacity: true)
            valueArena.removeAll(keepingCapacity: true)
            used = 0
        }
        var i = Int(truncatingIfNeeded: h) & mask
        while entries[i].keyStart >= 0 {
            if entries[i].hash == h && Int(entries[i].keyCount) == word.count { return }  // likely a racing insert
            i = (i + 1) & mask
        }
        let e = Entry(
            hash: h, keyStart: Int32(keyArena.count), keyCount: Int32(word.count),
            valueStart: Int32(valueArena.count), valueCount: Int32(out.ids.count - from))
        keyArena.append(contentsOf: word)
        for k in from..<out.ids.count {
            valueArena.append(out.ids[k])
            valueArena.append(out.ends[k])
        }
        entries[i] = e
        used += 1
    }
}
