import Foundation
import KalamCore
import Testing

@testable import KalamTraining

/// Training on each matrix-product kernel this machine runs (`KALAM_GEMM` in the environment of a
/// `kalam pretrain` process): the same seed repeats bit for bit on one kernel, and the kernels agree.
@Suite(.serialized) struct KernelPathTrainingTests {
    /// The `KALAM_GEMM` values this machine runs.
    static let kernelNames = ["blas"] + BLAS.InstructionSet.supported.map(\.description)

    /// The training losses of a 100-step run of the fixture's small GPT-2 with `KALAM_GEMM=name`.
    static func losses(kernel name: String, in dir: URL) throws -> [Float] {
        let (corpus, preset) = try PretrainFixture.write(into: dir)
        let out = dir.appendingPathComponent("run-\(name)-\(UUID().uuidString)")
        let process = Process()
        process.executableURL = PretrainFixture.kalamBinary
        process.arguments =
            ["pretrain"] + PretrainFixture.arguments(corpus: corpus, preset: preset, out: out, steps: 100) + [
                "--eval-every", "100", "--checkpoint-every", "100",
            ]
        var environment = ProcessInfo.processInfo.environment
        environment["KALAM_GEMM"] = name
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "KALAM_GEMM=\(name)")
        let records = try MetricsLog.read(out.appendingPathComponent("metrics.jsonl"))
        return records.filter { $0.kind == "train" }.compactMap(\.loss)
    }

    @Test(.enabled(if: PretrainFixture.kalamBinary != nil, "the kalam binary was not built next to the tests"))
    func hundredStepsAgreeAcrossKernelsAndRepeatOnOne() throws {
        let dir = try PretrainFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var byKernel: [String: [Float]] = [:]
        for name in Self.kernelNames { byKernel[name] = try Self.losses(kernel: name, in: dir) }
        let reference = try #require(byKernel["blas"])
        #expect(reference.count == 100)
        #expect(reference.last! < reference.first! - 0.5, "the run learns: \(reference.first!) → \(reference.last!)")
        for name in Self.kernelNames {
            let losses = try #require(byKernel[name])
            #expect(losses.count == 100)
            let worst = zip(losses, reference).map { abs($0 - $1) / abs($1) }.max() ?? .infinity
            #expect(worst <= 1e-4, "KALAM_GEMM=\(name): worst relative loss difference \(worst) over 100 steps")
        }
        // Same seed, same kernel, same result, bit for bit.
        let best = Self.kernelNames.last!
        #expect(try Self.losses(kernel: best, in: dir) == byKernel[best])
    }

    @Test(.enabled(if: PretrainFixture.kalamBinary != nil, "the kalam binary was not built next to the tests"))
    func anUnknownKernelNameIsOneErrorLine() throws {
        let process = Process()
        process.executableURL = PretrainFixture.kalamBinary
        process.arguments = ["bench", "roofline", "--only", "sgemm", "--repeats", "1"]
        var environment = ProcessInfo.processInfo.environment
        environment["KALAM_GEMM"] = "mkl"
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let printed = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(printed == "Error: \(BLASError.unknownKernel("mkl"))\n")
    }
}
