// Writing JSON text: keys in the value's order, so files round-trip byte for byte in structure.

extension JSONValue {
    /// Serializes the value; `indent` > 0 pretty-prints with that many spaces per level (short arrays
    /// of scalars stay on one line). A non-finite double, which JSON cannot hold, is written as `null`.
    public func serialized(indent: Int = 2) -> String {
        var out = ""
        write(into: &out, indent: indent, level: 0)
        return out
    }

    private func write(into out: inout String, indent: Int, level: Int) {
        let newline = indent > 0 ? "\n" : ""
        func pad(_ l: Int) -> String { String(repeating: " ", count: indent * l) }
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(v): out += String(v)
        case let .bigInteger(text): out += text
        case let .double(d): out += d.isFinite ? "\(d)" : "null"
        case let .string(s): Self.writeString(s, into: &out)
        case let .array(items):
            if items.isEmpty {
                out += "[]"
                return
            }
            let flat = items.allSatisfy {
                switch $0 {
                case .array, .object: return false
                default: return true
                }
            }
            if flat && items.count <= 4 {
                out += "["
                for (k, v) in items.enumerated() {
                    if k > 0 { out += ", " }
                    v.write(into: &out, indent: 0, level: 0)
                }
                out += "]"
                return
            }
            out += "[" + newline
            for (k, v) in items.enumerated() {
                out += pad(level + 1)
                v.write(into: &out, indent: indent, level: level + 1)
                out += (k + 1 < items.count ? "," : "") + newline
            }
            out += pad(level) + "]"
        case let .object(pairs):
            if pairs.isEmpty {
                out += "{}"
                return
            }
            out += "{" + newline
            for (k, (key, v)) in pairs.enumerated() {
                out += pad(level + 1)
                Self.writeString(key, into: &out)
                out += indent > 0 ? ": " : ":"
                v.write(into: &out, indent: indent, level: level + 1)
                out += (k + 1 < pairs.count ? "," : "") + newline
            }
            out += pad(level) + "}"
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped, the rest as is.
    static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || u.value == 0x7F {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}
