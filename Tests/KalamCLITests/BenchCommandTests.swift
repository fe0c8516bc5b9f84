import Foundation
import Testing

@testable import KalamCLI

/// `kalam bench`: the JSON each subcommand prints, and that its shapes are pytorch_bench.py's. No test
/// asserts a timing bound: only that the runs are there, positive and finite.
struct BenchCommandTests {
    /// Runs `kalam bench ARGUMENTS --json` in process and parses its one line.
    static func json(_ arguments: [String]) throws -> [String: Any] {
        var command = try KalamCommand.parseAsRoot(["bench"] + arguments + ["--json"])
        var text = ""
        switch command {
        case let c as BenchTrainCommand: try c.execute { text += $0 }
        case let c as BenchGenerateCommand: try c.execute { text += $0 }
        case let c as BenchRooflineCommand: try c.execute { text += $0 }
        case let c as BenchEngineCommand: try c.execute { text += $0 }
        default:
            try command.run()
            Issue.record("\(type(of: command)) has no execute(write:)")
        }
        #expect(text.hasSuffix("\n") && text.dropLast().split(separator: "\n").count == 1)
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
    }

    /// The fields every result has, with their types; the runs positive and finite.
    static func expectCommonFields(_ r: [String: Any], repeats: Int, unit: String = "tokens/s") {
        let runs = r["runs"] as? [Double] ?? []
        #expect(runs.count == repeats)
        #expect(runs.allSatisfy { $0.isFinite && $0 > 0 })
        #expect(r["unit"] as? String == unit)
        #expect((r["median"] as? Double).map { $0 >= runs.min()! && $0 <= runs.max()! } == true)
        #expect((r["threads"] as? Int ?? 0) >= 1)
        #expect((r["load_average"] as? [Double])?.count == 3)
        #expect(r["repeats"] as? Int == repeats)
        #expect(r.keys.contains("openblas_coretype"))
    }

