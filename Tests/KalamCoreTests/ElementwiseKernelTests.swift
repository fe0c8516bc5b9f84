import CKalamKernels
import Foundation
import Testing

@testable import KalamCore

/// Each of Kalam's vectorised elementwise kernels, on every instruction set this CPU runs, against a
/// double-precision reference, at lengths with and without a partial last vector.
@Suite struct ElementwiseKernelTests {
    static let isas = BLAS.InstructionSet.supported

    /// Values from -12 to 12 plus the edges: 0, tiny, the series/exp switch points, ±100.
    static func inputs(_ count: Int) -> [Float] {
        var x = (0..<count).map { Float(-12 + 24 * Double($0) / Double(max(count - 1, 1))) }
        let edges: [Float] = [0, 1e-8, -0.06, 0.07, -9.5, 100, -100]
        for (i, e) in edges.enumerated() where i < count { x[i] = e }
        return x
    }

    @Test(arguments: [1, 15, 16, 37, 1000])
    func geluBothFormsAndTheirGradientsMatchTheReference(count: Int) {
        let x = Self.inputs(count), g = (0..<count).map { Float(0.5 + 0.01 * Double($0 % 7)) }
        for isa in Self.isas {
            var y = [Float](repeating: .nan, count: count), d = y, t = y
            kalam_gelu_erf(isa.rawValue, x, &y, count)
            kalam_gelu_erf_backward(isa.rawValue, g, x, &d, count)
            for i in 0..<count {
                let v = Double(x[i]), cdf = 0.5 * (1 + Foundation.erf(v / 2.0.squareRoot()))
                let pdf = Foundation.exp(-0.5 * v * v) / (2 * Double.pi).squareRoot()
                #expect(abs(Double(y[i]) - v * cdf) <= 1e-6 * max(1, abs(v)), "\(isa) erf gelu(\(v)) = \(y[i])")
                #expect(abs(Double(d[i]) - Double(g[i]) * (cdf + v * pdf)) <= 1e-6, "\(isa) erf gelu'(\(v))")
            }
            kalam_gelu_tanh(isa.rawValue, x, &y, &t, count)
            kalam_gelu_tanh_backward(isa.rawValue, g, x, t, &d, count)
            for i in 0..<count {
                let v = Double(x[i]), c = (2 / Double.pi).squareRoot()
                let th = Foundation.tanh(c * (v + 0.044715 * v * v * v))
                let dth = 0.5 * (1 + th) + 0.5 * v * (1 - th * th) * c * (1 + 3 * 0.044715 * v * v)
                #expect(abs(Double(t[i]) - th) <= 1e-6, "\(isa) tanh at \(v)")
                #expect(abs(Double(y[i]) - 0.5 * v * (1 + th)) <= 1e-6 * max(1, abs(v)), "\(isa) tanh gelu(\(v))")
                #expect(abs(Double(d[i]) - Double(g[i]) * dth) <= 2e-6, "\(isa) tanh gelu'(\(v))")
            }
        }
    }

