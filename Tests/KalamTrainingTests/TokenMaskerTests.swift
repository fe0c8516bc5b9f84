import Foundation
import KalamCore
import KalamModels
import KalamText
import Testing

@testable import KalamTraining

/// Real sentences for the masking statistics: 4,000 KJV verses, a WordPiece of 2,000 tokens trained on
/// them, and the verses annotated once (words from the tokenizer, tags from the English tagger).
enum MaskingCorpus {
    static let available =
        FileManager.default.fileExists(
            atPath: KJVCorpus.defaultDirectory.appendingPathComponent(KJVCorpus.referencesFileName).path)
        && (try? EnglishTagger.pretrained()) != nil

    struct Fixture: @unchecked Sendable {
        let tokenizer: PipelineTokenizer
        let annotator: MaskingAnnotator
        let verses: [String]
        let sequences: [MaskableSequence]
        let maskId: Int32
    }

    static let fixture: Fixture? = {
        guard available, let verses = try? KJVCorpus.load().prefix(4000).map(\.text) else { return nil }
        guard let tokenizer = try? WordPieceTrainer(vocabSize: 2000).trainTokenizer(Array(verses)),
            let tagger = try? EnglishTagger.pretrained()
        else { return nil }
        let annotator = MaskingAnnotator(tokenizer: tokenizer, tagger: tagger, maxLength: 128)
        return Fixture(
            tokenizer: tokenizer, annotator: annotator, verses: Array(verses),
            sequences: annotator.annotate(Array(verses)), maskId: Int32(tokenizer.id(of: "[MASK]")!))
    }()

    static func masker(_ strategy: MaskingStrategy, rate: Double) throws -> TokenMasker {
        let f = fixture!
        return try TokenMasker(
            strategy: strategy, rate: rate, maskTokenId: f.maskId, vocabularySize: f.tokenizer.vocabularySize,
            specialTokenIds: f.annotator.specialTokenIds)
    }

    /// Counts over every sequence masked once: eligible tokens, targets, and how the targets were replaced.
    struct Tally {
        var eligible = 0, targets = 0, masked = 0, random = 0, kept = 0
        var rate: Double { Double(targets) / Double(eligible) }
    }

    static func tally(
        _ masker: TokenMasker, seed: UInt64, check: (MaskableSequence, MaskedSequence) -> Void = { _, _ in }
    ) throws
        -> Tally
    {
        var rng = KalamRandom(seed: seed)
        var t = Tally()
        for sequence in fixture!.sequences {
            let out = try masker.mask(sequence, rng: &rng)
            t.eligible += sequence.eligibleCount
            for i in sequence.ids.indices where out.labels[i] != Batch.ignoreIndex {
                #expect(out.labels[i] == sequence.ids[i])
                #expect(sequence.words[i] >= 0, "a special token was chosen")
                t.targets += 1
                if out.inputs[i] == masker.maskTokenId {
                    t.masked += 1
                } else if out.inputs[i] == sequence.ids[i] {
                    t.kept += 1
                } else {
                    t.random += 1
                    #expect(!masker.specialTokenIds.contains(out.inputs[i]))
                }
            }
            for i in sequence.ids.indices where out.labels[i] == Batch.ignoreIndex {
                #expect(out.inputs[i] == sequence.ids[i])
            }
            check(sequence, out)
        }
        return t
    }
}

