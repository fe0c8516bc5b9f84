import Foundation

extension T5Decoder {
    /// Runs the encoder over one prompt; returns its final hidden states `[S, d]`.
    func encode(_ ids: [Int32]) -> [Float] {
        let s = ids.count, d = config.dModel, inner = config.innerDim, heads = config.numHeads
        let epsilon = Float(config.layerNormEpsilon)
        var x = [Float](repeating: 0, count: s * d)
        for (i, id) in ids.enumerated() {
            for c in 0..<d { x[i * d + c] = shared[Int(id) * d + c] }
        }
        // bias[head][i][j] from the bidirectional buckets of j - i
        let buckets = (0..<s).map { i in
            (0..<s).map { j in
                Self.bucket(
                    j - i, bidirectional: true, numBuckets: config.relativeAttentionNumBuckets,
                    maxDistance: config.relativeAttentionMaxDistance)
            }
        }
        var h = [Float](repeating: 0, count: s * d)
        var q = [Float](repeating: 0, count: s * inner), k = q, v = q, attended = q
        var projected = [Float](repeating: 0, count: s * d)
        var scores = [Float](repeating: 0, count: s)
        for block in encoderBlocks {
            DecoderKernels.rmsNorm(x, rows: s, d: d, weight: block.selfNorm, epsilon: epsilon, into: &h)
            Gemm.matmulTransposed(h, rows: s, block.selfAttention.q, k: d, n: inner, into: &q)  // [S, inner]
            Gemm.matmulTransposed(h, rows: s, block.selfAttention.k, k: d, n: inner, into: &k)
            Gemm.matmulTransposed(h, rows: s, block.selfAttention.v, k: d, n: inner, into: &v)
            for i in 0..<s {
                for head in 0..<heads {
                    let rowBuckets = buckets[i]
                    let bias = encoderBias
                    attend(
                        q, row: i, keys: k, values: v, head: head, first: 0, last: s - 1,
                        bias: { bias[rowBuckets[$0] * heads + head] }, scores: &scores, into: &attended)
                }
            }
            Gemm.matmulTransposed(attended, rows: s, block.selfAttention.o, k: inner, n: d, into: &projected)
            for i in 0..<(s * d) { x[i] += projected[i] }
            feedForward(block, x: &x, rows: s, scratch: &h, out: &projected)
        }
        var out = [Float](repeating: 0, count: s * d)
        DecoderKernels.rmsNorm(x, rows: s, d: d, weight: encoderFinalNorm, epsilon: epsilon, into: &out)
        return out
    }

