import Foundation
import KalamCore
import KalamModels
import KalamNN
import Testing

@testable import KalamGeneration

/// The T5 decoder (encoder once, cross-attention keys/values once, self-attention cache) against
/// transformers on the tiny random T5 of the fixture script.
struct Seq2SeqDecoderTests {
    static let directory = GenerationFixtures.directory.appendingPathComponent("t5")
    static let cases = (try! GenerationFixtures.json("models.json"))["t5"] as! [[String: Any]]
    static let caseNames = cases.map { $0["name"] as! String }

    static func decoder(recompute: Bool = false) throws -> Seq2SeqDecoder {
        var decoder = try Seq2SeqDecoder(directory: directory)
        decoder.recompute = recompute
        return decoder
    }

    @Test("first logits match transformers", arguments: caseNames)
    func firstLogits(name: String) throws {
        let fixtureCase = Self.cases.first { $0["name"] as! String == name }!
        let expected = GenerationFixtures.floatRows(fixtureCase["first_logits"])
        let start = try Self.decoder().start(GenerationFixtures.intRows(fixtureCase["prompts"]))
        #expect(start.prefixes.allSatisfy { $0 == [0] })
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
        let (ids, scores) = try runModelCase(fixtureCase, decoder: try Self.decoder(), eos: 1, pad: 0)
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
        let cached = try runModelCase(fixtureCase, decoder: try Self.decoder(), eos: 1, pad: 0)
        let recomputed = try runModelCase(fixtureCase, decoder: try Self.decoder(recompute: true), eos: 1, pad: 0)
        #expect(cached.0 == recomputed.0)
        for (a, b) in zip(cached.1, recomputed.1) { #expect(abs(a - b) < 1e-5) }
    }

    @Test func relativePositionBuckets() {
        // transformers' buckets for 8 buckets, max distance 16 (unidirectional and bidirectional)
        let uni = [0, -1, -3, -4, -5, -7, -8, -11, -16, -40].map {
            T5Attention.relativePositionBucket($0, bidirectional: false, numBuckets: 8, maxDistance: 16)
        }
        #expect(uni == [0, 1, 3, 4, 4, 5, 6, 6, 7, 7])
        let bi = [0, 1, -1, 2, -2, 4, -4, 8, -16, 30].map {
            T5Attention.relativePositionBucket($0, bidirectional: true, numBuckets: 8, maxDistance: 16)
        }
        #expect(bi == [0, 5, 1, 6, 2, 6, 2, 7, 3, 7])
    }

    @Test func emptyPromptThrows() throws {
        #expect(throws: GenerationError.emptyPrompt(row: 1)) {
            try TokenIterator(decoder: try Self.decoder(), prompts: [[5], []], parameters: GenerationParameters())
        }
    }

    @Test func cachedDecoderForwardEqualsUncached() throws {
        let model = try T5ForConditionalGeneration.load(from: Self.directory)
        let source = try IndexTensor([5, 9, 3, 7, 2, 4, 8, 6], shape: [2, 4])
        let targets: [Int32] = [0, 4, 11, 2, 7]
        let states = try model.encode(inputIds: source)
        let full = try model.decode(
            decoderInputIds: IndexTensor(targets + targets, shape: [2, targets.count]), encoderHiddenStates: states
        ).scalars
        let cache = KVCache(layerCount: model.config.decoderLayers)
        var steps: [Float] = []
        try Tensor.withoutGrad {
            for id in targets {
                steps.append(
                    contentsOf: try model.decode(
                        decoderInputIds: IndexTensor([id, id], shape: [2, 1]), encoderHiddenStates: states, cache: cache
                    ).scalars)
            }
        }
        let v = model.config.vocabSize
        var worst: Float = 0
        for t in 0..<targets.count {
            for row in 0..<2 {
                for k in 0..<v {
                    let a = full[(row * targets.count + t) * v + k], b = steps[(t * 2 + row) * v + k]
                    worst = max(worst, abs(a - b))
                }
            }
        }
        #expect(worst < 1e-5, "max |Δ| = \(worst)")
    }
}
