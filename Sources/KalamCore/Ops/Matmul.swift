/// Matrix products through the backend's `gemm`.
///
/// An operand whose last two dimensions are a transposed view of dense memory (e.g. `w.transposed()`)
/// is passed to BLAS with its transpose flag instead of being copied.
struct MatrixOperand {
    let tensor: Tensor  // dense, or a dense matrix stack seen transposed
    let transposed: Bool
    let rows: Int, cols: Int  // the logical matrix: [rows, cols]
    let batchStride: Int
    var ld: Int { transposed ? rows : cols }

    init(_ t: Tensor) {
        let r = t.rank
        let rows = t.shape[r - 2], cols = t.shape[r - 1]
        self.rows = rows
        self.cols = cols
        self.batchStride = rows * cols
        let batchDense: Bool = {
            var expected = rows * cols
            for axis in stride(from: r - 3, through: 0, by: -1) where t.shape[axis] != 1 {
                if t.strides[axis] != expected { return false }
                expected *= t.shape[axis]
            }
            return true
        }()
        if batchDense, t.strides[r - 2] == 1 || rows == 1, t.strides[r - 1] == rows, !t.isContiguous {
            tensor = t
            transposed = true
        } else {
            tensor = t.contiguous()
            transposed = false
        }
    }
}

/// The matrix product of `a` `[..., M, K]` and `b` `[..., K, N]` → `[..., M, N]`.
///
/// `b` may be a single matrix `[K, N]` shared by every matrix of `a`; otherwise the leading (batch)
/// dimensions of `a` and `b` must be equal.
/// - Throws: `TensorError.shapeMismatch` naming both shapes when the inner dimensions or batch
///   dimensions differ; `TensorError.invalidShape` for operands of rank < 2.
public func matmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    guard a.rank >= 2, b.rank >= 2 else {
        throw TensorError.shapeMismatch(op: "matmul", lhs: a.shape, rhs: b.shape)
    }
    let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1], n = b.shape[b.rank - 1]
    guard b.shape[b.rank - 2] == k else {
        throw TensorError.shapeMismatch(op: "matmul", lhs: a.shape, rhs: b.shape)
    }
    let batchShape = Array(a.shape.dropLast(2))
    let sharedB = b.rank == 2
    guard sharedB || Array(b.shape.dropLast(2)) == batchShape else {
        throw TensorError.shapeMismatch(op: "matmul", lhs: a.shape, rhs: b.shape)
    }
    let batch = batchShape.reduce(1, *)
    let backend = Backends.current
    let out = Tensor(uninitializedShape: batchShape + [m, n])
    let lhs = MatrixOperand(a), rhs = MatrixOperand(b)

    if sharedB && !lhs.transposed {
        // One product: [batch·M, K] × [K, N].
        backend.gemm(
            transA: false, transB: rhs.transposed, m: batch * m, n: n, k: k, alpha: 1,
            a: lhs.tensor.data, lda: k, b: rhs.tensor.data, ldb: rhs.ld, beta: 0, c: out.data, ldc: n)
    } else {
        backend.batchedGemm(
            batch: batch, transA: lhs.transposed, transB: rhs.transposed, m: m, n: n, k: k,
            alpha: 1, a: lhs.tensor.data, lda: lhs.ld, strideA: lhs.batchStride,
            b: rhs.tensor.data, ldb: rhs.ld, strideB: sharedB ? 0 : rhs.batchStride,
            beta: 0, c: out.data, ldc: n, strideC: m * n)
    }

    let needA = a.requiresGrad, needB = b.requiresGrad
    return out.recording("matmul", [a, b]) { g in  // g: [..., M, N]
        var ga: Tensor? = nil, gb: Tensor? = nil
        if needA {
            // dA = dC · Bᵀ : [..., M, N] × [..., N, K]
            let t = Tensor(uninitializedShape: batchShape + [m, k])
            if sharedB {
                backend.gemm(
                    transA: false, transB: !rhs.transposed, m: batch * m, n: k, k: n, alpha: 1,
                    a: g.data, lda: n, b: rhs.tensor.data, ldb: rhs.ld, beta: 0, c: t.data, ldc: k)
            } else {
                backend.batchedGemm(
                    batch: batch, transA: false, transB: !rhs.transposed, m: m, n: k, k: n,
                    alpha: 1, a: g.data, lda: n, strideA: m * n, b: rhs.tensor.data, ldb: rhs.ld,
                    strideB: rhs.batchStride, beta: 0, c: t.data, ldc: k, strideC: m * k)
            }
            ga = t
        }
        if needB {
            // dB = Aᵀ · dC : [..., K, M] × [..., M, N]
            if sharedB && !lhs.transposed {
                let t = Tensor(uninitializedShape: [k, n])
                backend.gemm(
                    transA: true, transB: false, m: k, n: n, k: batch * m, alpha: 1,
                    a: lhs.tensor.data, lda: k, b: g.data, ldb: n, beta: 0, c: t.data, ldc: n)
                gb = t
            } else if sharedB {
                let t = Tensor.zeros([k, n])
                for i in 0..<batch {
                    backend.gemm(
                        transA: !lhs.transposed, transB: false, m: k, n: n, k: m, alpha: 1,
                        a: lhs.tensor.data + i * lhs.batchStride, lda: lhs.ld, b: g.data + i * m * n,
                        ldb: n, beta: 1, c: t.data, ldc: n)
                }
                gb = t
            } else {
                let t = Tensor(uninitializedShape: batchShape + [k, n])
                backend.batchedGemm(
                    batch: batch, transA: !lhs.transposed, transB: false, m: k, n: n, k: m,
                    alpha: 1, a: lhs.tensor.data, lda: lhs.ld, strideA: lhs.batchStride,
                    b: g.data, ldb: n, strideB: m * n, beta: 0, c: t.data, ldc: n,
                    strideC: k * n)
                gb = t
            }
        }
        return [ga, gb]
    }
}