    @Test(arguments: [1, 17, 128])
    func softmaxRowsSumToOneAndMatchTheReference(cols: Int) {
        let rows = 3
        var x = (0..<(rows * cols)).map { Float(sin(Double($0) * 0.7) * 6) }
        // The last row fully masked (every score -greatestFiniteMagnitude): uniform, as the scalar code.
        for j in 0..<cols { x[(rows - 1) * cols + j] = -Float.greatestFiniteMagnitude }
        if cols > 1 { x[1] = -Float.greatestFiniteMagnitude }  // one masked score in row 0
        for isa in Self.isas {
            var p = x
            kalam_softmax_rows(isa.rawValue, &p, rows, cols)
            for r in 0..<(rows - 1) {
                let row = x[(r * cols)..<((r + 1) * cols)].map(Double.init)
                let m = row.max()!, z = row.map { Foundation.exp($0 - m) }.reduce(0, +)
                for j in 0..<cols {
                    let want = Foundation.exp(row[j] - m) / z
                    #expect(abs(Double(p[r * cols + j]) - want) <= 1e-6, "\(isa) row \(r) col \(j)")
                }
            }
            if cols > 1 { #expect(p[1] == 0) }
            for j in 0..<cols { #expect(abs(p[(rows - 1) * cols + j] - 1 / Float(cols)) <= 1e-6) }
        }
    }

    @Test(arguments: [1, 9, 64, 300])
    func maxAndExponentialSumsMatchTheReference(count: Int) {
        let x = (0..<count).map { Float(cos(Double($0) * 1.3) * 10 + Double($0 % 5)) }
        let m = x.max()!
        let sum = x.map { Foundation.exp(Double($0 - m)) }.reduce(0, +)
        for isa in Self.isas {
            #expect(kalam_max(isa.rawValue, x, count) == m, "\(isa)")
            #expect(abs(Double(kalam_exp_sum(isa.rawValue, x, count, m)) - sum) <= 1e-6 * sum, "\(isa)")
            var y = [Float](repeating: .nan, count: count)
            kalam_exp_affine(isa.rawValue, x, &y, count, m, 0.25, -2)
            for i in 0..<count {
                let want = (Foundation.exp(Double(x[i] - m)) - 0.25) * -2
                #expect(abs(Double(y[i]) - want) <= 1e-6, "\(isa) at \(i)")
            }
        }
        #expect(kalam_max(Self.isas[0].rawValue, x, 0) == -.infinity)
    }

    @Test(arguments: [(4, 7), (5, 16), (3, 130)])
    func layerNormAndItsGradientMatchTheReference(rows: Int, c: Int) {
        let x = (0..<(rows * c)).map { Float(sin(Double($0) * 0.37) * 3 + Double($0 % 3)) }
        let g = (0..<(rows * c)).map { Float(cos(Double($0) * 0.11)) }
        let w = (0..<c).map { Float(1 + 0.1 * Double($0 % 4)) }, b = (0..<c).map { Float(0.05 * Double($0)) }
        for isa in Self.isas {
            for affine in [true, false] {
                var y = [Float](repeating: .nan, count: rows * c), mean = [Float](repeating: 0, count: rows)
                var rstd = mean, dx = y
                var gw = [Float](repeating: 1, count: c), gb = [Float](repeating: 2, count: c)  // accumulated into
                var wantGW = gw.map(Double.init), wantGB = gb.map(Double.init)
                let wp: [Float]? = affine ? w : nil, bp: [Float]? = affine ? b : nil
                wp.withOptionalPointer { wptr in
                    bp.withOptionalPointer { bptr in
                        kalam_layer_norm(isa.rawValue, x, wptr, bptr, &y, &mean, &rstd, rows, c, 1e-5)
                        kalam_layer_norm_backward(isa.rawValue, g, x, mean, rstd, wptr, &dx, &gw, &gb, rows, c)
                    }
                }
                for r in 0..<rows {
                    let row = x[(r * c)..<((r + 1) * c)].map(Double.init),
                        gr = g[(r * c)..<((r + 1) * c)].map(Double.init)
                    let mu = row.reduce(0, +) / Double(c)
                    let s = 1 / (row.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Double(c) + 1e-5).squareRoot()
                    let xhat = row.map { ($0 - mu) * s }
                    let d = (0..<c).map { gr[$0] * (affine ? Double(w[$0]) : 1) }
                    let meanD = d.reduce(0, +) / Double(c)
                    let meanDX = zip(d, xhat).map(*).reduce(0, +) / Double(c)
                    for j in 0..<c {
                        let want = xhat[j] * (affine ? Double(w[j]) : 1) + (affine ? Double(b[j]) : 0)
                        #expect(abs(Double(y[r * c + j]) - want) <= 1e-5, "\(isa) y[\(r), \(j)]")
                        let wantDX = s * (d[j] - meanD - xhat[j] * meanDX)
                        #expect(abs(Double(dx[r * c + j]) - wantDX) <= 1e-4, "\(isa) dx[\(r), \(j)]")
                        wantGW[j] += gr[j] * xhat[j]
                        wantGB[j] += gr[j]
                    }
                    #expect(abs(Double(mean[r]) - mu) <= 1e-5 && abs(Double(rstd[r]) - s) <= 1e-4 * s)
                }
                for j in 0..<c {
                    #expect(abs(Double(gw[j]) - wantGW[j]) <= 1e-4, "\(isa) gw[\(j)]")
                    #expect(abs(Double(gb[j]) - wantGB[j]) <= 1e-4, "\(isa) gb[\(j)]")
                }
            }
        }
    }
}

extension Optional where Wrapped == [Float] {
    /// Calls `body` with a pointer to the array's elements, or with nil.
    fileprivate func withOptionalPointer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .some(let array): return array.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: return body(nil)
        }
    }
}
