/// Elementwise arithmetic with broadcasting, each with its backward.
extension Tensor {
    enum BinaryKind: String { case add, sub, mul, div }

    static func binary(_ a: Tensor, _ b: Tensor, _ kind: BinaryKind) throws -> Tensor {
        let shape = try Broadcast.shape(a.shape, b.shape, op: kind.rawValue)
        let out = Tensor(uninitializedShape: shape)
        let n = out.count, z = out.data
        let x = a.contiguous(), y = b.contiguous()
        if y.count == 1 && x.shape == shape {
            let s = y.data[0], xp = x.data
            switch kind {
            case .add: for i in 0..<n { z[i] = xp[i] + s }
            case .sub: for i in 0..<n { z[i] = xp[i] - s }
            case .mul: for i in 0..<n { z[i] = xp[i] * s }
            case .div: for i in 0..<n { z[i] = xp[i] / s }
            }
        } else if x.shape == shape, y.count > 0, isSuffix(y.shape, of: shape) {
            // `b` repeats along the leading dimensions (a bias): loop over rows.
            let inner = y.count, rows = n / inner, xp = x.data, yp = y.data
            for r in 0..<rows {
                let xr = xp + r * inner, zr = z + r * inner
                switch kind {
                case .add: for j in 0..<inner { zr[j] = xr[j] + yp[j] }
                case .sub: for j in 0..<inner { zr[j] = xr[j] - yp[j] }
                case .mul: for j in 0..<inner { zr[j] = xr[j] * yp[j] }
                case .div: for j in 0..<inner { zr[j] = xr[j] / yp[j] }
                }
            }
        } else {
            let xm = Broadcast.materialize(x, to: shape), ym = Broadcast.materialize(y, to: shape)
            let xp = xm.data, yp = ym.data
            switch kind {
            case .add: for i in 0..<n { z[i] = xp[i] + yp[i] }
            case .sub: for i in 0..<n { z[i] = xp[i] - yp[i] }
            case .mul: for i in 0..<n { z[i] = xp[i] * yp[i] }
            case .div: for i in 0..<n { z[i] = xp[i] / yp[i] }
            }
        }
        let aShape = a.shape, bShape = b.shape
        let xd = x.detached(), yd = y.detached()
        let needA = a.requiresGrad, needB = b.requiresGrad
        return out.recording(kind.rawValue, [a, b]) { g in
            switch kind {
            case .add:
                return [
                    needA ? Broadcast.reduce(g, to: aShape) : nil,
                    needB ? Broadcast.reduce(g, to: bShape) : nil,
                ]
            case .sub:
                return [
                    needA ? Broadcast.reduce(g, to: aShape) : nil,
                    needB ? Broadcast.reduce(Kernels.map(g) { -$0 }, to: bShape) : nil,
                ]
            case .mul:
                let ga =
                    needA
                    ? Broadcast.reduce(Kernels.zip(g, Broadcast.materialize(yd, to: g.shape), *), to: aShape) : nil
                let gb =
                    needB
                    ? Broadcast.reduce(Kernels.zip(g, Broadcast.materialize(xd, to: g.shape), *), to: bShape) : nil
                return [ga, gb]
            case .div:
                let ym = Broadcast.materialize(yd, to: g.shape)
                let ga = needA ? Broadcast.reduce(Kernels.zip(g, ym, /), to: aShape) : nil
                var gb: Tensor? = nil
                if needB {
                    let xm = Broadcast.materialize(xd, to: g.shape)
                    let t = Tensor(uninitializedShape: g.shape)
                    let gp = g.data, xp = xm.data, yp = ym.data, tp = t.data
                    for i in 0..<g.count { tp[i] = -gp[i] * xp[i] / (yp[i] * yp[i]) }
                    gb = Broadcast.reduce(t, to: bShape)
                }
                return [ga, gb]
            }
        }
    }

    /// Whether `small` (leading ones ignored) equals the trailing dimensions of `shape`.
    static func isSuffix(_ small: [Int], of shape: [Int]) -> Bool {
        let trimmed = small.drop(while: { $0 == 1 })
        return trimmed.count <= shape.count && shape.suffix(trimmed.count).elementsEqual(trimmed)
    }

    /// Elementwise sum with broadcasting.
    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try binary(a, b, .add) }
    /// Elementwise difference with broadcasting.
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try binary(a, b, .sub) }
    /// Elementwise product with broadcasting.
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try binary(a, b, .mul) }
    /// Elementwise quotient with broadcasting.
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try binary(a, b, .div) }

    /// `self + s` for every element.
    public static func + (a: Tensor, s: Float) -> Tensor {
        a.mapRecorded("addScalar", { $0 + s }, grad: { g, _, _ in g })
    }
    /// `self - s` for every element.
    public static func - (a: Tensor, s: Float) -> Tensor { a + (-s) }
    /// `self * s` for every element.
    public static func * (a: Tensor, s: Float) -> Tensor {
        a.mapRecorded("mulScalar", { $0 * s }, grad: { g, _, _ in g * s })
    }
    /// `self / s` for every element.
    public static func / (a: Tensor, s: Float) -> Tensor { a * (1 / s) }
    /// `s - self` for every element.
    public static func - (s: Float, a: Tensor) -> Tensor {
        a.mapRecorded("rsubScalar", { s - $0 }, grad: { g, _, _ in -g })
    }
    /// `s * self` for every element.
    public static func * (s: Float, a: Tensor) -> Tensor { a * s }
    /// `-self`.
    public static prefix func - (a: Tensor) -> Tensor {
        a.mapRecorded("neg", { -$0 }, grad: { g, _, _ in -g })
    }
}

extension Kernels {
    /// `f` applied to each element of a contiguous tensor, as a new tensor (not recorded).
    static func map(_ a: Tensor, _ f: (Float) -> Float) -> Tensor {
        let out = Tensor(uninitializedShape: a.shape)
        let x = a.data, z = out.data
        for i in 0..<a.count { z[i] = f(x[i]) }
        return out
    }

    /// `f` applied to pairs of elements of two contiguous tensors of one shape (not recorded).
    static func zip(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        let out = Tensor(uninitializedShape: a.shape)
        let x = a.data, y = b.data, z = out.data
        for i in 0..<a.count { z[i] = f(x[i], y[i]) }
        return out
    }
}
