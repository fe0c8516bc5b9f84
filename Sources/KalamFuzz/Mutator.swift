import Foundation
import KalamCore
import KalamJSON

/// Makes input `index` of a run from a target's seeds: a function of (seed, index) alone, so the
/// driver can rebuild the input that made a worker fail without the worker having saved it.
struct Mutator {
    let target: FuzzTarget
    let seed: UInt64

    /// Input `index`: one to three mutations of one of the seeds.
    func input(_ index: Int) -> Data {
        var rng = KalamRandom(seed: seed).fork(stream: UInt64(index))
        var bytes = [UInt8](target.seeds[rng.nextInt(below: target.seeds.count)])
        for _ in 0...rng.nextInt(below: 3) { bytes = mutate(bytes, &rng) }
        return Data(bytes)
    }

    func mutate(_ bytes: [UInt8], _ rng: inout KalamRandom) -> [UInt8] {
        var kinds = 7
        if target.isJSON { kinds += 6 }
        if target.isSafetensors { kinds += 2 }
        let kind = rng.nextInt(below: kinds)
        if kind < 7 { return byteMutation(kind, bytes, &rng) }
        if target.isJSON, kind < 13, let mutated = jsonMutation(kind - 7, bytes, &rng) { return mutated }
        if target.isSafetensors { return lengthField(bytes, &rng) }
        return byteMutation(rng.nextInt(below: 7), bytes, &rng)
    }

    /// Byte flips, truncation, insertion, deletion, duplication, invalid UTF-8, an interesting number.
    func byteMutation(_ kind: Int, _ input: [UInt8], _ rng: inout KalamRandom) -> [UInt8] {
        var b = input
        let at = b.isEmpty ? 0 : rng.nextInt(below: b.count)
        switch kind {
        case 0:  // flip bits in a few bytes
            guard !b.isEmpty else { return [0xFF] }
            for _ in 0...rng.nextInt(below: 4) { b[rng.nextInt(below: b.count)] ^= UInt8(1 << rng.nextInt(below: 8)) }
        case 1:  // truncate
            b = Array(b.prefix(at))
        case 2:  // insert random bytes
            b.insert(contentsOf: (0...rng.nextInt(below: 16)).map { _ in UInt8(rng.nextInt(below: 256)) }, at: at)
        case 3:  // delete a range
            b.removeSubrange(at..<min(b.count, at + 1 + rng.nextInt(below: 64)))
        case 4:  // duplicate a range
            let end = min(b.count, at + 1 + rng.nextInt(below: 256))
            b.insert(contentsOf: b[at..<end], at: end)
        case 5:  // invalid UTF-8: a lone continuation byte, an overlong form, a surrogate, a cut sequence
            let bad: [[UInt8]] = [[0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xFF, 0xFE]]
            b.insert(contentsOf: bad[rng.nextInt(below: bad.count)], at: at)
        default:  // an interesting 8-byte value somewhere
            let values: [UInt64] = [0, .max, UInt64(Int64.max), 1 << 31, 1 << 32, UInt64(input.count)]
            var v = values[rng.nextInt(below: values.count)].littleEndian
            let raw = withUnsafeBytes(of: &v) { Array($0) }
            for (k, byte) in raw.enumerated() where at + k < b.count { b[at + k] = byte }
        }
        return b
    }

