import Foundation

/// Small row kernels shared by the inference decoders (layer norm, RMS norm, activations, attention).
enum DecoderKernels {
    /// Layer norm of `rows` rows of width `d`, in place into `out`.
    static func layerNorm(
        _ x: UnsafePointer<Float>, rows: Int, d: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        epsilon: Float, into out: UnsafeMutablePointer<Float>
    ) {
        for r in 0..<rows {
            let row = x + r * d
            var sum: Float = 0
            for i in 0..<d { sum += row[i] }
            let mean = sum / Float(d)
            var squares: Float = 0
            for i in 0..<d {
                let c = row[i] - mean
                squares += c * c
            }
            let rstd = 1 / (squares / Float(d) + epsilon).squareRoot()
            let o = out + r * d
            for i in 0..<d { o[i] = (row[i] - mean) * rstd * weight[i] + bias[i] }
        }
    }

    /// T5's RMS norm (no mean, no bias), in place into `out`.
    static func rmsNorm(
        _ x: UnsafePointer<Float>, rows: Int, d: Int, weight: UnsafePointer<Float>, epsilon: Float,
        into out: UnsafeMutablePointer<Float>
    ) {
        for r in 0..<rows {
            let row = x + r * d
            var squares: Float = 0
            for i in 0..<d { squares += row[i] * row[i] }
            let scale = 1 / (squares / Float(d) + epsilon).squareRoot()
            let o = out + r * d
            for i in 0..<d { o[i] = weight[i] * (row[i] * scale) }
        }
    }

    /// The activations the decoders support.
    enum Activation {
        case geluTanh, geluErf, relu
    }

    /// Applies `activation` in place to `count` values.
    static func activate(_ x: UnsafeMutablePointer<Float>, count: Int, _ activation: Activation) {
        switch activation {
        case .geluTanh:
            let c: Float = (2 / Float.pi).squareRoot()
            for i in 0..<count {
                let v = x[i]
                x[i] = 0.5 * v * (1 + tanh(c * (v + 0.044715 * v * v * v)))
            }
        case .geluErf:
            let c: Float = 1 / Float(2).squareRoot()
            for i in 0..<count { x[i] = 0.5 * x[i] * (1 + erf(x[i] * c)) }
        case .relu:
            for i in 0..<count where x[i] < 0 { x[i] = 0 }
        }
    }

    /// Adds `bias` (width `d`) to every one of `rows` rows.
    static func addBias(_ x: UnsafeMutablePointer<Float>, rows: Int, d: Int, _ bias: UnsafePointer<Float>) {
        for r in 0..<rows {
            let row = x + r * d
            for i in 0..<d { row[i] += bias[i] }
        }
    }

    /// One head's attention for one query: `out = softmax(scale · q·K[keys] + bias) · V[keys]`.
    /// Keys and values are rows of width `stride` starting at `keyOffset`; `scores` needs `count` floats.
    /// `bias(j)` adds a per-key bias (T5's relative positions); `nil` adds nothing.
    static func attend(
        query q: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
        stride: Int, headDim: Int, from first: Int, to last: Int, scale: Float,
        bias: ((Int) -> Float)?, scores: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>
    ) {
        for i in 0..<headDim { out[i] = 0 }
        guard last >= first else { return }
        var maxScore = -Float.infinity
        for j in first...last {
            let k = keys + j * stride
            var dot: Float = 0
            for i in 0..<headDim { dot += q[i] * k[i] }
            var s = dot * scale
            if let bias { s += bias(j) }
            scores[j - first] = s
            if s > maxScore { maxScore = s }
        }
        var sum: Float = 0
        for j in 0...(last - first) {
            let e = exp(scores[j] - maxScore)
            scores[j] = e
            sum += e
        }
        let inv = 1 / sum
        for j in first...last {
            let p = scores[j - first] * inv
            let v = values + j * stride
            for i in 0..<headDim { out[i] += p * v[i] }
        }
    }
}
