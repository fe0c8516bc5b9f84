import CKalamKernels
import Foundation

/// How per-example losses are combined.
public enum LossReduction: Sendable {
    /// The mean over examples that are not ignored.
    case mean
    /// The sum over examples that are not ignored.
    case sum
}

/// Fused softmax + cross-entropy from logits `[..., V]` and integer targets (one per row).
///
/// Matches PyTorch's `F.cross_entropy(logits, targets, ignore_index:, label_smoothing:)`: rows whose
/// target is `ignoreIndex` contribute nothing; with smoothing `ε` the loss per row is
/// `(1 − ε) · (−log p[target]) + ε · mean_c(−log p[c])`. The backward pass is `(softmax − q) / n`.
/// - Throws: `TensorError.shapeMismatch` when the target count is not the row count;
///   `TensorError.indexOutOfRange` for a target outside `0..<V` that is not `ignoreIndex`.
public func crossEntropy(
    logits: Tensor, targets: IndexTensor, ignoreIndex: Int32 = -100, labelSmoothing: Float = 0,
    reduction: LossReduction = .mean
) throws -> Tensor {
    guard logits.rank >= 1, let v = logits.shape.last, v > 0 else {
        throw TensorError.invalidShape(op: "crossEntropy", shape: logits.shape, reason: "logits need a class dimension")
    }
    let rows = logits.count / v
    guard targets.count == rows else {
        throw TensorError.shapeMismatch(op: "crossEntropy", lhs: logits.shape, rhs: targets.shape)
    }
    guard labelSmoothing >= 0, labelSmoothing <= 1 else {
        throw TensorError.invalidArgument(
            op: "crossEntropy", reason: "label smoothing \(labelSmoothing) is outside [0, 1]")
    }
    for t in targets.values where t != ignoreIndex && (t < 0 || Int(t) >= v) {
        throw TensorError.indexOutOfRange(op: "crossEntropy", index: Int(t), bound: v)
    }
    let x = logits.contiguous()
    let xp = x.data
    var lse = [Float](repeating: 0, count: rows)
    var losses = [Double](repeating: 0, count: rows)
    let eps = labelSmoothing
    let isa = Kernels.instructionSet.rawValue
    lse.withUnsafeMutableBufferPointer { lb in
        losses.withUnsafeMutableBufferPointer { lossb in
            let lp = lb.baseAddress!, lossp = lossb.baseAddress!
            Parallel.forRanges(rows, costPerItem: 12 * v) { range in
                for r in range {
                    let t = targets.values[r]
                    if t == ignoreIndex { continue }
                    let row = xp + r * v
                    let m = kalam_max(isa, row, v)
                    let s = kalam_exp_sum(isa, row, v, m)
                    let l = m + Float(Foundation.log(Double(s)))
                    lp[r] = l
                    var loss = Double(l - row[Int(t)]) * Double(1 - eps)
                    if eps > 0 {
                        let mean = Double(l) - Double(Kernels.sum(row, count: v)) / Double(v)
                        loss += Double(eps) * mean
                    }
                    lossp[r] = loss
                }
            }
        }
    }
    let n = targets.values.filter { $0 != ignoreIndex }.count
    let total = losses.reduce(0, +)
    let value: Float
    switch reduction {
    case .mean: value = n > 0 ? Float(total / Double(n)) : .nan  // PyTorch gives NaN when every row is ignored
    case .sum: value = Float(total)
    }
    let out = Tensor(scalar: value)
    let xd = x.detached(), shape = logits.shape
    return out.recording("crossEntropy", [logits]) { g in
        let scale = g.data[0] / Float(reduction == .mean ? max(n, 1) : 1)
        let t = Tensor(uninitializedShape: shape)
        let xp = xd.data, tp = t.data
        Parallel.forRanges(rows, costPerItem: 10 * v) { range in
            for r in range {
                let dr = tp + r * v
                let target = targets.values[r]
                if target == ignoreIndex {
                    dr.initialize(repeating: 0, count: v)
                    continue
                }
                let row = xp + r * v, l = lse[r]
                let uniform = eps / Float(v)
                kalam_exp_affine(isa, row, dr, v, l, uniform, scale)
                dr[Int(target)] -= (1 - eps) * scale
            }
        }
        return [t]
    }
}
