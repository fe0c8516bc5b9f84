import CKalamKernels
import Foundation

#if canImport(Accelerate)
    import Accelerate
#else
    import COpenBLAS
#endif

/// The one place Kalam multiplies matrices: the system BLAS (OpenBLAS on Linux, Accelerate on macOS)
/// or Kalam's own kernels (`CKalamKernels`: portable, AVX2 and AVX-512, each compiled for its own
/// instruction set and run only where the CPU supports it).
///
/// Which one runs is decided once, on first use, from the CPU's features and the environment only, so a
/// given machine always runs the same kernels (``kernel``):
///
/// 1. `KALAM_GEMM=blas|generic|avx2|avx512` chooses explicitly (an instruction set the CPU lacks falls
///    back to the best one it has).
/// 2. Otherwise the BLAS runs, unless the kernels OpenBLAS chose for this CPU (its core name: it keeps
///    `OPENBLAS_CORETYPE` when that is set, and some builds fall back to SSE3 `Prescott` on CPUs they
///    do not know) have no FMA (SSE or AVX-1 only) while the CPU has AVX2 or AVX-512: then Kalam's best
///    kernel runs. (An OpenBLAS AVX2 core on an AVX-512 CPU is kept: on this Zen 4 machine its
///    `Haswell` kernels ran 175-192 GFLOP/s against 155-180 for Kalam's AVX-512 one.)
/// 3. Either way, a start-up self-check compares the chosen kernel's products (all four transposition
///    cases, with edges and several cache blocks) with a double-precision reference; a kernel that
///    disagrees is not used, and the next candidate is checked (Kalam's best kernel, then its portable
///    one).
///
/// All matrices are row-major float32.
public enum BLAS {
    /// An instruction set Kalam has a matrix-product kernel for.
    public enum InstructionSet: Int32, CaseIterable, Sendable, CustomStringConvertible {
        case generic = 0
        case avx2 = 1
        case avx512 = 2

        /// The name `KALAM_GEMM` takes.
        public var description: String {
            switch self {
            case .generic: return "generic"
            case .avx2: return "avx2"
            case .avx512: return "avx512"
            }
        }

        /// Whether this build has the kernel and this CPU (and operating system) can run it.
        public var isSupported: Bool { kalam_isa_supported(rawValue) != 0 }

        /// The instruction sets this machine runs, oldest first.
        public static var supported: [InstructionSet] { allCases.filter(\.isSupported) }

        /// The instruction set a `KALAM_GEMM` value names (any case), nil for another value.
        public init?(name: String) {
            guard let isa = Self.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
            self = isa
        }
    }

    /// The kernel behind ``sgemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``.
    public enum Kernel: Equatable, Sendable, CustomStringConvertible {
        /// The system BLAS; `core` is OpenBLAS's name for the kernels it runs (`Accelerate` on macOS).
        case system(core: String)
        /// Kalam's own kernel for an instruction set.
        case kalam(InstructionSet)

        public var description: String {
            switch self {
            case .system(let core): return "blas:\(core)"
            case .kalam(let isa): return "kalam:\(isa)"
            }
        }
    }

    /// Every kernel this machine runs: the system BLAS and Kalam's kernel for each supported instruction set.
    public static var availableKernels: [Kernel] {
        [.system(core: systemCore)] + InstructionSet.supported.map { .kalam($0) }
    }

    /// The kernel chosen for this process, with the reason (see the type's documentation).
    public static var kernel: Kernel { choice.kernel }

    /// Why ``kernel`` was chosen, in words, for logs and benchmark records.
    public static var kernelReason: String { choice.reason }

    private static let choice: (kernel: Kernel, reason: String) = {
        #if !canImport(Accelerate)
            // Kalam splits products across threads itself; OpenBLAS's own threads would spin in
            // `sched_yield` between products (a quarter of a tiny training step's CPU time).
            openblas_set_num_threads(1)
        #endif
        return choose(environment: ProcessInfo.processInfo.environment["KALAM_GEMM"])
    }()

