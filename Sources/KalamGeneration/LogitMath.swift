import Foundation

/// Row-wise numerics shared by the processors, samplers and beam search.
enum LogitMath {
    /// Softmax of a row in double precision; `-inf` entries get probability 0.
    static func softmax(_ row: [Float]) -> [Double] {
        var maxValue = -Double.infinity
        for value in row where Double(value) > maxValue { maxValue = Double(value) }
        var out = [Double](repeating: 0, count: row.count)
        if maxValue == -Double.infinity { return out }
        var sum = 0.0
        for i in 0..<row.count {
            let e = exp(Double(row[i]) - maxValue)
            out[i] = e
            sum += e
        }
        let inv = 1 / sum
        for i in 0..<out.count { out[i] *= inv }
        return out
    }

    /// Log-softmax of a row, computed in double and rounded to float (as close to PyTorch's float32
    /// `log_softmax` as one rounding allows).
    static func logSoftmax(_ row: [Float]) -> [Float] {
        var maxValue = -Double.infinity
        for value in row where Double(value) > maxValue { maxValue = Double(value) }
        if maxValue == -Double.infinity { return row }
        var sum = 0.0
        for value in row { sum += exp(Double(value) - maxValue) }
        let logSum = maxValue + log(sum)
        var out = [Float](repeating: 0, count: row.count)
        for i in 0..<row.count { out[i] = Float(Double(row[i]) - logSum) }
        return out
    }

    /// Index of the largest value; the first one on ties (PyTorch's `argmax`).
    static func argmax(_ row: [Float]) -> Int {
        var best = 0
        for i in 1..<max(row.count, 1) where row[i] > row[best] { best = i }
        return best
    }

    /// Indices sorted by value ascending, lower index first among equal values.
    static func ascendingOrder<T: Comparable>(_ values: [T]) -> [Int] {
        Array(0..<values.count).sorted { a, b in
            values[a] < values[b] || (values[a] == values[b] && a < b)
        }
    }

    /// The `k` largest entries as `(index, value)`, largest first, lower index first among equal values.
    static func topK(_ values: [Float], k: Int) -> [(index: Int, value: Float)] {
        let k = min(k, values.count)
        if k <= 0 { return [] }
        // Keep a small sorted buffer: k is the number of beams times two, far below the vocabulary size.
        var heap: [(index: Int, value: Float)] = []
        heap.reserveCapacity(k + 1)
        for i in 0..<values.count {
            let v = values[i]
            if heap.count == k {
                let last = heap[k - 1].value
                if !(v > last) { continue }
            }
            var pos = heap.count
            while pos > 0 && v > heap[pos - 1].value { pos -= 1 }
            heap.insert((i, v), at: pos)
            if heap.count > k { heap.removeLast() }
        }
        return heap
    }
}
