import ArgumentParser
import Foundation
import KalamCore
import KalamModels
import KalamText
import KalamTraining

/// `kalam bench mask`: masking throughput per strategy (sequences/s) on KJV verses, and the share of a
/// BERT training step that masking one batch takes.
///
/// The verses are annotated once (WordPiece words, English tags; timed apart, since that cost is paid
/// once per corpus), then each strategy masks every sequence per timed run. The training step is a
/// forward and backward pass of `BertForMaskedLM` at the tiny preset on one batch of the masked verses.
struct BenchMaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mask",
        abstract: "Masking throughput per strategy (sequences/s) and its share of a tiny BERT training step.",
        discussion: """
            Needs the KJV and denckring-en-pos (kalam data install). One result per strategy: random, \
            random-exact, whole-word, span, pos (rate 0.15) and t5-span (density 0.15, mean span 3).
            """)

    @OptionGroup var options: BenchOptions

    @Option(help: "KJV verses masked per run.")
    var sequences = 4096

    @Option(help: "Timed runs per strategy.")
    var repeats = 5

    @Option(name: .customLong("batch-size"), help: "Rows of the training step the share is measured against.")
    var batchSize = 16

    init() {}

    func validate() throws {
        guard repeats >= 1, sequences >= batchSize, batchSize >= 1 else {
            throw ValidationError("--repeats and --batch-size must be at least 1, --sequences at least --batch-size")
        }
    }

    func run() throws {
        try execute { FileHandle.standardOutput.write(Data($0.utf8)) }
    }

    func execute(write: (String) -> Void) throws {
        options.applyThreads()
        let load = BenchMachine.loadAverage()
        let verses = Array(try KJVCorpus.load().prefix(sequences).map(\.text))
        let tokenizer = try WordPieceTrainer(vocabSize: 4096, minFrequency: 2).trainTokenizer(verses)
        let annotator = MaskingAnnotator(tokenizer: tokenizer, tagger: try EnglishTagger.pretrained(), maxLength: 128)
        var annotated: [MaskableSequence] = []
        let annotateSeconds = BenchTiming.seconds { annotated = annotator.annotate(verses) }
        let tokens = annotated.reduce(0) { $0 + $1.ids.count }
        let maskId = try annotator.requireId(of: "[MASK]", for: "masked language modelling")

        // One training step of a tiny BERT on a batch of the verses, the yardstick for the share.
        let config = try FamilyPreset.bert("tiny", vocabularySize: tokenizer.vocabularySize, padId: 0)
        let model = try BertForMaskedLM(config: config, seed: 1)
        model.train()
        let blocks = try AnnotatedBlocks(sequences: annotated, contextLength: 128, padId: 0)
        let batch = try blocks.sequentialBatches(batchSize: batchSize)[0]
        let objective = try MaskedLMObjective(
            model: model, rate: 0.15, maskTokenId: maskId, specialTokenIds: annotator.specialTokenIds)
        var rng = KalamRandom(seed: 1)
        var stepTimes: [Double] = []
        for _ in 0..<(repeats + 1) {
            stepTimes.append(
                try BenchTiming.seconds {
                    let loss = try objective.loss(on: batch, rng: &rng)
                    try loss.value.backward()
                    for p in model.namedParameters() { p.tensor.grad = nil }
                })
        }
        let stepSeconds = BenchTiming.median(Array(stepTimes.dropFirst()))

        let strategies: [(String, MaskingStrategy?)] = [
            ("random", .random(exactCount: false)), ("random-exact", .random(exactCount: true)),
            ("whole-word", .wholeWord), ("span", .spanBERT),
            ("pos", .partOfSpeech(weights: MaskingStrategy.defaultPOSWeights)), ("t5-span", nil),
        ]
        let textIds = annotated.map { s in s.ids.indices.filter { s.words[$0] >= 0 }.map { s.ids[$0] } }
        let corruption = try SpanCorruption(sentinelIds: (0..<100).map { Int32($0) }, endOfSequenceId: 1)
        for (name, strategy) in strategies {
            let masker = try strategy.map {
                try TokenMasker(
                    strategy: $0, rate: 0.15, maskTokenId: maskId, vocabularySize: tokenizer.vocabularySize,
                    specialTokenIds: annotator.specialTokenIds)
            }
            var checksum = 0
            var runs: [Double] = []
            for _ in 0..<repeats {
                var rng = KalamRandom(seed: 7)
                let seconds = try BenchTiming.seconds {
                    if let masker {
                        for s in annotated { checksum &+= try masker.mask(s, rng: &rng).inputs.count }
                    } else {
                        for ids in textIds where ids.count >= 2 {
                            checksum &+= try corruption.corrupt(ids, rng: &rng).inputs.count
                        }
                    }
                }
                runs.append(Double(annotated.count) / max(seconds, 1e-9))
            }
            let perBatch = Double(batchSize) / BenchTiming.median(runs)
            var result = BenchResult(
                name: "mask_\(name)", baseline: nil, unit: "sequences/s", runs: runs, warmup: 0, loadAverage: load)
            result.shape = [("sequences", annotated.count), ("tokens", tokens), ("batch_size", batchSize)]
            result.counts = [("checksum", checksum)]
            result.measures = [
                ("batch_mask_seconds", perBatch), ("bert_tiny_step_seconds", stepSeconds),
                ("share_of_step", perBatch / (perBatch + stepSeconds)),
                ("annotate_seconds_once", annotateSeconds),
            ]
            try options.emit(result, write: write)
        }
    }
}