    @Test func trainTinyHasTheShapeOfTrainNanogptTiny() throws {
        let r = try Self.json(["train", "--case", "tiny", "--repeats", "1", "--warmup", "0", "--steps", "1"])
        Self.expectCommonFields(r, repeats: 1)
        #expect(r["case"] as? String == "tiny")
        #expect(r["baseline"] as? String == "train_nanogpt_tiny")
        // pytorch_bench.py's TINY: dict(vocab=256, n_layer=4, n_head=4, d=128, ctx=128, batch=16)
        #expect(
            r["shape"] as? [String: Int] == [
                "vocab": 256, "n_layer": 4, "n_head": 4, "d": 128, "ctx": 128, "batch": 16,
            ])
        #expect(r["tokens_per_step"] as? Int == 16 * 128)
        #expect(r["steps_per_run"] as? Int == 1)
        // nparams(NanoGPT(256, 4, 4, 128, 128)) in pytorch_bench.py, the tied head counted once.
        #expect(r["params"] as? Int == 842_496)
        #expect(r["step"] as? String == "trainer")
        // Random weights: the first loss is about ln 256.
        let loss = r["loss"] as? Double ?? .nan
        #expect(abs(loss - log(256)) < 0.1)
    }

    @Test func trainSmallParsesWithTheShapeOfTrainNanogptSmall() throws {
        let command = try KalamCommand.parseAsRoot(["bench", "train", "--case", "small"]) as! BenchTrainCommand
        #expect(command.repeats == 5 && command.warmup == 3 && command.targetSeconds == 2)
        #expect(command.benchCase.baseline == "train_nanogpt_small")
        let setup = try BenchTrainCommand.setUp(.small)
        #expect(setup.shape.map(\.key) == ["vocab", "n_layer", "n_head", "d", "ctx", "batch"])
        #expect(setup.shape.map(\.value) == [8192, 6, 8, 256, 256, 8])
        #expect(setup.tokensPerStep == 8 * 256)
        // nparams(NanoGPT(8192, 6, 8, 256, 256)) in pytorch_bench.py.
        #expect(setup.trainable.parameterCount == 6_901_760)
        #expect(throws: (any Error).self) { try KalamCommand.parseAsRoot(["bench", "train", "--case", "huge"]) }
        #expect(throws: (any Error).self) { try KalamCommand.parseAsRoot(["bench", "train", "--repeats", "0"]) }
    }

    @Test func generateTinyGreedyHasTheShapeOfGenTinyGreedy() throws {
        let r = try Self.json(["generate", "--case", "gen_tiny_greedy"])
        Self.expectCommonFields(r, repeats: 5)
        #expect(r["case"] as? String == "gen_tiny_greedy")
        #expect(r["baseline"] as? String == "gen_tiny_greedy")
        #expect(r["warmup"] as? Int == 1)
        #expect(
            r["shape"] as? [String: Int] == [
                "vocab": 256, "n_layer": 4, "n_head": 4, "d": 128, "n_positions": 256, "batch": 1, "prompt": 32,
                "new_tokens": 128, "beams": 1,
            ])
        #expect(r["generated"] as? Int == 128)
        #expect(r["decoding"] as? String == "greedy")
        #expect(r["dtype"] as? String == "fp32")
        // transformers' GPT2LMHeadModel at this size: 858,880 values (wpe has 256 rows).
        #expect(r["params"] as? Int == 858_880)
    }

    @Test func generateBeamAndGPT2Shapes() throws {
        let r = try Self.json(["generate", "--case", "gen_tiny_beam4", "--repeats", "1", "--warmup", "0"])
        Self.expectCommonFields(r, repeats: 1)
        #expect((r["shape"] as? [String: Int])?["beams"] == 4)
        #expect(r["generated"] as? Int == 128)
        let half = try Self.json([
            "generate", "--case", "gen_tiny_greedy", "--repeats", "1", "--warmup", "0", "--dtype", "bf16",
        ])
        #expect(half["dtype"] as? String == "bf16")
        #expect(half["generated"] as? Int == 128)
        let big = BenchGenerateCommand.Case.gpt2Greedy.shape
        let sizes: [Int] = [big.vocabulary, big.positions, big.width, big.layers, big.heads]
        #expect(sizes == [50257, 1024, 768, 12, 12])
        #expect(throws: (any Error).self) {
            try KalamCommand.parseAsRoot(["bench", "generate", "--case", "gen_tiny_greedy", "--new-tokens", "300"])
        }
    }

    @Test func rooflineReportsSgemmAndBandwidth() throws {
        let r = try Self.json(["roofline", "--repeats", "1", "--run-seconds", "0.01", "--buffer-mb", "4"])
        #expect(r["case"] as? String == "roofline")
        let sgemm = r["sgemm"] as? [[String: Any]] ?? []
        let shapes: [[Int?]] = sgemm.map { [$0["m"] as? Int, $0["k"] as? Int, $0["n"] as? Int] }
        #expect(
            shapes == [
                [512, 512, 512], [2048, 2048, 2048], [2048, 128, 512],
            ])
        #expect(sgemm.allSatisfy { ($0["median"] as? Double ?? 0) > 0 && $0["unit"] as? String == "GFLOP/s" })
        let bandwidth = r["read_bandwidth"] as? [String: Any] ?? [:]
        #expect(bandwidth["bytes"] as? Int == 4 * 1_048_576)
        #expect(bandwidth["unit"] as? String == "GB/s")
        // The buffer holds ones: the threads' partial sums add up to its length.
        #expect(bandwidth["checksum"] as? Double == Double(1_048_576))
    }

    @Test func engineTinyStepHasItsConfiguration() throws {
        let r = try Self.json(["engine", "--case", "tiny", "--repeats", "1", "--warmup", "0", "--steps", "1"])
        Self.expectCommonFields(r, repeats: 1)
        #expect(
            r["shape"] as? [String: Int] == ["batch": 16, "ctx": 128, "d": 128, "heads": 4, "layers": 4, "vocab": 256])
        #expect(abs((r["loss"] as? Double ?? .nan) - log(256)) < 0.1)
    }

    @Test func summaryLineNamesTheBaselineAndShape() throws {
        var result = BenchResult(
            name: "tiny", baseline: "train_nanogpt_tiny", unit: "tokens/s", runs: [1000, 3000, 2000], warmup: 3,
            loadAverage: [0.12, 0.2, 0.3])
        result.shape = [("vocab", 256), ("batch", 16)]
        let line = result.summaryLine()
        #expect(line.hasPrefix("tiny: median 2,000 tokens/s over 3 runs (1,000-3,000), "))
        #expect(line.contains("load average 0.12; baseline train_nanogpt_tiny; vocab 256, batch 16"))
        #expect(BenchTiming.median([4, 1, 3, 2]) == 2.5)
    }
}
