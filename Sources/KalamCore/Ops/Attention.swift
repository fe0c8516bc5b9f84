import CKalamKernels

/// Fused scaled-dot-product attention with a hand-written backward pass.
///
/// For each batch element and head (in parallel over cores, single-threaded BLAS inside):
/// `S = scale · Q Kᵀ + bias`, masked scores replaced by the lowest float (so a fully masked row becomes
/// uniform rather than NaN, as Hugging Face's eager attention does), `P = softmax(S)`, optional dropout,
/// `O = P V`. The probabilities are kept for the backward pass.
public struct AttentionOptions {
    /// The factor applied to `Q Kᵀ`; `nil` means `1/√D` (T5 uses 1).
    public var scale: Float?
    /// Whether query `i` may attend only to keys `j ≤ i + (Tk − Tq)` (queries are the last `Tq` positions).
    public var causal: Bool
    /// `[B, Tk]`, 1 for keys to attend to, 0 for padding; `nil` for none.
    public var keyMask: Tensor?
    /// An additive score bias `[B or 1, H or 1, Tq, Tk]` (T5's relative position bias); it receives a gradient.
    public var bias: Tensor?
    /// The dropout probability on attention probabilities (training only).
    public var dropout: Float

    /// Options for attention; defaults are unscaled-by-default `1/√D`, not causal, no masks, no dropout.
    public init(
        scale: Float? = nil, causal: Bool = false, keyMask: Tensor? = nil, bias: Tensor? = nil, dropout: Float = 0
    ) {
        self.scale = scale
        self.causal = causal
        self.keyMask = keyMask
        self.bias = bias
        self.dropout = dropout
    }
}

