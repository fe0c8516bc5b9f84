import Foundation
import KalamCore
import KalamModels
import KalamNN
import Testing

@testable import KalamGeneration

/// Runs a models.json case; returns the ids padded like transformers' output (greedy rows with the pad
/// id; beams with the pad id, or end-of-sequence when the pad id is 0), and the beam scores.
func runModelCase<D: LanguageModelDecoder>(
    _ fixtureCase: [String: Any], decoder: D, eos: Int32, pad: Int32
) throws -> ([[Int32]], [Float]) {
    let params = generationParameters(fixtureCase["params"] as! [String: Any], eos: eos, pad: pad)
    let prompts = GenerationFixtures.intRows(fixtureCase["prompts"])
    let expected = GenerationFixtures.intRows(fixtureCase["sequences"])
    let width = expected.map(\.count).max() ?? 0
    if params.numBeams > 1 {
        let result = try BeamSearch(decoder: decoder, parameters: params).run(prompts).flatMap { $0 }
        let fill = pad == 0 ? eos : pad
        let ids = result.map { $0.tokens + Array(repeating: fill, count: width - $0.tokens.count) }
        return (ids, result.map(\.score))
    }
    var iterator = try TokenIterator(decoder: decoder, prompts: prompts, parameters: params)
    return (try iterator.run().map { $0 + Array(repeating: pad, count: width - $0.count) }, [])
}

/// The KV-cached GPT-2 decoder against transformers on the tiny random GPT-2 of the fixture script.
struct CausalLMDecoderTests {
    static let directory = GenerationFixtures.directory.appendingPathComponent("gpt2")
    static let cases = (try! GenerationFixtures.json("models.json"))["gpt2"] as! [[String: Any]]
    static let caseNames = cases.map { $0["name"] as! String }

    static func decoder(recompute: Bool = false) throws -> CausalLMDecoder {
        var decoder = try CausalLMDecoder(directory: directory)
        decoder.padTokenId = 0  // the fixture script left-pads with 0
        decoder.recompute = recompute
        return decoder
    }

    static func run(_ fixtureCase: [String: Any], decoder: CausalLMDecoder) throws -> ([[Int32]], [Float]) {
        try runModelCase(fixtureCase, decoder: decoder, eos: 95, pad: 0)
    }

    @Test("first logits match transformers", arguments: caseNames)
    func firstLogits(name: String) throws {
        let fixtureCase = Self.cases.first { $0["name"] as! String == name }!
        let expected = GenerationFixtures.floatRows(fixtureCase["first_logits"])
        let start = try Self.decoder().start(GenerationFixtures.intRows(fixtureCase["prompts"]))
        var worst: Float = 0
        for (row, want) in zip(start.logits, expected) {
            for (a, b) in zip(row, want) { worst = max(worst, abs(a - b)) }
        }
        #expect(worst < 1e-4, "max |Δ| = \(worst)")
    }

    @Test("generated ids match transformers generate()", arguments: caseNames)
    func matchesGenerate(name: String) throws {
        let fixtureCase = Self.cases.first { $0["name"] as! String == name }!
        let expected = GenerationFixtures.intRows(fixtureCase["sequences"])
        let (ids, scores) = try Self.run(fixtureCase, decoder: try Self.decoder())
        #expect(ids == expected)
        if let want = fixtureCase["scores"] as? [NSNumber] {
            for (a, b) in zip(scores, want.map { Float(truncating: $0) }) {
                #expect(abs(a - b) < 1e-4, "score \(a) vs \(b)")
            }
        }
    }

    @Test("the KV cache gives the same ids as recomputing", arguments: caseNames)
    func cacheMatchesRecompute(name: String) throws {
        let fixtureCase = Self.cases.first { $0["name"] as! String == name }!
        let cached = try Self.run(fixtureCase, decoder: try Self.decoder())
        let recomputed = try Self.run(fixtureCase, decoder: try Self.decoder(recompute: true))
        #expect(cached.0 == recomputed.0)
        for (a, b) in zip(cached.1, recomputed.1) { #expect(abs(a - b) < 1e-5) }
    }

    @Test func badPromptsThrowTypedErrors() throws {
        let decoder = try Self.decoder()
        let params = GenerationParameters()
        #expect(throws: GenerationError.promptTooLong(length: 64, contextLength: 64)) {
            try TokenIterator(decoder: decoder, prompts: [Array(repeating: 3, count: 64)], parameters: params)
        }
        #expect(throws: GenerationError.tokenOutOfVocabulary(id: 96, vocabularySize: 96)) {
            try TokenIterator(decoder: decoder, prompts: [[96]], parameters: params)
        }
        var config = decoder.config
        config.bosTokenId = nil
        let bare = try GPT2LMHeadModel(config: config, seed: 0)
        try bare.loadWeights(from: Self.directory.appendingPathComponent("model.safetensors"))
        let noBOS = CausalLMDecoder(model: bare)
        #expect(throws: GenerationError.emptyPrompt(row: 0)) {
            try TokenIterator(decoder: noBOS, prompts: [[]], parameters: params)
        }
        // With a BOS token an empty prompt starts from it.
        var iterator = try TokenIterator(decoder: decoder, prompts: [[]], parameters: params)
        #expect(iterator.sequences[0] == [95])
        #expect(try iterator.run()[0].count == 20)
    }

    @Test func generationStopsAtTheContext() throws {
        var params = GenerationParameters()
        params.maxNewTokens = 50
        var iterator = try TokenIterator(
            decoder: try Self.decoder(), prompts: [Array(repeating: 7, count: 60)], parameters: params)
        #expect(try iterator.run()[0].count == 4)
        #expect(iterator.finishReasons == [.contextFull])
    }

    @Test func missingWeightsAreNamed() throws {
        // A checkpoint without one tensor: the one loader names it, and generation never starts.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-holed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(
            at: Self.directory.appendingPathComponent("config.json"), to: folder.appendingPathComponent("config.json"))
        let real = try SafeTensorsFile(contentsOf: Self.directory.appendingPathComponent("model.safetensors"))
        let kept = try real.entries.filter { !$0.name.hasSuffix("h.1.mlp.c_fc.bias") }.map {
            SafeTensors.TensorData.float32(name: $0.name, shape: $0.shape, values: try real.floats($0.name))
        }
        try SafeTensors.write(tensors: kept, to: folder.appendingPathComponent("model.safetensors"))
        #expect(throws: ModuleError.missingKey("transformer.h.1.mlp.c_fc.bias")) {
            try CausalLMDecoder(directory: folder)
        }
    }
}