@Suite(.enabled(if: MaskingCorpus.available)) struct TokenMaskerTests {
    @Test(arguments: [0.15, 0.4])
    func randomMaskingHitsTheRateAndTheSplit(rate: Double) throws {
        for exact in [false, true] {
            let masker = try MaskingCorpus.masker(.random(exactCount: exact), rate: rate)
            let t = try MaskingCorpus.tally(masker, seed: 11) { sequence, out in
                guard exact else { return }
                // An exact count: rate × eligible rounded down or up.
                let count = out.labels.filter { $0 != Batch.ignoreIndex }.count
                let target = rate * Double(sequence.eligibleCount)
                #expect(Double(count) >= target.rounded(.down) && Double(count) <= target.rounded(.up))
            }
            #expect(t.eligible > 100_000)
            #expect(abs(t.rate - rate) < 0.01, "rate \(t.rate), exact \(exact)")
            #expect(abs(Double(t.masked) / Double(t.targets) - 0.8) < 0.02)
            #expect(abs(Double(t.random) / Double(t.targets) - 0.1) < 0.02)
            #expect(abs(Double(t.kept) / Double(t.targets) - 0.1) < 0.02)
        }
    }

    @Test func specialTokensAreNeverChosenAndTheSplitIsConfigurable() throws {
        let f = MaskingCorpus.fixture!
        let cls = Int32(f.tokenizer.id(of: "[CLS]")!), sep = Int32(f.tokenizer.id(of: "[SEP]")!)
        #expect(f.sequences.allSatisfy { $0.ids.first == cls && $0.ids.last == sep })
        #expect(f.sequences.allSatisfy { $0.words.first == -1 && $0.words.last == -1 })
        let split = try ReplacementSplit.parse("50/30/20")
        let masker = try TokenMasker(
            strategy: .random(exactCount: false), rate: 0.3, split: split, maskTokenId: f.maskId,
            vocabularySize: f.tokenizer.vocabularySize, specialTokenIds: f.annotator.specialTokenIds)
        let t = try MaskingCorpus.tally(masker, seed: 2)
        #expect(abs(Double(t.masked) / Double(t.targets) - 0.5) < 0.02)
        #expect(abs(Double(t.random) / Double(t.targets) - 0.3) < 0.02)
        #expect(abs(Double(t.kept) / Double(t.targets) - 0.2) < 0.02)
    }

    @Test(arguments: [0.15, 0.4])
    func wholeWordMaskingNeverSplitsAWord(rate: Double) throws {
        let masker = try MaskingCorpus.masker(.wholeWord, rate: rate)
        var multiPiece = 0
        let t = try MaskingCorpus.tally(masker, seed: 5) { sequence, out in
            for range in sequence.wordRanges {
                let chosen = range.filter { out.labels[$0] != Batch.ignoreIndex }.count
                #expect(chosen == 0 || chosen == range.count, "word \(range) split")
                if chosen > 1 { multiPiece += 1 }
            }
        }
        #expect(multiPiece > 100, "multi-piece words must be among the targets")
        #expect(abs(t.rate - rate) < 0.01, "rate \(t.rate)")
    }

    @Test func spanMaskingDrawsSpanBERTLengths() throws {
        let masker = try MaskingCorpus.masker(.spanBERT, rate: 0.4)
        // Σ k·0.2·0.8^(k−1) / Σ 0.2·0.8^(k−1) over k = 1…10.
        #expect(abs(masker.expectedSpanLength - 3.7970975) < 1e-6)
        var rng = KalamRandom(seed: 3)
        let draws = (0..<100_000).map { _ in masker.drawSpanLength(rng: &rng) }
        #expect(draws.allSatisfy { (1...10).contains($0) })
        let mean = Double(draws.reduce(0, +)) / Double(draws.count)
        #expect(abs(mean - 3.797) < 0.03, "mean span \(mean)")
        let ones = Double(draws.filter { $0 == 1 }.count) / 1e5
        let pOne: Double = 0.2 / (1 - pow(0.8, 10))
        #expect(abs(ones - pOne) < 0.005)
        var runs: [Int] = []
        let t = try MaskingCorpus.tally(masker, seed: 8) { sequence, out in
            var run = 0
            for range in sequence.wordRanges {
                let chosen = range.filter { out.labels[$0] != Batch.ignoreIndex }.count
                #expect(chosen == 0 || chosen == range.count)
                if chosen > 0 {
                    run += 1
                } else if run > 0 {
                    runs.append(run)
                    run = 0
                }
            }
            if run > 0 { runs.append(run) }
        }
        #expect(abs(t.rate - 0.4) < 0.01, "rate \(t.rate)")
        // Spans are cut by the budget, the sequence's end and spans already taken, and adjacent spans
        // merge; the runs are still far longer than single words.
        let meanRun = Double(runs.reduce(0, +)) / Double(runs.count)
        #expect(meanRun > 2.5 && meanRun < 6, "mean run \(meanRun)")
    }

    @Test func posMaskingFollowsTheWeights() throws {
        let weights = try MaskingStrategy.parseWeights("NOUN=3, VERB=2, ADP=0.25")
        #expect(weights == [.noun: 3, .verb: 2, .adp: 0.25])
        let masker = try MaskingCorpus.masker(.partOfSpeech(weights: weights), rate: 0.15)
        var seen: [UniversalTag: Int] = [:], chosen: [UniversalTag: Int] = [:]
        let t = try MaskingCorpus.tally(masker, seed: 4) { sequence, out in
            for range in sequence.wordRanges {
                guard let tag = sequence.tags[range.lowerBound] else { continue }
                seen[tag, default: 0] += 1
                let picked = range.filter { out.labels[$0] != Batch.ignoreIndex }.count
                #expect(picked == 0 || picked == range.count)
                if picked > 0 { chosen[tag, default: 0] += 1 }
            }
        }
        #expect(abs(t.rate - 0.15) < 0.01, "rate \(t.rate)")
        func rate(_ tag: UniversalTag) -> Double { Double(chosen[tag] ?? 0) / Double(seen[tag]!) }
        #expect(seen[.noun]! > 10_000 && seen[.adp]! > 5_000 && seen[.det]! > 5_000)
        // Normalised per sequence, so the ratios hold within a few percent over the corpus.
        #expect(abs(rate(.noun) / rate(.adp) / 12 - 1) < 0.1, "NOUN/ADP \(rate(.noun) / rate(.adp))")
        #expect(abs(rate(.verb) / rate(.noun) / (2.0 / 3) - 1) < 0.1, "VERB/NOUN \(rate(.verb) / rate(.noun))")
        #expect(abs(rate(.det) / rate(.adp) / 4 - 1) < 0.1, "DET (unlisted, 1) / ADP \(rate(.det) / rate(.adp))")
    }

    @Test func theSameSeedGivesTheSameMasks() throws {
        let f = MaskingCorpus.fixture!
        for strategy in [
            MaskingStrategy.random(exactCount: false), .random(exactCount: true), .wholeWord, .spanBERT,
            .partOfSpeech(weights: MaskingStrategy.defaultPOSWeights),
        ] {
            let masker = try MaskingCorpus.masker(strategy, rate: 0.2)
            var a = KalamRandom(seed: 21), b = KalamRandom(seed: 21), c = KalamRandom(seed: 22)
            let first = try f.sequences.prefix(200).map { try masker.mask($0, rng: &a) }
            let second = try f.sequences.prefix(200).map { try masker.mask($0, rng: &b) }
            let other = try f.sequences.prefix(200).map { try masker.mask($0, rng: &c) }
            #expect(first == second)
            #expect(first != other)
        }
    }

    @Test func badInputIsATypedError() throws {
        let f = MaskingCorpus.fixture!
        for rate in [0.0, 1.0, -0.1, 1.5] {
            #expect(
                throws: TrainingError.invalidOption(name: "mask rate", value: "\(rate)", reason: "must be in (0, 1)")
            ) {
                try MaskingCorpus.masker(.wholeWord, rate: rate)
            }
        }
        #expect(
            throws: TrainingError.invalidOption(
                name: "masking", value: "nouns", reason: "unknown strategy; known: random, whole-word, span, pos")
        ) {
            try MaskingStrategy.named("nouns")
        }
        #expect(throws: TrainingError.self) { try MaskingStrategy.parseWeights("NOUN=3,NOUNS=2") }
        do {
            _ = try MaskingStrategy.parseWeights("NOUN=3,NOUNS=2")
        } catch let TrainingError.invalidOption(name, value, _) {
            #expect(name == "pos weights" && value == "NOUNS")
        }
        #expect(
            throws: TrainingError.invalidOption(
                name: "pos weights", value: "ADP=-1", reason: "weight must be a number >= 0")
        ) {
            try MaskingStrategy.parseWeights("ADP=-1")
        }
        #expect(throws: TrainingError.self) { try ReplacementSplit.parse("80/10") }
        #expect(throws: TrainingError.self) { try ReplacementSplit.parse("80/20/10") }
        // POS masking on a sequence that was never tagged.
        let untagged = MaskingAnnotator(tokenizer: f.tokenizer).annotate(f.verses[0])
        var rng = KalamRandom(seed: 1)
        #expect(
            throws: TrainingError.invalidOption(
                name: "masking", value: "pos", reason: "the sequence carries no part-of-speech tags")
        ) {
            try MaskingCorpus.masker(.partOfSpeech(weights: [.noun: 2]), rate: 0.15).mask(untagged, rng: &rng)
        }
        // A tokenizer without [MASK] or sentinels.
        let plain = try WordPieceTrainer(vocabSize: 300, specialTokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]"])
            .trainTokenizer(Array(f.verses.prefix(200)))
        let annotator = MaskingAnnotator(tokenizer: plain)
        #expect(throws: TrainingError.missingSpecialToken(token: "[MASK]", purpose: "masked language modelling")) {
            try annotator.requireId(of: "[MASK]", for: "masked language modelling")
        }
        #expect(throws: TrainingError.missingSpecialToken(token: "<extra_id_0>", purpose: "span corruption sentinels"))
        {
            try annotator.sentinelIds()
        }
        // The model's vocabulary must be the masker's.
        let model = try BertForMaskedLM(
            config: BertConfig(
                vocabSize: 50, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 16,
                maxPositionEmbeddings: 8), seed: 1)
        #expect(throws: TrainingError.self) {
            try MaskedLMObjective(model: model, masker: MaskingCorpus.masker(.wholeWord, rate: 0.15))
        }
    }

    @Test func aResumedRunDrawsTheMasksTheUninterruptedRunDrew() throws {
        let f = MaskingCorpus.fixture!
        let blocks = try AnnotatedBlocks(
            sequences: Array(f.sequences.prefix(64)), contextLength: 24, padId: Int32(f.tokenizer.id(of: "[PAD]")!))
        func run(_ directory: URL, stopAfter: Int?, resume: Bool) throws -> [Float] {
            let model = try BertForMaskedLM(
                config: BertConfig(
                    vocabSize: f.tokenizer.vocabularySize, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2,
                    intermediateSize: 32, maxPositionEmbeddings: 24),
                seed: resume ? 9 : 1)
            let objective = try MaskedLMObjective(
                model: model, masker: MaskingCorpus.masker(.wholeWord, rate: 0.3),
                specialTokenIds: f.annotator.specialTokenIds)
            var options = TrainerConfiguration(steps: 6, batchSize: 4)
            options.checkpointEvery = 3
            options.seed = 4
            let trainer = try Trainer(
                model: model, objective: objective, data: blocks.iterator(batchSize: 4, seed: 4), validation: nil,
                configuration: options, runDirectory: directory)
            return try trainer.run(resumeFrom: resume ? directory : nil, stopAfter: stopAfter).losses
        }
        let a = try TinyRun.temporaryDirectory(), b = try TinyRun.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: a)
            try? FileManager.default.removeItem(at: b)
        }
        let full = try run(a, stopAfter: nil, resume: false)
        let half = try run(b, stopAfter: 3, resume: false)
        let rest = try run(b, stopAfter: nil, resume: true)
        #expect(full.count == 6 && half.count == 3)
        #expect(half.map(\.bitPattern) == full.prefix(3).map(\.bitPattern))
        #expect(rest.map(\.bitPattern) == full.map(\.bitPattern))
        // Annotated batches carry the words the masking needs.
        let batch = try blocks.sequentialBatches(batchSize: 4)[0]
        #expect(batch.words?.count == 4 * 24)
        #expect(
            batch.maskableRow(0, specialTokenIds: f.annotator.specialTokenIds).words == Array(
                f.sequences[0].words.prefix(24)) + [Int32](repeating: -1, count: max(0, 24 - f.sequences[0].ids.count)))
    }
}

