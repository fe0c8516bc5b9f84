import Foundation

/// A node of the small YAML subset that Kalam reads (chatterbot-corpus topic files).
public indirect enum YAMLNode: Equatable, Sendable {
    /// A string (YAML's plain, single-quoted, double-quoted, literal `|` and folded `>` scalars; an
    /// absent value is the empty string). No type resolution: `42` and `yes` stay strings.
    case scalar(String)
    /// A block sequence (`- item`), nested compactly (`- - a`) or by indentation.
    case sequence([YAMLNode])
    /// A block mapping (`key: value`), keys in file order.
    case mapping([YAMLPair])

    /// The value of `key` in a mapping, else `nil`.
    public subscript(key: String) -> YAMLNode? {
        guard case .mapping(let pairs) = self else { return nil }
        return pairs.first { $0.key == key }?.value
    }
}

/// One `key: value` entry of a ``YAMLNode/mapping(_:)``.
public struct YAMLPair: Equatable, Sendable {
    /// The key.
    public var key: String
    /// The value.
    public var value: YAMLNode

    /// An entry.
    public init(key: String, value: YAMLNode) {
        self.key = key
        self.value = value
    }
}

/// A parser for block-style YAML: mappings with plain keys, sequences, and the five scalar styles,
/// with full-line `#` comments and ` #` comments after plain scalars. Flow collections (`[a, b]`,
/// `{a: b}`), anchors, tags and multiple documents are not supported (they are parsed as plain text).
/// Errors are ``CorpusError/malformed(path:line:reason:)`` with a 1-based line.
public struct YAMLSubsetParser {
    private let lines: [[Character]]
    private let path: String
    private var row = 0
    private var col = 0

    /// Parses `text`; `path` names the source in errors.
    public static func parse(_ text: String, path: String) throws -> YAMLNode {
        var parser = YAMLSubsetParser(text: text, path: path)
        let node = try parser.parseNode(parentIndent: -1)
        parser.skipBlank()
        if parser.row < parser.lines.count {
            throw parser.error("unexpected content at indentation \(parser.contentStart())")
        }
        return node
    }

    private init(text: String, path: String) {
        var lines = CorpusFile.lines(text).map { Array($0) }
        if let first = lines.first, String(first).trimmingCharacters(in: .whitespaces) == "---" { lines[0] = [] }
        self.lines = lines
        self.path = path
    }

    private func error(_ reason: String) -> CorpusError {
        .malformed(path: path, line: min(row, lines.count - 1) + 1, reason: reason)
    }

    // MARK: Cursor

    /// Column of the first non-space character at or after `col` in the current row.
    private func contentStart() -> Int {
        let line = lines[row]
        var c = col
        while c < line.count, line[c] == " " { c += 1 }
        return c
    }

    private func restIsBlankOrComment(_ c: Int) -> Bool {
        let line = lines[row]
        return c >= line.count || line[c] == "#"
    }

    /// Moves past blank and comment-only lines (and past a blank remainder of the current line).
    private mutating func skipBlank() {
        while row < lines.count, restIsBlankOrComment(contentStart()) {
            row += 1
            col = 0
        }
    }

    private static func indentation(_ line: [Character]) -> Int? {
        var c = 0
        while c < line.count, line[c] == " " { c += 1 }
        return c < line.count ? c : nil
    }

    // MARK: Nodes

    private mutating func parseNode(parentIndent: Int) throws -> YAMLNode {
        skipBlank()
        guard row < lines.count else { return .scalar("") }
        let c = contentStart()
        if c <= parentIndent { return .scalar("") }
        let line = lines[row]
        if line[c] == "-", c + 1 == line.count || line[c + 1] == " " {
            return try parseSequence(indent: c)
        }
        if mappingKeyEnd(at: c) != nil { return try parseMapping(indent: c) }
        col = c
        return .scalar(try parseScalar(parentIndent: parentIndent))
    }

    /// The index of the `:` ending a plain mapping key that starts at column `c`, if the line is one.
    private func mappingKeyEnd(at c: Int) -> Int? {
        let line = lines[row]
        guard c < line.count, !"'\"-|>#[{".contains(line[c]) else { return nil }
        var k = c
        while k < line.count {
            if line[k] == ":", k + 1 == line.count || line[k + 1] == " " { return k }
            if line[k] == "#", k > c, line[k - 1] == " " { return nil }
            k += 1
        }
        return nil
    }