/// Attention of `q` `[B, H, Tq, D]` over `k`, `v` `[B, H, Tk, D]` → `[B, H, Tq, D]`.
/// - Throws: `TensorError.shapeMismatch` when the shapes disagree, `TensorError.invalidArgument` for a
///   dropout outside `[0, 1)`.
public func scaledDotProductAttention<R: RandomNumberGenerator>(
    _ q: Tensor, _ k: Tensor, _ v: Tensor, options: AttentionOptions, rng: inout R
) throws -> Tensor {
    guard q.rank == 4, k.rank == 4, v.rank == 4, k.shape == v.shape,
        q.shape[0] == k.shape[0], q.shape[1] == k.shape[1], q.shape[3] == k.shape[3]
    else {
        throw TensorError.shapeMismatch(op: "attention", lhs: q.shape, rhs: k.shape)
    }
    let (b, h, tq, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
    let tk = k.shape[2]
    if let m = options.keyMask, m.shape != [b, tk] {
        throw TensorError.shapeMismatch(op: "attention (key mask)", lhs: [b, tk], rhs: m.shape)
    }
    var biasB = 1, biasH = 1
    if let bias = options.bias {
        guard bias.rank == 4, bias.shape[2] == tq, bias.shape[3] == tk,
            bias.shape[0] == 1 || bias.shape[0] == b, bias.shape[1] == 1 || bias.shape[1] == h
        else {
            throw TensorError.shapeMismatch(op: "attention (bias)", lhs: [b, h, tq, tk], rhs: bias.shape)
        }
        biasB = bias.shape[0]
        biasH = bias.shape[1]
    }
    let p = options.dropout
    guard p >= 0, p < 1 else {
        throw TensorError.invalidArgument(op: "attention", reason: "dropout \(p) is outside [0, 1)")
    }
    let scale = options.scale ?? 1 / Float(d).squareRoot()
    let qc = q.contiguous()
    // Keys and values may be views whose heads are dense [Tk, D] blocks at any stride (a KV cache's
    // buffer): they are read in place.
    let kh = HeadMatrices(k), vh = HeadMatrices(v)
    let maskC = options.keyMask?.contiguous(), biasC = options.bias?.contiguous()
    let probs = Tensor(uninitializedShape: [b, h, tq, tk])
    let out = Tensor(uninitializedShape: [b, h, tq, d])
    // The dropout mask (scaled keep factors), drawn up front so the result does not depend on threads.
    var keep: Tensor? = nil
    if p > 0 {
        keep = try Tensor.ones([b, h, tq, tk]).dropout(p, rng: &rng)
    }
    let masked = buildMask(b: b, tq: tq, tk: tk, causal: options.causal, keyMask: maskC)
    let lowest = -Float.greatestFiniteMagnitude
    let backend = Backends.current
    let qs = tq * d, ks = tk * d, ss = tq * tk
    Parallel.singleThreadedBLAS(b * h, costPerItem: 4 * ss * d + 20 * ss) { bh in
        let bi = bh / h, hi = bh % h
        let sp = probs.data + bh * ss
        // S = scale · Q Kᵀ : [Tq, D] × [D, Tk]
        backend.gemm(
            transA: false, transB: true, m: tq, n: tk, k: d, alpha: scale, a: qc.data + bh * qs, lda: d,
            b: kh.base(bh, heads: h), ldb: d, beta: 0, c: sp, ldc: tk)
        if let biasC {
            let bp = biasC.data + ((bi % biasB) * biasH + (hi % biasH)) * ss
            Kernels.addInPlace(sp, bp, count: ss)
        }
        if let masked {
            for i in 0..<tq {
                let row = sp + i * tk, mrow = masked + (bi * tq + i) * tk
                for j in 0..<tk where mrow[j] { row[j] = lowest }
            }
        }
        kalam_softmax_rows(Kernels.instructionSet.rawValue, sp, tq, tk)
        // O = P V : [Tq, Tk] × [Tk, D]
        var pv = UnsafePointer(sp)
        var dropped: UnsafeMutablePointer<Float>? = nil
        if let keep {
            let tmp = UnsafeMutablePointer<Float>.allocate(capacity: ss)
            let kp = keep.data + bh * ss
            for i in 0..<ss { tmp[i] = sp[i] * kp[i] }
            pv = UnsafePointer(tmp)
            dropped = tmp
        }
        backend.gemm(
            transA: false, transB: false, m: tq, n: d, k: tk, alpha: 1, a: pv, lda: tk,
            b: vh.base(bh, heads: h), ldb: d, beta: 0, c: out.data + bh * qs, ldc: d)
        dropped?.deallocate()
    }

    var inputs = [q, k, v]
    if let bias = options.bias { inputs.append(bias) }
    let needBias = options.bias?.requiresGrad ?? false
    let hasBias = options.bias != nil
    let qd = qc.detached(), pd = probs.detached()
    let keepD = keep?.detached()
    let maskCopy = masked.map { ptr -> [Bool] in Array(UnsafeBufferPointer(start: ptr, count: b * tq * tk)) }
    masked?.deallocate()
    return out.recording("attention", inputs) { g in  // g: [B, H, Tq, D]
        let gq = Tensor(uninitializedShape: [b, h, tq, d])
        let gk = Tensor(uninitializedShape: [b, h, tk, d])
        let gv = Tensor(uninitializedShape: [b, h, tk, d])
        let gs = Tensor(uninitializedShape: [b, h, tq, tk])  // dS per batch and head
        Parallel.singleThreadedBLAS(b * h, costPerItem: 8 * ss * d + 20 * ss) { bh in
            let bi = bh / h
            let pp = pd.data + bh * ss, dsp = gs.data + bh * ss
            let go = g.data + bh * qs
            // dPd = dO Vᵀ : [Tq, D] × [D, Tk]
            backend.gemm(
                transA: false, transB: true, m: tq, n: tk, k: d, alpha: 1, a: go, lda: d,
                b: vh.base(bh, heads: h), ldb: d, beta: 0, c: dsp, ldc: tk)
            // dV = Pdᵀ dO : [Tk, Tq] × [Tq, D]
            if let keepD {
                let kp = keepD.data + bh * ss
                let tmp = UnsafeMutablePointer<Float>.allocate(capacity: ss)
                for i in 0..<ss {
                    tmp[i] = pp[i] * kp[i]
                    dsp[i] *= kp[i]
                }
                backend.gemm(
                    transA: true, transB: false, m: tk, n: d, k: tq, alpha: 1, a: tmp, lda: tk,
                    b: go, ldb: d, beta: 0, c: gv.data + bh * ks, ldc: d)
                tmp.deallocate()
            } else {
                backend.gemm(
                    transA: true, transB: false, m: tk, n: d, k: tq, alpha: 1, a: pp, lda: tk,
                    b: go, ldb: d, beta: 0, c: gv.data + bh * ks, ldc: d)
            }
            // dS = P ⊙ (dP − Σ dP ⊙ P), zero where the score was masked.
            for i in 0..<tq {
                let prow = pp + i * tk, drow = dsp + i * tk
                let dot = Kernels.dot(prow, drow, count: tk)
                for j in 0..<tk { drow[j] = prow[j] * (drow[j] - dot) }
                if let maskCopy {
                    let base = (bi * tq + i) * tk
                    for j in 0..<tk where maskCopy[base + j] { drow[j] = 0 }
                }
            }
            // dQ = scale · dS K : [Tq, Tk] × [Tk, D];  dK = scale · dSᵀ Q : [Tk, Tq] × [Tq, D]
            backend.gemm(
                transA: false, transB: false, m: tq, n: d, k: tk, alpha: scale, a: dsp, lda: tk,
                b: kh.base(bh, heads: h), ldb: d, beta: 0, c: gq.data + bh * qs, ldc: d)
            backend.gemm(
                transA: true, transB: false, m: tk, n: d, k: tq, alpha: scale, a: dsp, lda: tk,
                b: qd.data + bh * qs, ldb: d, beta: 0, c: gk.data + bh * ks, ldc: d)
        }
        var grads: [Tensor?] = [gq, gk, gv]
        if hasBias { grads.append(needBias ? Broadcast.reduce(gs, to: [biasB, biasH, tq, tk]) : nil) }
        return grads
    }
}

/// Attention without dropout (evaluation and generation).
public func scaledDotProductAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, options: AttentionOptions) throws -> Tensor
{
    guard options.dropout == 0 else {
        throw TensorError.invalidArgument(op: "attention", reason: "dropout needs a random number generator")
    }
    var rng = SystemRandomNumberGenerator()
    return try scaledDotProductAttention(q, k, v, options: options, rng: &rng)
}

