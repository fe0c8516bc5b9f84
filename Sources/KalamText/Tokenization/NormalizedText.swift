/// Text as Unicode scalar values, with each scalar's span in the original string.
///
/// Normalizers rewrite `scalars` and keep `starts`/`ends` so that token offsets can always be
/// reported in scalars of the ORIGINAL string: a scalar that came from original scalars
/// `starts[i]..<ends[i]` keeps that span; scalars inserted by a normalizer take the span of the
/// scalar they were derived from. When `isIdentity` is true the spans are `i..<i+1` and not stored.
public struct NormalizedText: Sendable {
    /// The normalized scalar values.
    public var scalars: [UInt32]
    /// Original start of each normalized scalar (empty while `isIdentity`).
    public var starts: [Int32]
    /// Original end of each normalized scalar (empty while `isIdentity`).
    public var ends: [Int32]
    /// Whether the text is still identical to the original.
    public private(set) var isIdentity: Bool

    /// Wraps a string without changing it.
    public init(_ text: String) {
        scalars = NormalizedText.decodeScalars(text)
        starts = []
        ends = []
        isIdentity = true
    }

    /// Builds a text from already aligned arrays.
    public init(scalars: [UInt32], starts: [Int32], ends: [Int32]) {
        self.scalars = scalars
        self.starts = starts
        self.ends = ends
        isIdentity = false
    }

    /// Number of scalars.
    public var count: Int { scalars.count }

    /// Original start of scalar `i`.
    @inline(__always) public func start(_ i: Int) -> Int { isIdentity ? i : Int(starts[i]) }
    /// Original end of scalar `i`.
    @inline(__always) public func end(_ i: Int) -> Int { isIdentity ? i + 1 : Int(ends[i]) }

    /// The original span of normalized scalars `range` (empty range: an empty span at its start).
    public func originalSpan(_ lo: Int, _ hi: Int) -> TokenOffset {
        if hi <= lo {
            if lo < count { return TokenOffset(start: start(lo), end: start(lo)) }
            let e = count > 0 ? end(count - 1) : 0
            return TokenOffset(start: e, end: e)
        }
        return TokenOffset(start: start(lo), end: end(hi - 1))
    }

    /// The normalized text as a `String`.
    public var string: String {
        var s = String.UnicodeScalarView()
        for v in scalars { if let u = Unicode.Scalar(v) { s.append(u) } }
        return String(s)
    }

    /// Rewrites the text scalar by scalar: `body` gets each scalar and appends its replacement
    /// (zero or more scalars) through the builder, which keeps the alignment.
    public mutating func rewrite(_ body: (UInt32, inout Builder) -> Void) {
        var b = Builder(capacity: scalars.count)
        for i in 0..<scalars.count {
            b.currentStart = Int32(start(i))
            b.currentEnd = Int32(end(i))
            body(scalars[i], &b)
        }
        self = b.text
    }

    /// Accumulates rewritten scalars with the span of the scalar being rewritten.
    public struct Builder {
        var scalars: [UInt32] = []
        var starts: [Int32] = []
        var ends: [Int32] = []
        /// Span of the scalar being rewritten.
        public var currentStart: Int32 = 0
        /// End of the span of the scalar being rewritten.
        public var currentEnd: Int32 = 0

        init(capacity: Int) {
            scalars.reserveCapacity(capacity)
            starts.reserveCapacity(capacity)
            ends.reserveCapacity(capacity)
        }
        /// Appends a scalar aligned to the scalar being rewritten.
        @inline(__always) public mutating func append(_ v: UInt32) {
            scalars.append(v)
            starts.append(currentStart)
            ends.append(currentEnd)
        }
        /// Appends a scalar with an explicit original span.
        @inline(__always) public mutating func append(_ v: UInt32, start: Int32, end: Int32) {
            scalars.append(v)
            starts.append(start)
            ends.append(end)
        }
        var text: NormalizedText { NormalizedText(scalars: scalars, starts: starts, ends: ends) }
    }

    /// Decodes a string's UTF-8 into scalar values (fast path over contiguous storage).
    static func decodeScalars(_ text: String) -> [UInt32] {
        var text = text
        return text.withUTF8 { buf -> [UInt32] in
            var out = [UInt32]()
            out.reserveCapacity(buf.count)
            var i = 0
            let n = buf.count
            while i < n {
                let b0 = UInt32(buf[i])
                if b0 < 0x80 {
                    out.append(b0)
                    i += 1
                } else if b0 < 0xE0 {
                    out.append((b0 & 0x1F) << 6 | UInt32(buf[i + 1] & 0x3F))
                    i += 2
                } else if b0 < 0xF0 {
                    out.append((b0 & 0x0F) << 12 | UInt32(buf[i + 1] & 0x3F) << 6 | UInt32(buf[i + 2] & 0x3F))
                    i += 3
                } else {
                    out.append(
                        (b0 & 0x07) << 18 | UInt32(buf[i + 1] & 0x3F) << 12
                            | UInt32(buf[i + 2] & 0x3F) << 6 | UInt32(buf[i + 3] & 0x3F))
                    i += 4
                }
            }
            return out
        }
    }
}