/// A fully connected layer: `x · weightᵀ + bias`, with `x` `[..., in]`, `weight` `[out, in]` (PyTorch's
/// `nn.Linear` layout) and `bias` `[out]` → `[..., out]`. One fused product forward, two backward.
/// - Throws: `TensorError.shapeMismatch` when the sizes do not fit.
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
    guard x.rank >= 1, weight.rank == 2, x.shape[x.rank - 1] == weight.shape[1] else {
        throw TensorError.shapeMismatch(op: "linear", lhs: x.shape, rhs: weight.shape)
    }
    let inF = weight.shape[1], outF = weight.shape[0]
    if let bias, bias.shape != [outF] {
        throw TensorError.shapeMismatch(op: "linear (bias)", lhs: weight.shape, rhs: bias.shape)
    }
    let xc = x.contiguous(), w = weight.contiguous(), bc = bias?.contiguous()
    let rows = xc.count / max(inF, 1)
    let outShape = Array(x.shape.dropLast()) + [outF]
    let out = Tensor(uninitializedShape: outShape)
    let backend = Backends.current
    if let bc {
        let yp = out.data, bp = bc.data
        for r in 0..<rows { (yp + r * outF).update(from: bp, count: outF) }
    }
    if rows == 1, let half = w.bfloat16Values {
        // One row against bfloat16 weights (decoding): y[o] = Σ W[o, i] x[i], half the bytes streamed.
        backend.gemvBFloat16(
            transA: false, rows: outF, cols: inF, a: half, x: xc.data, beta: bc == nil ? 0 : 1, y: out.data)
    } else {
        // [rows, in] × [in, out] (weight read transposed)
        backend.gemm(
            transA: false, transB: true, m: rows, n: outF, k: inF, alpha: 1, a: xc.data, lda: inF,
            b: w.data, ldb: inF, beta: bc == nil ? 0 : 1, c: out.data, ldc: outF)
    }
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    let needX = x.requiresGrad, needW = weight.requiresGrad, needB = bias?.requiresGrad ?? false
    let xd = xc.detached(), wd = w.detached()
    return out.recording("linear", inputs) { g in  // g: [rows, out]
        var gx: Tensor? = nil, gw: Tensor? = nil, gb: Tensor? = nil
        if needX {
            let t = Tensor(uninitializedShape: x.shape)
            // dX = dY · W : [rows, out] × [out, in]
            backend.gemm(
                transA: false, transB: false, m: rows, n: inF, k: outF, alpha: 1, a: g.data,
                lda: outF, b: wd.data, ldb: inF, beta: 0, c: t.data, ldc: inF)
            gx = t
        }
        if needW {
            let t = Tensor(uninitializedShape: [outF, inF])
            // dW = dYᵀ · X : [out, rows] × [rows, in]
            backend.gemm(
                transA: true, transB: false, m: outF, n: inF, k: rows, alpha: 1, a: g.data,
                lda: outF, b: xd.data, ldb: inF, beta: 0, c: t.data, ldc: inF)
            gw = t
        }
        if needB { gb = Broadcast.reduce(g, to: [outF]) }
        return bias == nil ? [gx, gw] : [gx, gw, gb]
    }
}