    private mutating func parseSequence(indent: Int) throws -> YAMLNode {
        var items: [YAMLNode] = []
        while true {
            skipBlank()
            guard row < lines.count else { break }
            let c = contentStart()
            let line = lines[row]
            guard c == indent, line[c] == "-", c + 1 == line.count || line[c + 1] == " " else { break }
            col = c + 1
            if restIsBlankOrComment(contentStart()) {
                row += 1
                col = 0
            }
            items.append(try parseNode(parentIndent: indent))
        }
        return .sequence(items)
    }

    private mutating func parseMapping(indent: Int) throws -> YAMLNode {
        var pairs: [YAMLPair] = []
        while true {
            skipBlank()
            guard row < lines.count, contentStart() == indent else { break }
            guard let colon = mappingKeyEnd(at: indent) else { throw error("expected `key:` at indentation \(indent)") }
            let key = String(lines[row][indent..<colon]).trimmingCharacters(in: .whitespaces)
            col = colon + 1
            let value: YAMLNode
            if restIsBlankOrComment(contentStart()) {
                row += 1
                col = 0
                skipBlank()
                // A sequence may sit at the key's own indentation (`categories:\n- a`).
                if row < lines.count, contentStart() == indent, lines[row][indent] == "-" {
                    value = try parseSequence(indent: indent)
                } else {
                    value = try parseNode(parentIndent: indent)
                }
            } else {
                col = contentStart()
                value = .scalar(try parseScalar(parentIndent: indent))
            }
            pairs.append(YAMLPair(key: key, value: value))
        }
        return .mapping(pairs)
    }

    // MARK: Scalars

    /// Parses the scalar starting at (`row`, `col`); continuation lines must be indented more than
    /// `parentIndent`. Leaves the cursor at the start of the next line.
    private mutating func parseScalar(parentIndent: Int) throws -> String {
        let line = lines[row]
        switch line[col] {
        case "|", ">": return try parseBlockScalar(parentIndent: parentIndent, folded: line[col] == ">")
        case "'": return try parseQuoted(quote: "'")
        case "\"": return try parseQuoted(quote: "\"")
        default: return parsePlain(parentIndent: parentIndent)
        }
    }

    private mutating func parsePlain(parentIndent: Int) -> String {
        var parts: [String] = [plainPart(lines[row][col...])]
        row += 1
        col = 0
        var pendingNewlines = 0
        while row < lines.count {
            let line = lines[row]
            guard let indent = Self.indentation(line) else {
                pendingNewlines += 1
                row += 1
                continue
            }
            if indent <= parentIndent || line[indent] == "#" { break }
            let part = plainPart(line[indent...])
            if pendingNewlines > 0 {
                parts.append(String(repeating: "\n", count: pendingNewlines) + part)
            } else {
                parts.append(" " + part)
            }
            pendingNewlines = 0
            row += 1
        }
        if pendingNewlines > 0 {
            // Blank lines after the scalar belong to no one; step back so they are skipped as blank.
            row -= pendingNewlines
            while row < lines.count, Self.indentation(lines[row]) == nil { row += 1 }
        }
        return parts.joined()
    }

    /// A plain scalar's text on one line: up to a ` #` comment, trimmed.
    private func plainPart(_ chars: ArraySlice<Character>) -> String {
        var end = chars.endIndex
        var k = chars.startIndex
        while k < chars.endIndex {
            if chars[k] == "#", k > chars.startIndex, chars[k - 1] == " " || chars[k - 1] == "\t" {
                end = k
                break
            }
            k += 1
        }
        // YAML white space is only space and tab (a trailing no-break space is content).
        return String(chars[chars.startIndex..<end]).trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
    }

