import ArgumentParser
import Dispatch
import Foundation
import KalamCore

/// `kalam bench roofline`: the machine's limits that benchmark figures are read against — sgemm
/// GFLOP/s through Kalam's backend and read memory bandwidth.
struct BenchRooflineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roofline",
        abstract: "The machine's sgemm GFLOP/s (through Kalam's backend) and read memory bandwidth (GB/s).",
        discussion: """
            sgemm: C = A x B, float32, row-major, for M x K x N = 512x512x512, 2048x2048x2048 and 2048x128x512 \
            (the shapes of pytorch_bench.py's sgemm cases; 2048x128x512 is a transformer's projection of 16 x \
            128 tokens), 2 M K N flops a product. Timed as pytorch_bench.py times sgemm: the products per run \
            are calibrated so that a run takes about --run-seconds, then --repeats runs, median reported.

            read bandwidth: every thread sums its share of a --buffer-mb MiB float buffer (much larger than \
            the caches), with independent vector accumulators so that the sum waits on memory, not on \
            additions; bytes read / wall time.

            Quote training and decoding figures as a fraction of these: a transformer step is bound by \
            sgemm, batch-1 decoding by reading the weights once per token.
            """)

    /// What to measure.
    enum Part: String, CaseIterable, ExpressibleByArgument {
        case sgemm, bandwidth
    }

    @OptionGroup var options: BenchOptions

    @Option(help: "Only sgemm or only bandwidth (default: both).")
    var only: Part?

    @Option(help: "Timed runs per measurement (pytorch_bench.py uses at least 7).")
    var repeats = 7

    @Option(name: .customLong("run-seconds"), help: "Seconds a run should take (pytorch_bench.py --sgemm-rep-s).")
    var runSeconds = 0.3

    @Option(name: .customLong("buffer-mb"), help: "Size of the buffer read for the bandwidth, in MiB.")
    var bufferMB = 1024

    @Flag(
        name: .customLong("every-kernel"),
        help: "Also time sgemm on every matrix-product kernel this machine runs (the BLAS and Kalam's own).")
    var everyKernel = false

    /// The sgemm shapes, M x K x N.
    static let shapes = [(512, 512, 512), (2048, 2048, 2048), (2048, 128, 512)]

    init() {}

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        guard runSeconds > 0 else { throw ValidationError("--run-seconds must be positive") }
        guard bufferMB >= 1 else { throw ValidationError("--buffer-mb must be at least 1") }
    }

    func run() throws {
        try execute { FileHandle.standardOutput.write(Data($0.utf8)) }
    }

    /// Measures, sending what it prints to `write`.
    func execute(write: (String) -> Void) throws {
        options.applyThreads()
        var object: [String: Any] = [
            "case": "roofline", "threads": BenchFactory.threads, "blas_threads": BenchFactory.blasThreads,
            "backend": BenchFactory.backendName, "load_average": BenchMachine.loadAverage(),
            "openblas_coretype": BenchMachine.openBLASCoreType ?? NSNull(), "gemm_kernel": BLAS.kernel.description,
            "gemm_kernel_reason": BLAS.kernelReason, "repeats": repeats,
        ]
        var lines: [String] = []
        if only != .bandwidth {
            var rows: [[String: Any]] = []
            for (m, k, n) in Self.shapes {
                let (runs, calls) = sgemm(m: m, k: k, n: n)
                let median = BenchTiming.median(runs)
                rows.append([
                    "m": m, "k": k, "n": n, "unit": "GFLOP/s", "runs": runs, "median": median, "calls_per_run": calls,
                ])
                lines.append("sgemm \(m)x\(k)x\(n): median \(BenchResult.format(median)) GFLOP/s")
            }
            object["sgemm"] = rows
            if everyKernel {
                let kernels = BLAS.availableKernels
                var perKernel: [[String: Any]] = []
                for kernel in kernels {
                    for (m, k, n) in Self.shapes {
                        let (runs, calls) = sgemm(m: m, k: k, n: n, kernel: kernel)
                        let median = BenchTiming.median(runs)
                        perKernel.append([
                            "kernel": kernel.description, "m": m, "k": k, "n": n, "unit": "GFLOP/s", "runs": runs,
                            "median": median, "calls_per_run": calls,
                        ])
                        lines.append("sgemm \(m)x\(k)x\(n) on \(kernel): median \(BenchResult.format(median)) GFLOP/s")
                    }
                }
                object["sgemm_per_kernel"] = perKernel
            }
        }
        if only != .sgemm {
            let (runs, passes, bytes, checksum) = readBandwidth()
            let median = BenchTiming.median(runs)
            object["read_bandwidth"] = [
                "unit": "GB/s", "bytes": bytes, "runs": runs, "median": median, "passes_per_run": passes,
                "checksum": Double(checksum),
            ]
            lines.append("read bandwidth (\(bufferMB) MiB buffer): median \(BenchResult.format(median)) GB/s")
        }
        object["maxrss_mb"] = BenchMachine.peakResidentMB()
        if options.json {
            let data = try JSONSerialization.data(
                withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            write(String(decoding: data, as: UTF8.self) + "\n")
        } else {
            let load = BenchMachine.loadAverage().first.map { String(format: ", load average %.2f", $0) } ?? ""
            write("roofline (\(BenchFactory.threads) threads\(load); matrix products on \(BLAS.kernel)):\n")
            for line in lines { write("  " + line + "\n") }
        }
    }

    /// GFLOP/s of `m x k x n` products through the backend, or on `kernel` when one is given.
    func sgemm(m: Int, k: Int, n: Int, kernel: BLAS.Kernel? = nil) -> (runs: [Double], callsPerRun: Int) {
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer {
            a.deallocate()
            b.deallocate()
            c.deallocate()
        }
        var rng = KalamRandom(seed: 1)
        for i in 0..<(m * k) { a[i] = rng.nextNormal() }
        for i in 0..<(k * n) { b[i] = rng.nextNormal() }
        c.initialize(repeating: 0, count: m * n)
        let flop = 2 * Double(m) * Double(k) * Double(n)
        return BenchTiming.calibratedCalls(repeats: repeats, runSeconds: runSeconds, unitsPerCall: flop / 1e9) {
            if let kernel {
                BLAS.sgemm(
                    kernel: kernel, transA: false, transB: false, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: c,
                    ldc: n)
            } else {
                BenchFactory.gemm(m: m, n: n, k: k, a: a, b: b, c: c)
            }
        }
    }

    /// GB/s of summing a large buffer on every thread at once.
    func readBandwidth() -> (runs: [Double], passesPerRun: Int, bytes: Int, checksum: Float) {
        let count = bufferMB * 1_048_576 / MemoryLayout<Float>.size
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 1, count: count)  // touches every page before timing
        let chunks = max(1, BenchFactory.threads)
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: chunks)
        defer { partial.deallocate() }
        partial.initialize(repeating: 0, count: chunks)
        let base = UnsafePointer(buffer)
        func pass() {
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let lo = c * count / chunks, hi = (c + 1) * count / chunks
                partial[c] = Self.sum(base + lo, count: hi - lo)
            }
        }
        let bytes = count * MemoryLayout<Float>.size
        let (runs, passes) = BenchTiming.calibratedCalls(
            repeats: repeats, runSeconds: runSeconds, unitsPerCall: Double(bytes) / 1e9, pass)
        var checksum: Float = 0
        for c in 0..<chunks { checksum += partial[c] }
        return (runs, passes, bytes, checksum)
    }

    /// The sum of `count` floats with four independent 16-lane accumulators.
    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        let raw = UnsafeRawPointer(x)
        var i = 0
        while i + 64 <= count {
            a0 += raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            a1 += raw.loadUnaligned(fromByteOffset: 4 * (i + 16), as: SIMD16<Float>.self)
            a2 += raw.loadUnaligned(fromByteOffset: 4 * (i + 32), as: SIMD16<Float>.self)
            a3 += raw.loadUnaligned(fromByteOffset: 4 * (i + 48), as: SIMD16<Float>.self)
            i += 64
        }
        var total = ((a0 + a1) + (a2 + a3)).sum()
        while i < count {
            total += x[i]
            i += 1
        }
        return total
    }
}
