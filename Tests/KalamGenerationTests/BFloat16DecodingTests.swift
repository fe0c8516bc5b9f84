import Foundation
import KalamCore
import KalamModels
import KalamNN
import Testing

@testable import KalamGeneration

/// Decoding with weights stored as bfloat16: the same ids and logits as the float32 model whose weights
/// were rounded to bfloat16 (the products read the 16-bit copy; the arithmetic is float32 in both).
struct BFloat16DecodingTests {
    static let prompt: [Int32] = [5, 17, 42, 8, 23]

    /// The fixture GPT-2 with every weight matrix rounded to bfloat16 in its float32 storage (no copy).
    static func roundedFloat32Decoder() throws -> CausalLMDecoder {
        let decoder = try CausalLMDecoderTests.decoder()
        for (_, tensor) in decoder.model.namedParameters() where tensor.rank == 2 {
            let rounded = roundedToBFloat16(tensor.scalars)
            tensor.data.update(from: rounded, count: rounded.count)
        }
        return decoder
    }

    /// The logits of the prompt and of `steps` greedy steps after it.
    static func greedyLogits(_ decoder: CausalLMDecoder, steps: Int) throws -> [[Float]] {
        let start = try decoder.start([prompt])
        var cache = start.cache
        var logits = [start.logits[0]]
        for _ in 0..<steps {
            let last = logits.last!
            let next = Int32(last.indices.max { last[$0] < last[$1] }!)
            logits.append(try decoder.next([next], cache: &cache)[0])
        }
        return logits
    }

    @Test func bfloat16WeightsDecodeAsTheRoundedFloat32Model() throws {
        let half = try CausalLMDecoderTests.decoder()
        let matrices = half.model.namedParameters().filter { $0.tensor.rank == 2 }
        #expect(try half.model.storeWeightsAsBFloat16() == matrices.reduce(0) { $0 + $1.tensor.count })
        #expect(matrices.allSatisfy { $0.tensor.bfloat16Values != nil })
        let reference = try Self.roundedFloat32Decoder()
        let got = try Self.greedyLogits(half, steps: 12), want = try Self.greedyLogits(reference, steps: 12)
        // The prompt's positions run as float32 products of the same rounded values; every one-row
        // product (the head on the last position, each step after it) reads the bfloat16 copy.
        var worst: Float = 0
        for (a, b) in zip(got, want) { for (x, y) in zip(a, b) { worst = max(worst, abs(x - y)) } }
        #expect(worst < 1e-5, "max |Δ| = \(worst)")
        // The rounding itself changes the logits of the float32 model.
        let float32 = try Self.greedyLogits(try CausalLMDecoderTests.decoder(), steps: 0)
        #expect(zip(float32[0], want[0]).map { abs($0 - $1) }.max()! > 1e-6)

        var parameters = GenerationParameters()
        parameters.maxNewTokens = 24
        parameters.eosTokenIds = []
        parameters.padTokenId = 0
        var a = try TokenIterator(decoder: half, prompts: [Self.prompt], parameters: parameters)
        var b = try TokenIterator(decoder: reference, prompts: [Self.prompt], parameters: parameters)
        #expect(try a.run() == (try b.run()))
    }
}