@Suite struct DocumentPackingTests {
    @Test func consecutiveDocumentsFillSequencesUpToTheBudgetAndNeverCross() throws {
        let texts = ["one two three", "four five", "six", "seven eight nine ten", "eleven"]
        let tokenizer = try WordPieceTrainer(vocabSize: 200).trainTokenizer(texts)
        // Token counts 3, 2, 1, 4, 1 with a budget of 6: [3 + 2 + 1], [4 + 1].
        #expect(
            AnnotatedData.pack(texts, tokenizer: tokenizer, budget: 6) == [
                "one two three four five six", "seven eight nine ten eleven",
            ])
        // A text over the budget is cut at a word into pieces that fit; its last piece packs with the next
        // text. A budget of 1 leaves one word per sequence.
        #expect(
            AnnotatedData.pack(texts, tokenizer: tokenizer, budget: 3) == [
                "one two three", "four five six", "seven eight nine", "ten eleven",
            ])
        #expect(
            AnnotatedData.pack(texts, tokenizer: tokenizer, budget: 1)
                == texts.flatMap {
                    $0.split(separator: " ").map(String.init)
                })
        #expect(AnnotatedData.pack([], tokenizer: tokenizer, budget: 8).isEmpty)
        // Packed sequences keep [CLS] … [SEP] once and fit the context.
        let documents = texts.map { TextDocument(id: $0, text: $0) }
        let data = try AnnotatedData(
            documents: documents + documents, annotator: MaskingAnnotator(tokenizer: tokenizer, maxLength: 8),
            contextLength: 8, padId: 0, validationFraction: 0.2, addSpecialTokens: true)
        let cls = Int32(tokenizer.id(of: "[CLS]")!)
        for blocks in [data.train.blocks, data.validation.blocks] {
            for i in 0..<blocks.count {
                let real = blocks.block(i).prefix(Int(blocks.lengths[i]))
                #expect(real.count <= 8 && real.filter { $0 == cls }.count == 1)
            }
        }
        #expect(data.train.blocks.count + data.validation.blocks.count < 2 * texts.count)
    }

    @Test func aLongDocumentFillsSeveralSequencesCutOnlyBetweenWords() throws {
        let sentences = [
            "The lighthouse keeper counted thirteen unremarkable ships before breakfast.",
            "Nobody believed her, least of all the harbourmaster, who counted nothing at all.",
            "Unremarkable ships, she wrote, are the ones that arrive.",
        ]
        // A small vocabulary, so that long words become several word pieces.
        let tokenizer = try WordPieceTrainer(vocabSize: 120).trainTokenizer(sentences)
        let document = Array(repeating: sentences.joined(separator: " "), count: 4).joined(separator: " ")
        let total = tokenizer.encode(document, pair: nil, addSpecialTokens: false).ids.count
        for budget in [3, 5, 8, 13] {
            let pieces = AnnotatedData.pack([document], tokenizer: tokenizer, budget: budget)
            // Nothing is lost or reordered (a cut may fall between a word and its punctuation).
            #expect(pieces.joined().filter { !$0.isWhitespace } == document.filter { !$0.isWhitespace })
            var tokens = 0
            for piece in pieces {
                let encoding = tokenizer.encode(piece, pair: nil, addSpecialTokens: false)
                tokens += encoding.ids.count
                // Each piece starts with the first piece of a word and fits the budget, unless it is one word.
                #expect(encoding.tokens.first?.hasPrefix("##") == false)
                #expect(encoding.ids.count <= budget || Set(encoding.wordIds.compactMap { $0 }).count == 1)
            }
            #expect(tokens == total)
            #expect(pieces.count >= (total + budget - 1) / budget)
        }
    }
}
