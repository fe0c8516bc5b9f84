import Foundation
import Testing

@testable import KalamGeneration

/// Greedy and sampled decoding on the table-driven fake model.
struct TokenIteratorTests {
    static let fixture = try! GenerationFixtures.json("table_model.json")
    static let greedyCases = (fixture["cases"] as! [[String: Any]])
        .filter { (($0["params"] as! [String: Any])["num_beams"] as? NSNumber)?.intValue ?? 1 == 1 }
        .map { $0["name"] as! String }

    @Test("greedy ids match transformers", arguments: greedyCases)
    func greedyMatchesTransformers(name: String) throws {
        let fixtureCase = (Self.fixture["cases"] as! [[String: Any]]).first { $0["name"] as! String == name }!
        let decoder = TableDecoder(fixture: Self.fixture)
        let eos = Int32(truncating: Self.fixture["eos"] as! NSNumber)
        let params = generationParameters(fixtureCase["params"] as! [String: Any], eos: eos, pad: decoder.pad)
        let prompts = GenerationFixtures.intRows(fixtureCase["prompts"])
        let expected = GenerationFixtures.intRows(fixtureCase["sequences"])
        var iterator = try TokenIterator(decoder: decoder, prompts: prompts, parameters: params)
        let generated = try iterator.run()
        let width = expected.map(\.count).max() ?? 0
        // transformers pads finished rows with the pad id up to the longest row.
        let padded = generated.map { $0 + Array(repeating: decoder.pad, count: width - $0.count) }
        #expect(padded == expected)
    }

    @Test func finishReasons() throws {
        let decoder = TableDecoder(fixture: Self.fixture)
        var params = GenerationParameters()
        params.eosTokenIds = [2]
        params.maxNewTokens = 6
        params.forcedEOSTokenId = 2
        var iterator = try TokenIterator(decoder: decoder, prompts: [[4, 4, 4]], parameters: params)
        _ = try iterator.run()
        #expect(iterator.finishReasons == [.endOfSequence])
        params.forcedEOSTokenId = nil
        params.maxNewTokens = 5
        iterator = try TokenIterator(decoder: decoder, prompts: [[3, 7, 1]], parameters: params)
        #expect(try iterator.run() == [[8, 14, 1, 19, 15]])
        #expect(iterator.finishReasons == [.maxNewTokens])
    }

    @Test func stopStringsEndTheRow() throws {
        let decoder = TableDecoder(fixture: Self.fixture)
        var params = GenerationParameters()
        params.maxNewTokens = 12
        params.stopStrings = ["<19>"]
        var iterator = try TokenIterator(
            decoder: decoder, prompts: [[3, 7, 1]], parameters: params, tokenBytes: { Array("<\($0)>".utf8) })
        // Greedy gives 8 14 1 19 ...: the row stops on the token that completes "<19>".
        #expect(try iterator.run() == [[8, 14, 1, 19]])
        #expect(iterator.finishReasons == [.stopString("<19>")])
    }

    @Test func contextLimits() throws {
        var decoder = TableDecoder(fixture: Self.fixture)
        decoder.contextLength = 6
        var params = GenerationParameters()
        params.maxNewTokens = 10
        #expect(throws: GenerationError.promptTooLong(length: 6, contextLength: 6)) {
            try TokenIterator(decoder: decoder, prompts: [[1, 2, 3, 4, 5, 6]], parameters: params)
        }
        var iterator = try TokenIterator(decoder: decoder, prompts: [[3, 7, 1]], parameters: params)
        #expect(try iterator.run() == [[8, 14, 1]])
        #expect(iterator.finishReasons == [.contextFull])
    }

    @Test func badInputThrowsTypedErrors() throws {
        let decoder = TableDecoder(fixture: Self.fixture)
        var params = GenerationParameters()
        #expect(throws: GenerationError.emptyPrompt(row: 1)) {
            try TokenIterator(decoder: decoder, prompts: [[3], []], parameters: params)
        }
        #expect(throws: GenerationError.noPrompts) {
            try TokenIterator(decoder: decoder, prompts: [], parameters: params)
        }
        #expect(throws: GenerationError.tokenOutOfVocabulary(id: 99, vocabularySize: 32)) {
            try TokenIterator(decoder: decoder, prompts: [[99]], parameters: params)
        }
        params.strategy = .sample
        params.temperature = 0
        #expect(throws: GenerationError.temperatureNotPositive(0)) {
            try TokenIterator(decoder: decoder, prompts: [[3]], parameters: params)
        }
        params.temperature = 1
        params.topP = 0
        #expect(throws: GenerationError.topPOutOfRange(0)) {
            try TokenIterator(decoder: decoder, prompts: [[3]], parameters: params)
        }
        params.topP = 1
        params.maxNewTokens = 0
        #expect(throws: GenerationError.maxNewTokensTooSmall(0)) {
            try TokenIterator(decoder: decoder, prompts: [[3]], parameters: params)
        }
        var withBOS = decoder
        withBOS.bos = 1
        params.maxNewTokens = 3
        params.strategy = .greedy
        var iterator = try TokenIterator(decoder: withBOS, prompts: [[]], parameters: params)
        #expect(try iterator.run()[0].count == 3)
    }

    @Test func samplingIsReproducibleBySeed() throws {
        let decoder = TableDecoder(fixture: Self.fixture)
        var params = GenerationParameters()
        params.strategy = .sample
        params.maxNewTokens = 24
        params.temperature = 1.3
        params.topK = 10
        params.topP = 0.95
        params.seed = 42
        func sample(_ seed: UInt64) throws -> [Int32] {
            var p = params
            p.seed = seed
            var iterator = try TokenIterator(decoder: decoder, prompts: [[3, 7, 1]], parameters: p)
            return try iterator.run()[0]
        }
        let first = try sample(42)
        #expect(first.count == 24)
        #expect(try sample(42) == first)
        #expect(try sample(43) != first)
        // Sampling at this temperature leaves the greedy path.
        params.strategy = .greedy
        var greedy = try TokenIterator(decoder: decoder, prompts: [[3, 7, 1]], parameters: params)
        #expect(try greedy.run()[0] != first)
    }
}
