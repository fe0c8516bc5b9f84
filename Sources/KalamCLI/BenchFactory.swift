import KalamCore
import KalamGeneration
import KalamModels
import KalamNN
import KalamTraining

/// Every call `kalam bench` makes into KalamModels, KalamNN, KalamTraining and KalamGeneration (and
/// KalamCore's thread settings and backend), kept in this one file so that a change of those APIs is
/// adapted here alone. The benchmark commands name no model, optimizer, trainer or decoder type
/// themselves. (`kalam bench engine` builds its stack from KalamCore's tensor ops directly, on purpose.)
enum BenchFactory {
    // MARK: - Threads and backend

    /// Kalam's worker threads.
    static var threads: Int { Parallel.threads }

    /// The threads the BLAS uses for one large product.
    static var blasThreads: Int { BLAS.threads }

    /// Sets Kalam's worker threads and the BLAS's.
    static func setThreads(_ count: Int) {
        Parallel.threads = count
        BLAS.setThreads(count)
    }

    /// The name of the active compute backend.
    static var backendName: String { Backends.current.name }

    /// `C = A · B` on row-major float32 matrices (`A` `[m, k]`, `B` `[k, n]`, `C` `[m, n]`) through the
    /// active backend, as every product of Kalam's tensors runs.
    static func gemm(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>
    ) {
        Backends.current.gemm(
            transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: n, beta: 0, c: c,
            ldc: n)
    }

    // MARK: - Models

    /// The size of a GPT-2 (`GPT2LMHeadModel`, tied head, no dropout).
    struct GPT2Shape {
        var vocabulary: Int, positions: Int, width: Int, layers: Int, heads: Int
        /// GELU with the exact error function (nanoGPT's `F.gelu`) instead of GPT-2's tanh approximation.
        var exactGELU = false
    }

    /// One optimizer step's worth of work: returns the step's loss.
    typealias Step = () throws -> Float

    /// A model ready to step, with its number of parameter values.
    struct Trainable {
        var step: Step
        var parameterCount: Int
    }

    /// A GPT-2 with random weights drawn from `seed` (transformers' initialisation).
    static func gpt2(_ s: GPT2Shape, seed: UInt64 = 0) throws -> GPT2LMHeadModel {
        let config = GPT2Config(
            vocabSize: s.vocabulary, nPositions: s.positions, nEmbd: s.width, nLayer: s.layers, nHead: s.heads,
            activationFunction: s.exactGELU ? .gelu : .geluNew, residPdrop: 0, embdPdrop: 0, attnPdrop: 0,
            bosTokenId: 0, eosTokenId: 0, tieWordEmbeddings: true)
        return try GPT2LMHeadModel(config: config, seed: seed)
    }

    // MARK: - Training

    /// Whole steps of KalamTraining's `Trainer` on a GPT-2 (`CausalLMObjective`: forward, backward,
    /// clipping of the global gradient norm to 1, AdamW with betas 0.9/0.95 and weight decay 0.1 on the
    /// matrices, the warm-up/cosine schedule with no warm-up over a million steps, so a constant rate of
    /// `learningRate` in practice), over `tokens` cut into blocks of the model's context.
    static func trainerSteps(
        _ shape: GPT2Shape, tokens: [Int32], batchSize: Int, learningRate: Float
    ) throws -> Trainable {
        let model = try gpt2(shape)
        let blocks = try PackedBlocks(documents: [tokens], packing: BlockPacking(contextLength: shape.positions))
        var configuration = TrainerConfiguration(steps: 1_000_000, batchSize: batchSize)
        configuration.learningRate = learningRate
        configuration.warmupSteps = 0
        configuration.weightDecay = 0.1
        configuration.beta1 = 0.9
        configuration.beta2 = 0.95
        configuration.maxGradNorm = 1
        configuration.logEvery = 1_000_000
        let trainer = try Trainer(
            model: model, objective: CausalLMObjective(model: model), train: blocks, validation: nil,
            configuration: configuration)
        var done = 0
        let step: Step = {
            done += 1
            return try trainer.run(stopAfter: done).losses.last ?? .nan
        }
        return Trainable(step: step, parameterCount: model.parameterCount)
    }

    /// The step pytorch_bench.py's transformers cases time: the model's loss, backward, then
    /// `torch.optim.AdamW(model.parameters(), lr, weight_decay)` — KalamNN's `AdamW` with PyTorch's
    /// betas (0.9, 0.999) and weight decay on every parameter — and the gradients cleared. No clipping.
    static func adamWSteps<Model: PretrainedModel>(
        _ model: Model, learningRate: Float, weightDecay: Float, loss: @escaping () throws -> Tensor
    ) throws -> Trainable {
        model.train()
        let everything = ParameterGroup(name: "all", weightDecay: weightDecay) { _, _ in true }
        let optimizer = try AdamW(learningRate: learningRate, weightDecay: weightDecay, groups: [everything])
        let parameters = model.namedParameters()
        let step: Step = {
            let l = try loss()
            try l.backward()
            try optimizer.step(parameters)
            zeroGrad(parameters)
            return try l.item()
        }
        return Trainable(step: step, parameterCount: model.parameterCount)
    }