/// The decoder built from KalamModels' `GPT2LMHeadModel` agrees with that model's own forward pass.
struct GPT2ModelConformanceTests {
    @Test func decoderFromModelMatchesTheModelForward() throws {
        let model = try GPT2LMHeadModel.load(from: CausalLMDecoderTests.directory)
        let decoder = CausalLMDecoder(model: model)
        let prompt: [Int32] = [5, 17, 42, 8, 23]
        let logits = try model(inputIds: IndexTensor(prompt, shape: [1, prompt.count])).logits.scalars  // [1, T, V]
        let vocabulary = decoder.vocabularySize
        let last = Array(logits[((prompt.count - 1) * vocabulary)..<(prompt.count * vocabulary)])
        let start = try decoder.start([prompt])
        var worst: Float = 0
        for (a, b) in zip(start.logits[0], last) { worst = max(worst, abs(a - b)) }
        #expect(worst < 1e-4, "max |Δ| = \(worst)")
        // and it generates what transformers generates
        var params = GenerationParameters()
        params.eosTokenIds = [95]
        var iterator = try TokenIterator(decoder: decoder, prompts: [prompt], parameters: params)
        let expected = GenerationFixtures.intRows(
            CausalLMDecoderTests.cases.first { $0["name"] as! String == "greedy" }!["sequences"])
        #expect(try iterator.run() == expected)
    }

    @Test func greedyIdsEqualTheTrainingForwardsArgmax() throws {
        // Greedy decoding by hand with the training forward (no cache, full sequence each step)
        // gives the ids the cached decoder generates.
        let model = try GPT2LMHeadModel.load(from: CausalLMDecoderTests.directory)
        var ids: [Int32] = [5, 17, 42, 8, 23]
        let vocabulary = model.config.vocabSize
        for _ in 0..<20 {
            let logits = try model(inputIds: IndexTensor(ids, shape: [1, ids.count])).logits.scalars
            let last = Array(logits[((ids.count - 1) * vocabulary)...])
            var best = 0
            for v in 1..<vocabulary where last[v] > last[best] { best = v }
            ids.append(Int32(best))
        }
        var params = GenerationParameters()
        params.eosTokenIds = []
        var iterator = try TokenIterator(
            decoder: CausalLMDecoder(model: model), prompts: [Array(ids.prefix(5))], parameters: params)
        #expect(try iterator.run()[0] == Array(ids.dropFirst(5)))
    }

    @Test func cachedForwardEqualsUncachedForward() throws {
        let model = try GPT2LMHeadModel.load(from: CausalLMDecoderTests.directory)
        let ids: [Int32] = [5, 17, 42, 8, 23, 1, 9]
        let full = try model.hiddenStates(inputIds: IndexTensor(ids + ids, shape: [2, ids.count])).scalars
        let cache = KVCache(layerCount: model.config.nLayer)
        var steps: [Float] = []
        try Tensor.withoutGrad {
            for (t, id) in ids.enumerated() {
                let h = try model.hiddenStates(inputIds: IndexTensor([id, id], shape: [2, 1]), cache: cache)
                steps.append(contentsOf: h.scalars)
                #expect(cache.length == t + 1)
            }
        }
        let c = model.config.nEmbd
        var worst: Float = 0
        for t in 0..<ids.count {
            for row in 0..<2 {
                for k in 0..<c {
                    let a = full[(row * ids.count + t) * c + k], b = steps[(t * 2 + row) * c + k]
                    worst = max(worst, abs(a - b))
                }
            }
        }
        #expect(worst < 1e-5, "max |Δ| = \(worst)")
    }
}