    /// Runs `chunk[b]` (T new decoder ids per row) after the cached ones; returns each row's last logits.
    func decode(_ chunk: [[Int32]], cache: inout Cache) -> [[Float]] {
        let batch = chunk.count, t = chunk.first?.count ?? 0
        let d = config.dModel, inner = config.innerDim, heads = config.numHeads
        let start = cache.ids.first?.count ?? 0, n = batch * t
        let epsilon = Float(config.layerNormEpsilon)
        var x = [Float](repeating: 0, count: n * d)
        for b in 0..<batch {
            for i in 0..<t {
                for c in 0..<d { x[(b * t + i) * d + c] = shared[Int(chunk[b][i]) * d + c] }
            }
        }
        // unidirectional buckets of (key - query) for every query position of this chunk
        let biasRows = (0..<t).map { i in
            (0...(start + i)).map { j in
                Self.bucket(
                    j - (start + i), bidirectional: false, numBuckets: config.relativeAttentionNumBuckets,
                    maxDistance: config.relativeAttentionMaxDistance)
            }
        }
        var h = [Float](repeating: 0, count: n * d)
        var q = [Float](repeating: 0, count: n * inner), k = q, v = q, attended = q
        var projected = [Float](repeating: 0, count: n * d)
        var scores = [Float](repeating: 0, count: max(start + t, cache.encoderLengths.max() ?? 0))
        for (l, block) in decoderBlocks.enumerated() {
            // self-attention with the cache
            DecoderKernels.rmsNorm(x, rows: n, d: d, weight: block.selfNorm, epsilon: epsilon, into: &h)
            Gemm.matmulTransposed(h, rows: n, block.selfAttention.q, k: d, n: inner, into: &q)  // [B*T, inner]
            Gemm.matmulTransposed(h, rows: n, block.selfAttention.k, k: d, n: inner, into: &k)
            Gemm.matmulTransposed(h, rows: n, block.selfAttention.v, k: d, n: inner, into: &v)
            for b in 0..<batch {
                cache.selfKeys[l][b].append(contentsOf: k[(b * t * inner)..<((b + 1) * t * inner)])
                cache.selfValues[l][b].append(contentsOf: v[(b * t * inner)..<((b + 1) * t * inner)])
                let keys = cache.selfKeys[l][b], values = cache.selfValues[l][b], bias = decoderBias
                for i in 0..<t {
                    let rowBuckets = biasRows[i]
                    for head in 0..<heads {
                        attend(
                            q, row: b * t + i, keys: keys, values: values, head: head, first: 0, last: start + i,
                            bias: { bias[rowBuckets[$0] * heads + head] }, scores: &scores, into: &attended)
                    }
                }
            }
            Gemm.matmulTransposed(attended, rows: n, block.selfAttention.o, k: inner, n: d, into: &projected)
            for i in 0..<(n * d) { x[i] += projected[i] }
            // cross-attention over the encoder output (keys and values computed once in `start`)
            let cross = block.crossAttention!
            DecoderKernels.rmsNorm(x, rows: n, d: d, weight: block.crossNorm!, epsilon: epsilon, into: &h)
            Gemm.matmulTransposed(h, rows: n, cross.q, k: d, n: inner, into: &q)
            for b in 0..<batch {
                let keys = cache.crossKeys[l][b], values = cache.crossValues[l][b]
                for i in 0..<t {
                    for head in 0..<heads {
                        attend(
                            q, row: b * t + i, keys: keys, values: values, head: head, first: 0,
                            last: cache.encoderLengths[b] - 1, bias: nil, scores: &scores, into: &attended)
                    }
                }
            }
            Gemm.matmulTransposed(attended, rows: n, cross.o, k: inner, n: d, into: &projected)
            for i in 0..<(n * d) { x[i] += projected[i] }
            feedForward(block, x: &x, rows: n, scratch: &h, out: &projected)
        }
        for b in 0..<batch { cache.ids[b].append(contentsOf: chunk[b]) }
        var last = [Float](repeating: 0, count: batch * d)
        for b in 0..<batch {
            for c in 0..<d { last[b * d + c] = x[(b * t + t - 1) * d + c] }
        }
        var normed = [Float](repeating: 0, count: batch * d)
        DecoderKernels.rmsNorm(last, rows: batch, d: d, weight: decoderFinalNorm, epsilon: epsilon, into: &normed)
        if config.scalesDecoderOutput {
            let scale = 1 / Float(d).squareRoot()
            for i in 0..<normed.count { normed[i] *= scale }
        }
        let vocabulary = config.vocabSize
        var logits = [Float](repeating: 0, count: batch * vocabulary)
        Gemm.matmulTransposed(normed, rows: batch, lmHead ?? shared, k: d, n: vocabulary, into: &logits)
        return (0..<batch).map { Array(logits[($0 * vocabulary)..<(($0 + 1) * vocabulary)]) }
    }

    /// Residual feed-forward: `x += wo · act(wi · norm(x))` (gated: `act(wi_0 · h) * (wi_1 · h)`).
    private func feedForward(_ block: Block, x: inout [Float], rows: Int, scratch h: inout [Float], out: inout [Float])
    {
        let d = config.dModel, dff = config.dFf
        DecoderKernels.rmsNorm(
            x, rows: rows, d: d, weight: block.feedForwardNorm, epsilon: Float(config.layerNormEpsilon), into: &h)
        var hidden = [Float](repeating: 0, count: rows * dff)
        Gemm.matmulTransposed(h, rows: rows, block.feedForward.wi, k: d, n: dff, into: &hidden)  // [rows, dff]
        DecoderKernels.activate(&hidden, count: rows * dff, activation)
        if let gate = block.feedForward.wiGate {
            var linear = [Float](repeating: 0, count: rows * dff)
            Gemm.matmulTransposed(h, rows: rows, gate, k: d, n: dff, into: &linear)
            for i in 0..<(rows * dff) { hidden[i] *= linear[i] }
        }
        Gemm.matmulTransposed(hidden, rows: rows, block.feedForward.wo, k: dff, n: d, into: &out)
        for i in 0..<(rows * d) { x[i] += out[i] }
    }

    /// One head of one query row: unscaled dot products (T5 folds the scale into its weights).
    private func attend(
        _ q: [Float], row: Int, keys: [Float], values: [Float], head: Int, first: Int, last: Int,
        bias: ((Int) -> Float)?, scores: inout [Float], into out: inout [Float]
    ) {
        let inner = config.innerDim, dk = config.dKv
        q.withUnsafeBufferPointer { q in
            keys.withUnsafeBufferPointer { keys in
                values.withUnsafeBufferPointer { values in
                    scores.withUnsafeMutableBufferPointer { scores in
                        out.withUnsafeMutableBufferPointer { out in
                            DecoderKernels.attend(
                                query: q.baseAddress! + row * inner + head * dk, keys: keys.baseAddress! + head * dk,
                                values: values.baseAddress! + head * dk, stride: inner, headDim: dk,
                                from: first, to: last, scale: 1, bias: bias, scores: scores.baseAddress!,
                                into: out.baseAddress! + row * inner + head * dk)
                        }
                    }
                }
            }
        }
    }
}
