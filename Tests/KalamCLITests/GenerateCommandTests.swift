import Foundation
import KalamCore
import Testing

@testable import KalamCLI
@testable import KalamGeneration

/// `kalam generate` on the tiny random GPT-2 and T5 of the generation fixtures.
struct GenerateCommandTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/generation")
    static let gpt2 = fixtures.appendingPathComponent("gpt2").path
    static let t5 = fixtures.appendingPathComponent("t5").path
    static let expected =
        try! JSONSerialization.jsonObject(
            with: Data(contentsOf: fixtures.appendingPathComponent("models.json"))) as! [String: Any]

    static func expectedIds(_ model: String, _ name: String) -> [[Int]] {
        let cases = expected[model] as! [[String: Any]]
        return cases.first { $0["name"] as! String == name }!["sequences"] as! [[Int]]
    }

    static func output(_ arguments: [String]) throws -> String {
        let command = try GenerateCommand.parse(arguments)
        var text = ""
        try command.execute { text += $0 }
        return text
    }

    static func json(_ arguments: [String]) throws -> [String: Any] {
        let text = try output(arguments + ["--json"])
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
    }

    @Test func greedyGPT2MatchesTransformers() throws {
        let result = try Self.json(["--model", Self.gpt2, "--prompt-ids", "5,17,42,8,23", "--max-new-tokens", "20"])
        let sequences = result["sequences"] as! [[String: Any]]
        #expect(result["prompt_ids"] as! [Int] == [5, 17, 42, 8, 23])
        #expect(sequences[0]["ids"] as! [Int] == Self.expectedIds("gpt2", "greedy")[0])
        #expect(sequences[0]["finish_reason"] as? String == "max_new_tokens")
    }

    @Test func bfloat16WeightsGenerateAsTheModelWithRoundedWeights() throws {
        let result = try Self.json([
            "--model", Self.gpt2, "--prompt-ids", "5,17,42,8,23", "--max-new-tokens", "20", "--dtype", "bf16",
        ])
        let ids = (result["sequences"] as! [[String: Any]])[0]["ids"] as! [Int]
        // The same model with its weight matrices rounded to bfloat16 in float32 storage.
        let decoder = try CausalLMDecoder(directory: URL(fileURLWithPath: Self.gpt2, isDirectory: true))
        for (_, tensor) in decoder.model.namedParameters() where tensor.rank == 2 {
            let rounded = roundedToBFloat16(tensor.scalars)
            tensor.data.update(from: rounded, count: rounded.count)
        }
        var parameters = GenerationParameters()
        parameters.maxNewTokens = 20
        parameters.eosTokenIds = decoder.config.eosTokenId.map { [Int32($0)] } ?? []
        parameters.padTokenId = Int32(decoder.config.padTokenId ?? decoder.config.eosTokenId ?? 0)
        var iterator = try TokenIterator(decoder: decoder, prompts: [[5, 17, 42, 8, 23]], parameters: parameters)
        #expect(ids == (try iterator.run())[0].map(Int.init))
        #expect(throws: (any Error).self) {
            try GenerateCommand.parse(["--model", Self.gpt2, "--prompt-ids", "5", "--dtype", "fp16"])
        }
    }

    @Test func beamGPT2ReturnsTheNBestWithScores() throws {
        let result = try Self.json([
            "--model", Self.gpt2, "--prompt-ids", "5,17,42,8,23", "--strategy", "beam", "--num-beams", "4",
            "--num-return-sequences", "4", "--max-new-tokens", "12",
        ])
        let sequences = result["sequences"] as! [[String: Any]]
        #expect(sequences.map { $0["ids"] as! [Int] } == Self.expectedIds("gpt2", "beam4"))
        let scores = sequences.map { $0["score"] as! Double }
        #expect(scores == scores.sorted(by: >))
    }

    @Test func greedyT5MatchesTransformers() throws {
        let result = try Self.json(["--model", Self.t5, "--prompt-ids", "5,17,42,8,23", "--max-new-tokens", "20"])
        let sequences = result["sequences"] as! [[String: Any]]
        #expect(sequences[0]["ids"] as! [Int] == Self.expectedIds("t5", "greedy")[0])
    }

    @Test func streamingWithoutTokenizerPrintsIds() throws {
        let text = try Self.output([
            "--model", Self.gpt2, "--prompt-ids", "5,17,42,8,23", "--max-new-tokens", "4", "--stream",
        ])
        let ids = Self.expectedIds("gpt2", "greedy")[0].prefix(4).map(String.init).joined(separator: " ")
        #expect(text == ids + " \n")
    }

    @Test func samplingIsReproducibleBySeed() throws {
        let arguments = [
            "--model", Self.gpt2, "--prompt-ids", "5,17", "--strategy", "sample", "--top-k", "20",
            "--temperature", "1.5", "--max-new-tokens", "16",
        ]
        let a = try Self.output(arguments + ["--seed", "7"])
        #expect(a == (try Self.output(arguments + ["--seed", "7"])))
        #expect(a != (try Self.output(arguments + ["--seed", "8"])))
    }

    @Test func badInputIsATypedError() throws {
        let base = ["--model", Self.gpt2, "--prompt-ids", "5,17"]
        #expect(throws: GenerationError.topPOutOfRange(0)) {
            try Self.output(base + ["--strategy", "sample", "--top-p", "0"])
        }
        #expect(throws: GenerationError.temperatureNotPositive(0)) {
            try Self.output(base + ["--strategy", "sample", "--temperature", "0"])
        }
        #expect(throws: GenerationError.numBeamsTooSmall(0)) {
            try Self.output(base + ["--strategy", "beam", "--num-beams", "0"])
        }
        let long = Array(repeating: "3", count: 64).joined(separator: ",")
        #expect(throws: GenerationError.promptTooLong(length: 64, contextLength: 64)) {
            try Self.output(["--model", Self.gpt2, "--prompt-ids", long])
        }
        #expect(throws: (any Error).self) { try GenerateCommand.parse(base + ["--prompt", "hello"]) }
        #expect(throws: (any Error).self) { try GenerateCommand.parse(["--model", Self.gpt2]) }
        #expect(throws: (any Error).self) { try Self.output(["--model", Self.gpt2, "--prompt", "hello"]) }
    }
}
