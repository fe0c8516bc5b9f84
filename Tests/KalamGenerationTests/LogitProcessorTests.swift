import Foundation
import Testing

@testable import KalamGeneration

/// Each processor against transformers' own processor classes on the same fixture logits.
struct LogitProcessorTests {
    static let fixture = try! GenerationFixtures.json("processors.json")
    static let caseNames = (fixture["cases"] as! [[String: Any]]).map { $0["name"] as! String }

    /// Builds the processors a fixture case names, in generate()'s order.
    static func processors(_ params: [String: Any]) throws -> LogitProcessorList {
        let keep = GenerationFixtures.int(params, "min_tokens_to_keep") ?? 1
        var list: [any LogitProcessor] = []
        if let p = GenerationFixtures.double(params, "repetition_penalty") {
            list.append(try RepetitionPenaltyProcessor(penalty: Float(p)))
        }
        if let n = GenerationFixtures.int(params, "no_repeat_ngram") {
            list.append(try NoRepeatNGramProcessor(size: n))
        }
        if let n = GenerationFixtures.int(params, "min_new_tokens") {
            let eos = (params["eos"] as! [NSNumber]).map { Int32(truncating: $0) }
            list.append(try MinNewTokensProcessor(minNewTokens: n, eosTokenIds: eos))
        }
        if let eos = GenerationFixtures.int(params, "forced_eos") {
            list.append(
                ForcedEOSProcessor(maxLength: GenerationFixtures.int(params, "max_length")!, eosTokenIds: [Int32(eos)]))
        }
        if let t = GenerationFixtures.double(params, "temperature") {
            list.append(try TemperatureProcessor(temperature: Float(t)))
        }
        if let k = GenerationFixtures.int(params, "top_k") {
            list.append(try TopKProcessor(k: k, minTokensToKeep: keep))
        }
        if let p = GenerationFixtures.double(params, "top_p") {
            list.append(try TopPProcessor(p: p, minTokensToKeep: keep))
        }
        if let p = GenerationFixtures.double(params, "min_p") {
            list.append(try MinPProcessor(minP: p, minTokensToKeep: keep))
        }
        if let p = GenerationFixtures.double(params, "typical_p") {
            list.append(try TypicalPProcessor(mass: p, minTokensToKeep: keep))
        }
        return LogitProcessorList(list)
    }

    @Test("matches transformers' logits processors", arguments: caseNames)
    func matchesTransformers(name: String) throws {
        let cases = Self.fixture["cases"] as! [[String: Any]]
        let fixtureCase = cases.first { $0["name"] as! String == name }!
        let logits = GenerationFixtures.floatRows(Self.fixture["logits"])
        let inputIds = GenerationFixtures.intRows(Self.fixture["input_ids"])
        let expected = GenerationFixtures.floatRows(fixtureCase["output"])
        let padding = (fixtureCase["padding"] as! [NSNumber]).map(\.intValue)
        let promptLength = (fixtureCase["prompt_length"] as! NSNumber).intValue
        let list = try Self.processors(fixtureCase["params"] as! [String: Any])
        var removedSomewhere = false
        for row in 0..<logits.count {
            var out = logits[row]
            list.process(
                &out,
                context: LogitContext(
                    inputIds: inputIds[row], promptLength: promptLength, paddingCount: padding[row]))
            for v in 0..<out.count {
                let want = expected[row][v]
                if want == -.infinity {
                    #expect(out[v] == -.infinity, "row \(row) token \(v): \(out[v]) should be removed")
                    removedSomewhere = true
                } else {
                    #expect(
                        abs(out[v] - want) <= 1e-6 * max(1, abs(want)), "row \(row) token \(v): \(out[v]) vs \(want)")
                }
            }
        }
        // The fixture cases are built so that filters remove something (scaling ones do not).
        let scaling =
            name.hasPrefix("temperature") || name.hasPrefix("repetition") || name.hasSuffix("_idle")
            || name.hasSuffix("_done")
        #expect(removedSomewhere != scaling)
    }

    @Test func invalidParametersThrowTypedErrors() {
        #expect(throws: GenerationError.topPOutOfRange(0)) { try TopPProcessor(p: 0) }
        #expect(throws: GenerationError.topPOutOfRange(1.5)) { try TopPProcessor(p: 1.5) }
        #expect(throws: GenerationError.temperatureNotPositive(0)) { try TemperatureProcessor(temperature: 0) }
        #expect(throws: GenerationError.temperatureNotPositive(-1)) { try TemperatureProcessor(temperature: -1) }
        #expect(throws: GenerationError.topKNegative(0)) { try TopKProcessor(k: 0) }
        #expect(throws: GenerationError.minPOutOfRange(2)) { try MinPProcessor(minP: 2) }
        #expect(throws: GenerationError.typicalPOutOfRange(0)) { try TypicalPProcessor(mass: 0) }
        #expect(throws: GenerationError.repetitionPenaltyNotPositive(0)) { try RepetitionPenaltyProcessor(penalty: 0) }
        #expect(throws: GenerationError.noRepeatNGramSizeNegative(0)) { try NoRepeatNGramProcessor(size: 0) }
    }

    @Test func noRepeatBansTheSuccessorsOfTheSuffix() throws {
        let processor = try NoRepeatNGramProcessor(size: 3)
        // "5 6" was followed by 7 and by 9; the sequence ends in "5 6".
        #expect(processor.bannedTokens([5, 6, 7, 1, 5, 6, 9, 2, 5, 6]).sorted() == [7, 9])
        #expect(processor.bannedTokens([5, 6]) == [])
        #expect(try NoRepeatNGramProcessor(size: 1).bannedTokens([4, 2, 4]) == [4, 2, 4])
    }
}