    /// `GPT2LMHeadModel` trained on `batches` of ids, each its own labels (transformers' shift inside the
    /// model).
    static func gpt2LabelSteps(
        _ shape: GPT2Shape, batches: [IndexTensor], learningRate: Float, weightDecay: Float
    ) throws -> Trainable {
        let model = try gpt2(shape)
        var i = 0
        return try adamWSteps(model, learningRate: learningRate, weightDecay: weightDecay) {
            defer { i += 1 }
            let x = batches[i % batches.count]
            return try model(inputIds: x, labels: x).loss!
        }
    }

    /// `BertForMaskedLM` (GELU, no dropout, 512 positions, padding id 0) trained on `(inputs, labels)`.
    static func bertMaskedLMSteps(
        vocabulary: Int, hidden: Int, layers: Int, heads: Int, intermediate: Int,
        batches: [(IndexTensor, IndexTensor)], learningRate: Float, weightDecay: Float
    ) throws -> Trainable {
        let config = BertConfig(
            vocabSize: vocabulary, hiddenSize: hidden, numHiddenLayers: layers, numAttentionHeads: heads,
            intermediateSize: intermediate, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0,
            maxPositionEmbeddings: 512, padTokenId: 0)
        let model = try BertForMaskedLM(config: config, seed: 0)
        var i = 0
        return try adamWSteps(model, learningRate: learningRate, weightDecay: weightDecay) {
            defer { i += 1 }
            let (x, y) = batches[i % batches.count]
            return try model(inputIds: x, labels: y).loss!
        }
    }

    /// `T5ForConditionalGeneration` (T5 v1.0: ReLU, tied head; no dropout) trained on `(source, target)`.
    static func t5Steps(
        vocabulary: Int, width: Int, layers: Int, heads: Int, feedForward: Int,
        batches: [(IndexTensor, IndexTensor)], learningRate: Float, weightDecay: Float
    ) throws -> Trainable {
        let config = T5Config(
            vocabSize: vocabulary, dModel: width, dKv: width / heads, dFf: feedForward, numLayers: layers,
            numDecoderLayers: layers, numHeads: heads, dropoutRate: 0, padTokenId: 0, eosTokenId: 1,
            decoderStartTokenId: 0)
        let model = try T5ForConditionalGeneration(config: config, seed: 0)
        var i = 0
        return try adamWSteps(model, learningRate: learningRate, weightDecay: weightDecay) {
            defer { i += 1 }
            let (x, y) = batches[i % batches.count]
            return try model(inputIds: x, labels: y).loss!
        }
    }

    // MARK: - Generation

    /// How the generation cases decode.
    enum Decoding: String {
        /// Arg-max at each step.
        case greedy
        /// Beam search with 4 beams, length penalty 1, transformers' `early_stopping=False`.
        case beam4
        /// Sampling with top-p 0.9 (no top-k, temperature 1, seed 0).
        case topP = "topp"
    }

    /// A KV-cached decoder with the weights of a random GPT-2, and its number of parameter values.
    static func decoder(_ shape: GPT2Shape, seed: UInt64 = 0) throws -> (decoder: CausalLMDecoder, parameterCount: Int)
    {
        let model = try gpt2(shape, seed: seed)
        return (CausalLMDecoder(model: model), model.parameterCount)
    }

    /// Decodes exactly `newTokens` ids after `prompt` (no end of sequence, batch 1) and returns the
    /// generated ids.
    static func generate(
        _ decoder: CausalLMDecoder, prompt: [Int32], newTokens: Int, decoding: Decoding
    ) throws -> [Int32] {
        var parameters = GenerationParameters()
        parameters.maxNewTokens = newTokens
        parameters.eosTokenIds = []
        parameters.padTokenId = 0
        switch decoding {
        case .greedy:
            parameters.strategy = .greedy
        case .beam4:
            parameters.strategy = .beam
            parameters.numBeams = 4
            parameters.lengthPenalty = 1
            parameters.earlyStopping = .heuristic
        case .topP:
            parameters.strategy = .sample
            parameters.topP = 0.9
            parameters.topK = 0
            parameters.temperature = 1
        }
        if decoding == .beam4 {
            return try BeamSearch(decoder: decoder, parameters: parameters).run([prompt])[0][0].tokens
        }
        var iterator = try TokenIterator(decoder: decoder, prompts: [prompt], parameters: parameters)
        return try iterator.run()[0]
    }
}