    /// The system BLAS's kernel name (OpenBLAS's core name, `Accelerate` on macOS).
    public static var systemCore: String {
        #if canImport(Accelerate)
            return "Accelerate"
        #else
            guard let name = openblas_get_corename() else { return "unknown" }
            return String(cString: name)
        #endif
    }

    /// The instruction set of an OpenBLAS core name, `nil` for a core Kalam has no kernel to compare
    /// with (another architecture, or a name it does not know).
    static func instructionSet(ofCore core: String) -> InstructionSet? {
        switch core.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": return .avx512
        case "haswell", "zen", "skylake", "excavator": return .avx2
        case "prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "barcelona", "opteron",
            "opteron_sse3", "bobcat", "nano", "katmai", "coppermine", "northwood", "banias", "athlon",
            "sandybridge", "bulldozer", "piledriver", "steamroller":
            // SSE-only or AVX-1 kernels (no FMA): treated as the portable level.
            return .generic
        default: return nil
        }
    }

    /// The choice rule, from the value of `KALAM_GEMM` (nil when unset).
    static func choose(environment: String?) -> (kernel: Kernel, reason: String) {
        let best = InstructionSet.supported.last ?? .generic
        var candidates: [Kernel] = []
        var reason: String
        let core = systemCore
        if let asked = environment?.lowercased(), !asked.isEmpty {
            if asked == "blas" {
                candidates = [.system(core: core)]
                reason = "KALAM_GEMM=blas"
            } else if let isa = InstructionSet(name: asked) {
                let runnable = isa.isSupported ? isa : best
                candidates = [.kalam(runnable)]
                reason =
                    isa.isSupported ? "KALAM_GEMM=\(asked)" : "KALAM_GEMM=\(asked), not supported here: \(runnable)"
            } else {
                reason = "KALAM_GEMM=\(asked) is not one of blas, generic, avx2, avx512"
            }
        } else if let level = instructionSet(ofCore: core), level == .generic, best != .generic {
            candidates = [.kalam(best)]
            reason = "the BLAS runs \(core) kernels (\(level)); this CPU has \(best)"
        } else {
            candidates = [.system(core: core)]
            reason = "the BLAS's \(core) kernels"
        }
        for fallback in [Kernel.system(core: core), .kalam(best), .kalam(.generic)]
        where !candidates.contains(fallback) {
            candidates.append(fallback)
        }
        for (index, candidate) in candidates.enumerated() {
            if selfCheck(candidate) {
                return (candidate, index == 0 ? reason : "\(reason); \(candidates[0]) failed the self-check")
            }
        }
        return (.kalam(.generic), "\(reason); every kernel failed the self-check")
    }

    /// Whether `kernel` computes products that agree with a double-precision reference: each
    /// transposition case at a shape with edge tiles and more than one cache block in depth, with
    /// alpha and beta both in play, and the matrix-vector product both ways.
    public static func selfCheck(_ kernel: Kernel) -> Bool {
        var generator = UInt64(0x9E37_79B9_7F4A_7C15)
        func value() -> Float {
            generator = generator &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int(generator >> 40) % 2001 - 1000) / 1000
        }
        let (m, n, k) = (37, 53, 300)
        let a = (0..<(m * k)).map { _ in value() }, b = (0..<(k * n)).map { _ in value() }
        let c0 = (0..<(m * n)).map { _ in value() }
        for transA in [false, true] {
            for transB in [false, true] {
                var c = c0
                let lda = transA ? m : k, ldb = transB ? k : n
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        c.withUnsafeMutableBufferPointer { pc in
                            sgemm(
                                kernel: kernel, transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5,
                                a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb, beta: -2,
                                c: pc.baseAddress!, ldc: n)
                        }
                    }
                }
                for i in 0..<m {
                    for j in 0..<n {
                        var exact = 0.0, scale = 0.0
                        for p in 0..<k {
                            let x = Double(transA ? a[p * lda + i] : a[i * lda + p])
                            let y = Double(transB ? b[j * ldb + p] : b[p * ldb + j])
                            exact += x * y
                            scale += abs(x * y)
                        }
                        let expected = 0.5 * exact - 2 * Double(c0[i * n + j])
                        if !(abs(Double(c[i * n + j]) - expected) <= 1e-5 * (0.5 * scale + 2)) { return false }
                    }
                }
            }
        }
        for transA in [false, true] {
            let rows = k, cols = n
            let x = (0..<(transA ? rows : cols)).map { _ in value() }
            var y = (0..<(transA ? cols : rows)).map { _ in value() }
            let y0 = y
            b.withUnsafeBufferPointer { pb in
                x.withUnsafeBufferPointer { px in
                    y.withUnsafeMutableBufferPointer { py in
                        sgemv(
                            kernel: kernel, transA: transA, rows: rows, cols: cols, alpha: 0.5,
                            a: pb.baseAddress!, lda: cols, x: px.baseAddress!, incX: 1, beta: -2,
                            y: py.baseAddress!, incY: 1)
                    }
                }
            }
            for o in 0..<y.count {
                var exact = 0.0, scale = 0.0
                for p in 0..<x.count {
                    let w = Double(transA ? b[p * cols + o] : b[o * cols + p])
                    exact += w * Double(x[p])
                    scale += abs(w * Double(x[p]))
                }
                let expected = 0.5 * exact - 2 * Double(y0[o])
                if !(abs(Double(y[o]) - expected) <= 1e-5 * (0.5 * scale + 2)) { return false }
            }
        }
        return true
    }

    /// `C = alpha * op(A) * op(B) + beta * C`, with `op(X) = X` or `Xᵀ`, on ``kernel``.
    ///
    /// `op(A)` is `[m, k]`, `op(B)` is `[k, n]`, `C` is `[m, n]`; `lda`, `ldb`, `ldc` are row strides.
    /// When beta is 0, C is not read.
    @inlinable
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        sgemm(
            kernel: kernel, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
            b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// ``sgemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` on a given kernel (tests compare
    /// the kernels; everything else uses ``kernel``). Kalam's kernels split C's rows (or columns, for a
    /// short, wide C) across ``Parallel/threads`` when the product is large enough, as the BLAS does
    /// with its own threads.
    public static func sgemm(
        kernel: Kernel, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        let parts = min(ownThreads, 2 * m * n * k >= 4_000_000 ? Parallel.threads : 1)
        if parts <= 1 {
            sgemmOnOneThread(
                kernel: kernel, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b,
                ldb: ldb, beta: beta, c: c, ldc: ldc)
        } else if m >= 16 * parts {
            // Rows of C (and of op(A)) per thread, in multiples of 8 so tiles stay whole.
            Parallel.perform(parts) { part in
                let lo = (m * part / parts) & ~7, hi = part == parts - 1 ? m : (m * (part + 1) / parts) & ~7
                guard lo < hi else { return }
                sgemmOnOneThread(
                    kernel: kernel, transA: transA, transB: transB, m: hi - lo, n: n, k: k, alpha: alpha,
                    a: transA ? a + lo : a + lo * lda, lda: lda, b: b, ldb: ldb, beta: beta, c: c + lo * ldc, ldc: ldc)
            }
        } else {
            // Columns of C (and of op(B)) per thread, in multiples of 32.
            Parallel.perform(parts) { part in
                let lo = (n * part / parts) & ~31, hi = part == parts - 1 ? n : (n * (part + 1) / parts) & ~31
                guard lo < hi else { return }
                sgemmOnOneThread(
                    kernel: kernel, transA: transA, transB: transB, m: m, n: hi - lo, k: k, alpha: alpha, a: a,
                    lda: lda, b: transB ? b + lo * ldb : b + lo, ldb: ldb, beta: beta, c: c + lo, ldc: ldc)
            }
        }
    }

    /// One product on the calling thread (OpenBLAS runs single-threaded: Kalam splits the work itself,
    /// so no BLAS thread spins in `sched_yield` between products).
    static func sgemmOnOneThread(
        kernel: Kernel, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>,
        lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        switch kernel {
        case .system:
            if k == 0 {
                // BLAS leaves C untouched when k is 0; the product is beta * C.
                for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
                return
            }
            cblas_sgemm(
                CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        case .kalam(let isa):
            kalam_sgemm(isa.rawValue, transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        }
    }

    /// `y = alpha · op(A) · x + beta · y` for a row-major `A` `[rows, cols]` (`op(A) = Aᵀ` when
    /// `transA`), vectors with strides `incX` and `incY`, on ``kernel``.
    @inlinable
    public static func sgemv(
        transA: Bool, rows: Int, cols: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, incX: Int = 1, beta: Float = 0, y: UnsafeMutablePointer<Float>, incY: Int = 1
    ) {
        sgemv(
            kernel: kernel, transA: transA, rows: rows, cols: cols, alpha: alpha, a: a, lda: lda, x: x, incX: incX,
            beta: beta, y: y, incY: incY)
    }

    /// ``sgemv(transA:rows:cols:alpha:a:lda:x:incX:beta:y:incY:)`` on a given kernel.
    public static func sgemv(
        kernel: Kernel, transA: Bool, rows: Int, cols: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, incX: Int = 1, beta: Float = 0, y: UnsafeMutablePointer<Float>, incY: Int = 1
    ) {
        guard rows > 0, cols > 0 else { return }
        splitMatrixVector(transA: transA, rows: rows, cols: cols, beta: beta, y: y, incY: incY) {
            lo, hi, partBeta, partY, partIncY in
            sgemvOnOneThread(
                kernel: kernel, transA: transA, rows: hi - lo, cols: cols, alpha: alpha, a: a + lo * lda, lda: lda,
                x: transA ? x + lo * incX : x, incX: incX, beta: partBeta, y: partY, incY: partIncY)
        }
    }

    /// `y = alpha · op(A) · x + beta · y` with `A` `[rows, cols]` stored as bfloat16 (each value widened
    /// exactly to float32, the sums in float32), `x` and `y` dense, split over threads as
    /// ``sgemv(transA:rows:cols:alpha:a:lda:x:incX:beta:y:incY:)`` is; Kalam's kernel for
    /// `instructionSet` (by default the best this CPU runs, as the elementwise kernels use).
    public static func sgemvBFloat16(
        transA: Bool, rows: Int, cols: Int, alpha: Float = 1, a: UnsafePointer<UInt16>, lda: Int,
        x: UnsafePointer<Float>, beta: Float = 0, y: UnsafeMutablePointer<Float>,
        instructionSet: InstructionSet = Kernels.instructionSet
    ) {
        guard rows > 0, cols > 0 else { return }
        splitMatrixVector(transA: transA, rows: rows, cols: cols, beta: beta, y: y, incY: 1) {
            lo, hi, partBeta, partY, _ in  // y is dense, so every part's is too
            kalam_sgemv_bf16(
                instructionSet.rawValue, transA ? 1 : 0, hi - lo, cols, alpha, a + lo * lda, lda,
                transA ? x + lo : x, partBeta, partY)
        }
    }

    /// Splits a matrix-vector product over ``threads``: `product(lo, hi, beta, y, incY)` computes the part
    /// that reads rows `lo ..< hi` of A on one thread. Decoding streams every weight once per token, so
    /// both cores read half of A each. With `transA` each part writes its own partial y (beta 0), and
    /// the partials are added in a fixed order: reading whole rows keeps the prefetchers on one stream,
    /// where splitting the columns would have each thread read half of every row. Without it, each part
    /// owns a block of outputs.
    static func splitMatrixVector(
        transA: Bool, rows: Int, cols: Int, beta: Float, y: UnsafeMutablePointer<Float>, incY: Int,
        product: (_ lo: Int, _ hi: Int, _ beta: Float, _ y: UnsafeMutablePointer<Float>, _ incY: Int) -> Void
    ) {
        let parts = min(ownThreads, rows * cols >= 262_144 ? Parallel.threads : 1)
        let outputs = transA ? cols : rows
        if parts <= 1 || rows < 64 * parts {
            product(0, rows, beta, y, incY)
            return
        }
        if transA {
            let partials = UnsafeMutablePointer<Float>.allocate(capacity: parts * outputs)
            defer { partials.deallocate() }
            Parallel.perform(parts) { part in
                product(rows * part / parts, rows * (part + 1) / parts, 0, partials + part * outputs, 1)
            }
            for o in 0..<outputs {
                var sum = beta == 0 ? 0 : beta * y[o * incY]
                for part in 0..<parts { sum += partials[part * outputs + o] }
                y[o * incY] = sum
            }
            return
        }
        Parallel.perform(parts) { part in
            let lo = (outputs * part / parts) & ~15
            let hi = part == parts - 1 ? outputs : (outputs * (part + 1) / parts) & ~15
            guard lo < hi else { return }
            product(lo, hi, beta, y + lo * incY, incY)
        }
    }

    /// One matrix-vector product on the calling thread.
    static func sgemvOnOneThread(
        kernel: Kernel, transA: Bool, rows: Int, cols: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, incX: Int, beta: Float, y: UnsafeMutablePointer<Float>, incY: Int
    ) {
        switch kernel {
        case .system:
            cblas_sgemv(
                CblasRowMajor, transA ? CblasTrans : CblasNoTrans, Int32(rows), Int32(cols), alpha, a, Int32(lda),
                x, Int32(incX), beta, y, Int32(incY))
        case .kalam(let isa):
            let inputs = transA ? rows : cols, outputs = transA ? cols : rows
            if incX == 1 && incY == 1 {
                kalam_sgemv(isa.rawValue, transA ? 1 : 0, rows, cols, alpha, a, lda, x, beta, y)
                return
            }
            let dense = UnsafeMutablePointer<Float>.allocate(capacity: inputs + outputs)
            defer { dense.deallocate() }
            for i in 0..<inputs { dense[i] = x[i * incX] }
            let out = dense + inputs
            if beta != 0 { for i in 0..<outputs { out[i] = y[i * incY] } }
            kalam_sgemv(isa.rawValue, transA ? 1 : 0, rows, cols, alpha, a, lda, dense, beta, out)
            for i in 0..<outputs { y[i * incY] = out[i] }
        }
    }

    /// How many threads one product may be split over (``Parallel/threads`` unless ``setThreads(_:)``
    /// asked for fewer, as batched products do while they split the batch).
    nonisolated(unsafe) static var ownThreads: Int = .max

    /// Sets how many threads one product may be split over (at most ``Parallel/threads``).
    ///
    /// Kalam calls the kernels from several threads at once for batched products (one thread each) and
    /// splits large single products itself; the BLAS always runs on the calling thread only.
    public static func setThreads(_ count: Int) {
        _ = choice
        ownThreads = max(1, count)
    }

    /// The number of threads one large product is split over.
    public static var threads: Int { min(ownThreads, Parallel.threads) }
}

/// A bad setting of the matrix-product kernel.
public enum BLASError: Error, Equatable, CustomStringConvertible {
    /// `KALAM_GEMM` names no kernel Kalam has.
    case unknownKernel(String)

    public var description: String {
        switch self {
        case .unknownKernel(let name):
            return "KALAM_GEMM=\(name) is not a matrix-product kernel: use blas, generic, avx2 or avx512"
        }
    }
}

extension BLAS {
    /// Throws when `KALAM_GEMM` in `environment` is set to a name that is not a kernel (the library
    /// itself then falls back to its rule; the command line refuses to start).
    public static func checkEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let asked = environment["KALAM_GEMM"], !asked.isEmpty else { return }
        guard asked.lowercased() == "blas" || InstructionSet(name: asked) != nil else {
            throw BLASError.unknownKernel(asked)
        }
    }
}
