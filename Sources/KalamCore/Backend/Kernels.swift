import Foundation

/// CPU kernels on raw buffers: copies between strided views and dense memory, and fast elementwise
/// math. Kalam's libm (`expf`, `tanhf`) runs at 30-190 M/s on the reference machine; the polynomial
/// versions here run several times faster at float32 accuracy (relative error ≤ 2e-7 for `exp`).
public enum Kernels {
    /// The instruction set of the vectorised elementwise kernels (GELU, in `CKalamKernels`): the one
    /// `KALAM_GEMM` names when it names one this CPU runs, otherwise the newest this CPU runs. It
    /// depends only on the CPU and the environment, so a machine always runs the same kernels.
    public static let instructionSet: BLAS.InstructionSet = {
        if let asked = ProcessInfo.processInfo.environment["KALAM_GEMM"], let isa = BLAS.InstructionSet(name: asked),
            isa.isSupported
        {
            return isa
        }
        return BLAS.InstructionSet.supported.last ?? .generic
    }()

    // MARK: - Strided copies

    /// Copies the elements of a strided view into dense row-major memory.
    public static func gather(from view: Tensor, into dst: UnsafeMutablePointer<Float>) {
        let shape = view.shape, strides = view.strides, src = view.storage.pointer + view.offset
        let rank = shape.count
        if rank == 0 {
            dst[0] = src[0]
            return
        }
        let inner = shape[rank - 1], innerStride = strides[rank - 1]
        let outer = view.count / max(inner, 1)
        if inner == 0 { return }
        var index = [Int](repeating: 0, count: rank)
        var srcOffset = 0
        for row in 0..<outer {
            let d = dst + row * inner
            if innerStride == 1 {
                d.update(from: src + srcOffset, count: inner)
            } else {
                for j in 0..<inner { d[j] = src[srcOffset + j * innerStride] }
            }
            // Advance the multi-index over the outer dimensions.
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                srcOffset += strides[axis]
                if index[axis] < shape[axis] { break }
                srcOffset -= strides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }

    /// Copies dense row-major values into the elements of a strided view.
    public static func scatter(_ src: UnsafePointer<Float>, into view: Tensor) {
        let shape = view.shape, strides = view.strides, dst = view.storage.pointer + view.offset
        let rank = shape.count
        if rank == 0 {
            dst[0] = src[0]
            return
        }
        let inner = shape[rank - 1], innerStride = strides[rank - 1]
        if inner == 0 { return }
        let outer = view.count / inner
        var index = [Int](repeating: 0, count: rank)
        var dstOffset = 0
        for row in 0..<outer {
            let s = src + row * inner
            for j in 0..<inner { dst[dstOffset + j * innerStride] = s[j] }
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                dstOffset += strides[axis]
                if index[axis] < shape[axis] { break }
                dstOffset -= strides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }

    // MARK: - Dense arithmetic

    /// `a + b` for two contiguous tensors of one shape, as a new tensor (not recorded).
    static func addDense(_ a: Tensor, _ b: Tensor) -> Tensor {
        let out = Tensor(uninitializedShape: a.shape)
        let x = a.data, y = b.data, z = out.data
        for i in 0..<a.count { z[i] = x[i] + y[i] }
        return out
    }

    /// `dst += src` elementwise.
    @inlinable
    public static func addInPlace(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { dst[i] += src[i] }
    }

    /// The sum of `count` floats, accumulated in 8 lanes (then in Double) for accuracy and speed.
    @inlinable
    public static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= count {
            acc += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var total = Double(acc.sum())
        while i < count {
            total += Double(x[i])
            i += 1
        }
        return Float(total)
    }

    /// The dot product of two float vectors.
    @inlinable
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var i = 0
        while i + 16 <= count {
            acc0 +=
                UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
                * UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
            acc1 +=
                UnsafeRawPointer(x + i + 8).loadUnaligned(as: SIMD8<Float>.self)
                * UnsafeRawPointer(y + i + 8).loadUnaligned(as: SIMD8<Float>.self)
            i += 16
        }
        var total = (acc0 + acc1).sum()
        while i < count {
            total += x[i] * y[i]
            i += 1
        }
        return total
    }

    // MARK: - Fast math

    /// `e^x` for float32: range reduction by powers of two and a degree-6 polynomial.
    /// Relative error ≤ 2e-7 on [-87, 88]; 0 below -87.3, +inf above 88.7.
    @inlinable
    public static func exp(_ x: Float) -> Float {
        if x < -87.3 { return 0 }
        if x > 88.7 { return .infinity }
        if x.isNaN { return x }
        // x = n ln2 + r, |r| ≤ ln2/2. Adding and subtracting 1.5 · 2²³ rounds to the nearest integer
        // (ties to even), exactly as `rounded(.toNearestOrEven)`, which compiles to a libm call here.
        let shifter: Float = 12_582_912
        let n = (x * 1.442_695_04 + shifter) - shifter
        let r = x - n * 0.693_145_75 - n * 1.428_606_8e-6
        // e^r ≈ 1 + r + r²/2 + … + r⁶/720 (Horner)
        var p: Float = 1.388_888_9e-3
        p = p * r + 8.333_333_3e-3
        p = p * r + 4.166_666_6e-2
        p = p * r + 1.666_666_7e-1
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let bits = UInt32(bitPattern: Int32(n) &+ 127) << 23
        return p * Float(bitPattern: bits)
    }

    /// `tanh(x)` for float32 through `exp`, with a series near 0. Absolute error ≤ 3e-7.
    @inlinable
    public static func tanh(_ x: Float) -> Float {
        let a = abs(x)
        if a < 0.0625 {
            let x2 = x * x
            return x + x * x2 * (-0.333_333_34 + x2 * (0.133_333_33 + x2 * -0.053_968_254))
        }
        if a > 9 { return x > 0 ? 1 : -1 }
        let e = exp(-2 * a)
        let t = (1 - e) / (1 + e)
        return x < 0 ? -t : t
    }

    /// The logistic sigmoid `1 / (1 + e^-x)`.
    @inlinable
    public static func sigmoid(_ x: Float) -> Float {
        x >= 0
            ? 1 / (1 + exp(-x))
            : {
                let e = exp(x)
                return e / (1 + e)
            }()
    }

    /// The error function, Abramowitz & Stegun 7.1.26 refined: absolute error ≤ 1.5e-7.
    @inlinable
    public static func erf(_ x: Float) -> Float {
        let a = abs(x)
        let t = 1 / (1 + 0.327_591_1 * a)
        var y: Float = 1.061_405_429
        y = y * t - 1.453_152_027
        y = y * t + 1.421_413_741
        y = y * t - 0.284_496_736
        y = y * t + 0.254_829_592
        let r = 1 - y * t * exp(-a * a)
        return x < 0 ? -r : r
    }
}
