import Foundation
import KalamCore
import KalamGeneration
import KalamModels

/// `KalamBench generation --case NAME [--reps N] [--prompt-len P] [--new-tokens N]`: the generation
/// cases of ../shared/baselines/pytorch_bench.py (random weights, batch 1, no end of sequence, exactly
/// N new tokens), timed the same way: one warm-up call, then the median tokens/s of `reps` calls.
/// Prints one JSON line: {"case", "unit", "median", "values", "params"}.
enum GenerationBench {
    static let cases = [
        "gen_tiny_greedy", "gen_tiny_beam4", "gen_tiny_topp", "gen_gpt2_124m_greedy", "gen_gpt2_124m_topp",
    ]

    static func run(_ arguments: [String]) throws {
        func value(_ flag: String, _ fallback: Int) -> Int {
            guard let i = arguments.firstIndex(of: flag), i + 1 < arguments.count else { return fallback }
            return Int(arguments[i + 1]) ?? fallback
        }
        guard let i = arguments.firstIndex(of: "--case"), i + 1 < arguments.count, cases.contains(arguments[i + 1])
        else {
            print("usage: KalamBench generation --case \(cases.joined(separator: "|")) [--reps 5]")
            return
        }
        let name = arguments[i + 1]
        let reps = value("--reps", 5), promptLength = value("--prompt-len", 32), newTokens = value("--new-tokens", 128)
        let big = name.contains("124m")
        // GPT-2 124M, or the tiny model (vocab 256, 4 layers, 4 heads, d 128, n_positions 256)
        var config = GPT2Config()
        if big {
            config.vocabSize = 50257
            config.nPositions = 1024
            config.nEmbd = 768
            config.nLayer = 12
            config.nHead = 12
        } else {
            config.vocabSize = 256
            config.nPositions = 256
            config.nEmbd = 128
            config.nLayer = 4
            config.nHead = 4
        }
        config.bosTokenId = 0
        config.eosTokenId = 0
        let decoder = CausalLMDecoder(model: try GPT2LMHeadModel(config: config, seed: 0))
        var random = KalamRandom(seed: 1)
        let prompt = (0..<promptLength).map { _ in Int32(random.nextInt(below: config.vocabSize)) }
        var parameters = GenerationParameters()
        parameters.maxNewTokens = newTokens
        parameters.eosTokenIds = []  // no end of sequence: exactly newTokens tokens
        parameters.padTokenId = 0
        if name.hasSuffix("beam4") {
            parameters.strategy = .beam
            parameters.numBeams = 4
        } else if name.hasSuffix("topp") {
            parameters.strategy = .sample
            parameters.topP = 0.9
        }
        func call() throws {
            let count: Int
            if parameters.strategy == .beam {
                count = try BeamSearch(decoder: decoder, parameters: parameters).run([prompt])[0][0].tokens.count
            } else {
                var iterator = try TokenIterator(decoder: decoder, prompts: [prompt], parameters: parameters)
                count = try iterator.run()[0].count
            }
            precondition(count == newTokens, "generated \(count) tokens")
        }
        try call()
        var values: [Double] = []
        for _ in 0..<reps {
            let start = DispatchTime.now().uptimeNanoseconds
            try call()
            values.append(Double(newTokens) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
        }
        let median = values.sorted()[values.count / 2]
        let object: [String: Any] = ["case": name, "unit": "tok/s", "median": median, "values": values]
        print(
            String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
    }

}