    private mutating func parseQuoted(quote: Character) throws -> String {
        let startRow = row
        var result = ""
        var c = col + 1
        var trailingSpaces = 0  // spaces at the end of the current line's part, dropped at a line fold
        while true {
            let line = lines[row]
            while c < line.count {
                let ch = line[c]
                if ch == quote {
                    if quote == "'", c + 1 < line.count, line[c + 1] == "'" {
                        result.append("'")
                        c += 2
                        trailingSpaces = 0
                        continue
                    }
                    row += 1
                    col = 0
                    return result
                }
                if quote == "\"", ch == "\\" {
                    if c + 1 == line.count {  // escaped line break: join without a space
                        trailingSpaces = 0
                        row += 1
                        guard row < lines.count else { break }
                        c = Self.indentation(lines[row]) ?? lines[row].count
                        continue
                    }
                    let (text, consumed) = try escape(line, at: c + 1)
                    result += text
                    c += 1 + consumed
                    trailingSpaces = 0
                    continue
                }
                result.append(ch)
                trailingSpaces = (ch == " " || ch == "\t") ? trailingSpaces + 1 : 0
                c += 1
            }
            if c == line.count {
                // Line fold: drop trailing spaces, then a blank line is "\n", else the break is one space.
                result.removeLast(trailingSpaces)
                trailingSpaces = 0
                row += 1
                var newlines = 0
                while row < lines.count, Self.indentation(lines[row]) == nil {
                    newlines += 1
                    row += 1
                }
                guard row < lines.count else { break }
                result += newlines > 0 ? String(repeating: "\n", count: newlines) : " "
                c = Self.indentation(lines[row]) ?? 0
            } else {
                break
            }
        }
        row = startRow
        throw error("unterminated \(quote == "'" ? "single" : "double")-quoted string")
    }

    /// A double-quoted escape after a backslash at `line[c]`: the text it stands for and its length.
    private func escape(_ line: [Character], at c: Int) throws -> (String, Int) {
        let simple: [Character: String] = [
            "n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", "\"": "\"", "/": "/", " ": " ",
            "a": "\u{07}", "b": "\u{08}", "e": "\u{1B}", "f": "\u{0C}", "v": "\u{0B}",
            "N": "\u{85}", "_": "\u{A0}", "L": "\u{2028}", "P": "\u{2029}",
        ]
        if let text = simple[line[c]] { return (text, 1) }
        let digits: Int
        switch line[c] {
        case "x": digits = 2
        case "u": digits = 4
        case "U": digits = 8
        default: throw error("unknown escape \\\(line[c])")
        }
        guard c + digits < line.count,
            let value = UInt32(String(line[(c + 1)...(c + digits)]), radix: 16),
            let scalar = Unicode.Scalar(value)
        else {
            throw error("bad \\\(line[c]) escape")
        }
        return (String(Character(scalar)), 1 + digits)
    }

    private mutating func parseBlockScalar(parentIndent: Int, folded: Bool) throws -> String {
        let header = String(lines[row][(col + 1)...]).trimmingCharacters(in: .whitespaces)
        var chomping: Character = " "
        var explicitIndent: Int?
        for ch in header.prefix { $0 != "#" && $0 != " " } {
            if ch == "-" || ch == "+" {
                chomping = ch
            } else if let digit = ch.wholeNumberValue, digit > 0 {
                explicitIndent = digit
            } else {
                throw error("bad block scalar header |\(header)")
            }
        }
        row += 1
        col = 0
        var blockIndent = explicitIndent.map { max(parentIndent, 0) + $0 }
        var body: [String] = []  // lines with the block indentation removed; "" for blank lines
        while row < lines.count {
            let line = lines[row]
            guard let indent = Self.indentation(line) else {
                body.append("")
                row += 1
                continue
            }
            if blockIndent == nil {
                guard indent > parentIndent else { break }
                blockIndent = indent
            }
            guard indent >= blockIndent! else { break }
            body.append(String(line[blockIndent!...]))
            row += 1
        }
        var trailingBlank = 0
        while let last = body.last, last.isEmpty {
            body.removeLast()
            trailingBlank += 1
        }
        // Blank lines that follow the scalar are not part of it; let the caller skip them.
        row -= trailingBlank
        while row < lines.count, Self.indentation(lines[row]) == nil { row += 1 }
        var text: String
        if folded {
            text = ""
            var previousWasText = false
            for (index, line) in body.enumerated() {
                if line.isEmpty {
                    text += "\n"
                    previousWasText = false
                    continue
                }
                let moreIndented = line.first == " "
                if index > 0 {
                    if previousWasText && !moreIndented { text += " " } else if previousWasText { text += "\n" }
                }
                text += line
                previousWasText = !moreIndented
            }
        } else {
            text = body.joined(separator: "\n")
        }
        switch chomping {
        case "-": return text
        case "+":
            return body.isEmpty
                ? String(repeating: "\n", count: trailingBlank)
                : text + "\n" + String(repeating: "\n", count: trailingBlank)
        default: return body.isEmpty ? "" : text + "\n"
        }
    }
}