/// `[B, Tq, Tk]` flags of masked scores, or `nil` when nothing is masked. The caller deallocates.
private func buildMask(b: Int, tq: Int, tk: Int, causal: Bool, keyMask: Tensor?) -> UnsafeMutablePointer<Bool>? {
    // A causal mask hides nothing from a single query that comes last (one decoding step).
    guard (causal && tq > 1) || keyMask != nil else { return nil }
    let m = UnsafeMutablePointer<Bool>.allocate(capacity: b * tq * tk)
    let shift = tk - tq
    for bi in 0..<b {
        for i in 0..<tq {
            let row = m + (bi * tq + i) * tk
            for j in 0..<tk {
                var hide = causal && j > i + shift
                if let keyMask, keyMask.data[bi * tk + j] == 0 { hide = true }
                row[j] = hide
            }
        }
    }
    return m
}

extension Parallel {
    /// `forEach` with BLAS held to one thread while the items run in parallel.
    public static func singleThreadedBLAS(_ count: Int, costPerItem: Int, _ body: (Int) -> Void) {
        let parallel = threads > 1 && count > 1 && count * costPerItem >= 200_000
        if parallel { BLAS.setThreads(1) }
        forEach(count, costPerItem: costPerItem, body)
        if parallel { BLAS.setThreads(threads) }
    }
}

/// The `[T, D]` matrices of a `[B, H, T, D]` tensor: in place when each is dense (rows of `D` at stride
/// `D`), whatever the strides between batch rows and heads; else of a dense copy.
struct HeadMatrices {
    let tensor: Tensor
    let batchStride: Int, headStride: Int

    init(_ t: Tensor) {
        let (tk, d) = (t.shape[2], t.shape[3])
        if (t.strides[3] == 1 || d == 1) && (t.strides[2] == d || tk == 1) {
            tensor = t
            batchStride = t.strides[0]
            headStride = t.strides[1]
        } else {
            tensor = t.contiguous()
            batchStride = t.shape[1] * tk * d
            headStride = tk * d
        }
    }

    /// The matrix of batch-and-head index `bh` (`b · heads + h`).
    func base(_ bh: Int, heads: Int) -> UnsafeMutablePointer<Float> {
        tensor.data + (bh / heads) * batchStride + (bh % heads) * headStride
    }
}