/// GPT-2's `Conv1D`: `x · weight + bias` with `weight` `[in, out]` (the transpose of `nn.Linear`'s
/// layout, as GPT-2 checkpoints store it) and `bias` `[out]` → `[..., out]`. One product forward with
/// the bias folded in, two backward.
/// - Throws: `TensorError.shapeMismatch` when the sizes do not fit.
public func conv1D(_ x: Tensor, weight: Tensor, bias: Tensor) throws -> Tensor {
    guard x.rank >= 1, weight.rank == 2, x.shape[x.rank - 1] == weight.shape[0] else {
        throw TensorError.shapeMismatch(op: "conv1D", lhs: x.shape, rhs: weight.shape)
    }
    let inF = weight.shape[0], outF = weight.shape[1]
    guard bias.shape == [outF] else {
        throw TensorError.shapeMismatch(op: "conv1D (bias)", lhs: weight.shape, rhs: bias.shape)
    }
    let xc = x.contiguous(), w = weight.contiguous(), bc = bias.contiguous()
    let rows = xc.count / max(inF, 1)
    let out = Tensor(uninitializedShape: Array(x.shape.dropLast()) + [outF])
    for r in 0..<rows { (out.data + r * outF).update(from: bc.data, count: outF) }
    let backend = Backends.current
    if rows == 1, let half = w.bfloat16Values {
        // One row against bfloat16 weights (decoding): y = bias + Σ x[i] W[i, :], half the bytes streamed.
        backend.gemvBFloat16(transA: true, rows: inF, cols: outF, a: half, x: xc.data, beta: 1, y: out.data)
    } else {
        // [rows, in] × [in, out] + bias
        backend.gemm(
            transA: false, transB: false, m: rows, n: outF, k: inF, alpha: 1, a: xc.data, lda: inF,
            b: w.data, ldb: outF, beta: 1, c: out.data, ldc: outF)
    }
    guard Tensor.needsGrad([x, weight, bias]) else { return out }
    let needX = x.requiresGrad, needW = weight.requiresGrad, needB = bias.requiresGrad
    let xd = xc.detached(), wd = w.detached()
    return out.recording("conv1D", [x, weight, bias]) { g in  // g: [rows, out]
        var gx: Tensor? = nil, gw: Tensor? = nil
        if needX {
            // dX = dY · Wᵀ : [rows, out] × [out, in]
            let t = Tensor(uninitializedShape: x.shape)
            backend.gemm(
                transA: false, transB: true, m: rows, n: inF, k: outF, alpha: 1, a: g.data, lda: outF,
                b: wd.data, ldb: outF, beta: 0, c: t.data, ldc: inF)
            gx = t
        }
        if needW {
            // dW = Xᵀ · dY : [in, rows] × [rows, out]
            let t = Tensor(uninitializedShape: [inF, outF])
            backend.gemm(
                transA: true, transB: false, m: inF, n: outF, k: rows, alpha: 1, a: xd.data, lda: inF,
                b: g.data, ldb: outF, beta: 0, c: t.data, ldc: outF)
            gw = t
        }
        return [gx, gw, needB ? Broadcast.reduce(g, to: [outF]) : nil]
    }
}
