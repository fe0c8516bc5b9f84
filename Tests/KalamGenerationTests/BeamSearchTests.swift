import Foundation
import Testing

@testable import KalamGeneration

/// Parameters of a fixture case, as transformers' `GenerationConfig` fields.
func generationParameters(_ params: [String: Any], eos: Int32, pad: Int32) -> GenerationParameters {
    var p = GenerationParameters()
    p.eosTokenIds = [eos]
    p.padTokenId = pad
    p.maxNewTokens = GenerationFixtures.int(params, "max_new_tokens") ?? 20
    p.minNewTokens = GenerationFixtures.int(params, "min_new_tokens") ?? 0
    p.repetitionPenalty = Float(GenerationFixtures.double(params, "repetition_penalty") ?? 1)
    p.noRepeatNGramSize = GenerationFixtures.int(params, "no_repeat_ngram_size") ?? 0
    p.numBeams = GenerationFixtures.int(params, "num_beams") ?? 1
    p.strategy = p.numBeams > 1 ? .beam : .greedy
    p.lengthPenalty = Float(GenerationFixtures.double(params, "length_penalty") ?? 1)
    p.numReturnSequences = GenerationFixtures.int(params, "num_return_sequences") ?? 1
    if let forced = GenerationFixtures.int(params, "forced_eos_token_id") { p.forcedEOSTokenId = Int32(forced) }
    switch params["early_stopping"] {
    case let flag as Bool: p.earlyStopping = flag ? .whenFull : .heuristic
    case let word as String where word == "never": p.earlyStopping = .never
    default: p.earlyStopping = .heuristic
    }
    return p
}

/// Beam search against transformers' `generate(num_beams: ...)` on the table-driven fake model.
struct BeamSearchTests {
    static let fixture = try! GenerationFixtures.json("table_model.json")
    static let beamCases = (fixture["cases"] as! [[String: Any]])
        .filter { (($0["params"] as! [String: Any])["num_beams"] as? NSNumber)?.intValue ?? 1 > 1 }
        .map { $0["name"] as! String }

    @Test("n-best ids and scores match transformers", arguments: beamCases)
    func matchesTransformers(name: String) throws {
        let fixtureCase = (Self.fixture["cases"] as! [[String: Any]]).first { $0["name"] as! String == name }!
        let decoder = TableDecoder(fixture: Self.fixture)
        let eos = Int32(truncating: Self.fixture["eos"] as! NSNumber)
        let params = generationParameters(fixtureCase["params"] as! [String: Any], eos: eos, pad: decoder.pad)
        let prompts = GenerationFixtures.intRows(fixtureCase["prompts"])
        let expected = GenerationFixtures.intRows(fixtureCase["sequences"])
        let scores = (fixtureCase["scores"] as! [NSNumber]).map { Float(truncating: $0) }
        let lengths = (fixtureCase["lengths"] as! [NSNumber]).map(\.intValue)
        let result = try BeamSearch(decoder: decoder, parameters: params).run(prompts)
        let flat = result.flatMap { $0 }
        #expect(result.count == prompts.count)
        #expect(flat.count == expected.count)
        for (index, hypothesis) in flat.enumerated() where index < expected.count {
            #expect(hypothesis.tokens == Array(expected[index].prefix(lengths[index])), "hypothesis \(index)")
            #expect(
                abs(hypothesis.score - scores[index]) <= 1e-5 * max(1, abs(scores[index])),
                "hypothesis \(index): \(hypothesis.score) vs \(scores[index])")
        }
    }

    @Test func oneBeamIsGreedy() throws {
        let decoder = TableDecoder(fixture: Self.fixture)
        var params = GenerationParameters()
        params.maxNewTokens = 12
        params.eosTokenIds = [2]
        params.numBeams = 1
        let beam = try BeamSearch(decoder: decoder, parameters: params).run([[3, 7, 1]])
        var greedy = try TokenIterator(decoder: decoder, prompts: [[3, 7, 1]], parameters: params)
        #expect(beam[0][0].tokens == (try greedy.run())[0])
    }

    @Test func badBeamSettingsThrow() {
        let decoder = TableDecoder(fixture: Self.fixture)
        var params = GenerationParameters()
        params.numBeams = 0
        #expect(throws: GenerationError.numBeamsTooSmall(0)) {
            try BeamSearch(decoder: decoder, parameters: params).run([[1]])
        }
        params.numBeams = 2
        params.numReturnSequences = 3
        #expect(throws: GenerationError.numReturnSequencesTooLarge(requested: 3, numBeams: 2)) {
            try BeamSearch(decoder: decoder, parameters: params).run([[1]])
        }
    }
}