    /// The safetensors header length (the first 8 bytes) set to 0, −1, 2⁶³−1, the file size, or off by one.
    func lengthField(_ input: [UInt8], _ rng: inout KalamRandom) -> [UInt8] {
        var b = input
        guard b.count >= 8 else { return b }
        let current = b.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        let values: [UInt64] = [0, .max, UInt64(Int64.max), UInt64(b.count), current &+ 1, current &- 1, current / 2]
        let v = values[rng.nextInt(below: values.count)]
        for k in 0..<8 { b[k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
        return b
    }

    /// Wrong types, out-of-range and non-finite numbers, huge arrays, deep nesting, a removed key, a
    /// huge string — applied to a random value of the parsed document, which is then re-serialised.
    func jsonMutation(_ kind: Int, _ input: [UInt8], _ rng: inout KalamRandom) -> [UInt8]? {
        switch kind {
        case 4:  // deep nesting, written as text (the parser must refuse it, not recurse forever)
            let depth = [200, 5_000, 200, 100_000][rng.nextInt(below: 4)]
            return Array(String(repeating: "[", count: depth).utf8) + Array(String(repeating: "]", count: depth).utf8)
        case 5:  // a non-finite or out-of-range number spliced into the text
            let numbers = [
                "NaN", "Infinity", "-Infinity", "1e999", "-1e999", "99999999999999999999999", "-0", "1e-999",
            ]
            let at = input.isEmpty ? 0 : rng.nextInt(below: input.count)
            return Array(input[..<at]) + Array(numbers[rng.nextInt(below: numbers.count)].utf8) + Array(input[at...])
        default: break
        }
        guard var root = try? JSONValue.parse(input) else { return nil }
        var paths: [[JSONPathStep]] = []
        collect(root, [], &paths)
        guard !paths.isEmpty else { return nil }
        let path = paths[rng.nextInt(below: paths.count)]
        let replacement: JSONValue?
        switch kind {
        case 0:  // a value of another type
            let others: [JSONValue] = [
                .null, .bool(true), .string("x"), .int(7), .double(0.5), .array([]), .object([]),
            ]
            replacement = others[rng.nextInt(below: others.count)]
        case 1:  // an out-of-range number
            let numbers: [JSONValue] = [
                .int(-1), .int(Int.max), .int(Int.min), .int(1 << 31), .int(-(1 << 31) - 1), .int(1 << 32),
                .bigInteger("123456789012345678901234567890"), .double(1e308), .double(-1e308), .int(0),
            ]
            replacement = numbers[rng.nextInt(below: numbers.count)]
        case 2:  // a huge array
            // Mostly 10,000 elements; one in twenty a million (slow to build, so rarer).
            replacement = .array(
                [JSONValue](repeating: .int(1), count: rng.nextInt(below: 20) == 0 ? 1_000_000 : 10_000))
        default:  // the key removed (or, at the top, a huge string)
            replacement = path.isEmpty ? .string(String(repeating: "a", count: 1 << 20)) : nil
        }
        root = replaced(root, path[...], with: replacement)
        return Array(root.serialized(indent: 0).utf8)
    }
}

/// A step into a JSON document: an object key or an array index.
enum JSONPathStep {
    case key(String)
    case index(Int)
}

/// Every path in `value` (the root included), at most 4,096 of them.
func collect(_ value: JSONValue, _ path: [JSONPathStep], _ out: inout [[JSONPathStep]]) {
    guard out.count < 4096 else { return }
    out.append(path)
    switch value {
    case .object(let fields):
        for (key, child) in fields { collect(child, path + [.key(key)], &out) }
    case .array(let items):
        for (i, child) in items.enumerated().prefix(64) { collect(child, path + [.index(i)], &out) }
    default: break
    }
}

/// `value` with the value at `path` replaced (or removed when `replacement` is nil).
func replaced(_ value: JSONValue, _ path: ArraySlice<JSONPathStep>, with replacement: JSONValue?) -> JSONValue {
    guard let step = path.first else { return replacement ?? .null }
    switch (value, step) {
    case (.object(var fields), .key(let key)):
        guard let i = fields.firstIndex(where: { $0.0 == key }) else { return value }
        if path.count == 1, replacement == nil {
            fields.remove(at: i)
        } else {
            fields[i].1 = replaced(fields[i].1, path.dropFirst(), with: replacement)
        }
        return .object(fields)
    case (.array(var items), .index(let i)) where items.indices.contains(i):
        if path.count == 1, replacement == nil {
            items.remove(at: i)
        } else {
            items[i] = replaced(items[i], path.dropFirst(), with: replacement)
        }
        return .array(items)
    default:
        return value
    }
}
