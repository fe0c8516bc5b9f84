import KalamCore

/// Scales all gradients together so that their global L2 norm is at most `maxNorm`, exactly as PyTorch's
/// `torch.nn.utils.clip_grad_norm_` (norm type 2).
///
/// `total = √(Σ over parameters with a gradient of ‖grad‖²)`; every gradient is multiplied by
/// `min(1, maxNorm / (total + 1e-6))`. A tensor listed under two keys (tied weights) counts once.
/// - Returns: the total norm before clipping (accumulated in `Double`).
/// - Throws: `OptimizerError.invalidHyperparameter` for a negative or NaN `maxNorm`.
@discardableResult
public func clipGradNorm(_ parameters: NamedParameters, maxNorm: Float) throws -> Float {
    guard maxNorm >= 0 else {
        throw OptimizerError.invalidHyperparameter(name: "maxNorm", value: Double(maxNorm), reason: "must be ≥ 0")
    }
    var seen = Set<ObjectIdentifier>()
    var tensors: [Tensor] = []
    for (_, t) in parameters where t.grad != nil && seen.insert(ObjectIdentifier(t)).inserted {
        tensors.append(t)
    }
    var sumSquares: Double = 0
    for t in tensors {
        let g = t.grad!.contiguous()
        sumSquares += squaredNorm(g.data, count: g.count)
    }
    let total = sumSquares.squareRoot()
    let coefficient = Float(min(1, Double(maxNorm) / (total + 1e-6)))
    if coefficient < 1 {
        for t in tensors {
            var g = t.grad!
            if !g.isContiguous {
                g = g.contiguous()
                t.grad = g
            }
            let p = g.data
            Parallel.forRanges(g.count, costPerItem: 2) { r in
                for i in r { p[i] *= coefficient }
            }
        }
    }
    return Float(total)
}

/// `Σ x²` over `count` floats: 8-lane float partial sums over blocks of 1024, added up in `Double`.
private func squaredNorm(_ x: UnsafeMutablePointer<Float>, count: Int) -> Double {
    var total: Double = 0
    var start = 0
    while start < count {
        let end = min(count, start + 1024)
        var acc = SIMD8<Float>()
        var i = start
        while i + 8 <= end {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            acc += v * v
            i += 8
        }
        var block = Double(acc.sum())
        while i < end {
            block += Double(x[i]) * Double(x[i])
            i += 1
        }
        total += block
        start = end
    }
    return total
}
