/// A fast open-addressing hash map from 64-bit keys to 64-bit values, used for BPE merge ranks
/// (`left << 32 | right` → `rank << 32 | newId`), WordPiece trie edges and trainer pair counts.
/// `UInt64.max` is reserved as the empty-slot marker.
struct PairTable: Sendable {
    private(set) var keys: [UInt64]
    private(set) var values: [UInt64]
    private(set) var count = 0
    private var mask: Int

    init(capacity: Int = 16) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        keys = [UInt64](repeating: .max, count: n)
        values = [UInt64](repeating: 0, count: n)
        mask = n - 1
    }

    @inline(__always)
    private static func hash(_ k: UInt64) -> Int {
        var h = k &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 32
        h = h &* 0xD6E8_FEB8_6659_FD93
        h ^= h >> 32
        return Int(truncatingIfNeeded: h)
    }

    /// The value for `key`, or `nil`.
    @inline(__always)
    func get(_ key: UInt64) -> UInt64? {
        var i = Self.hash(key) & mask
        return keys.withUnsafeBufferPointer { k in
            while true {
                let s = k[i]
                if s == key { return values[i] }
                if s == .max { return nil }
                i = (i + 1) & mask
            }
        }
    }

    /// Sets `key` to `value`.
    mutating func set(_ key: UInt64, _ value: UInt64) {
        if (count + 1) * 2 > keys.count { grow() }
        var i = Self.hash(key) & mask
        while true {
            if keys[i] == key {
                values[i] = value
                return
            }
            if keys[i] == .max {
                keys[i] = key
                values[i] = value
                count += 1
                return
            }
            i = (i + 1) & mask
        }
    }

    /// Adds `delta` to the value of `key` (0 when absent) and returns the new value.
    @discardableResult
    mutating func add(_ key: UInt64, _ delta: Int64) -> Int64 {
        if (count + 1) * 2 > keys.count { grow() }
        var i = Self.hash(key) & mask
        while true {
            if keys[i] == key {
                let v = Int64(bitPattern: values[i]) + delta
                values[i] = UInt64(bitPattern: v)
                return v
            }
            if keys[i] == .max {
                keys[i] = key
                values[i] = UInt64(bitPattern: delta)
                count += 1
                return delta
            }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        let oldK = keys, oldV = values
        keys = [UInt64](repeating: .max, count: oldK.count * 2)
        values = [UInt64](repeating: 0, count: oldK.count * 2)
        mask = keys.count - 1
        count = 0
        for i in 0..<oldK.count where oldK[i] != .max { set(oldK[i], oldV[i]) }
    }
}
