import Foundation
import KalamCore
import KalamText
import KalamTraining
import Testing

@testable import KalamCLI

/// `kalam mask` on KJV verses, with a WordPiece (BERT's specials) and one with T5's specials.
@Suite(
    "MaskCommand",
    .enabled(
        if: FileManager.default.fileExists(
            atPath: KJVCorpus.defaultDirectory.appendingPathComponent(KJVCorpus.referencesFileName).path)
            && (try? EnglishTagger.pretrained()) != nil))
struct MaskCommandTests {
    static let made = Result { () throws -> (bert: String, t5: String, plain: String) in
        let verses = try KJVCorpus.load().prefix(1000).map(\.text)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-mask-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        func save(_ specials: [String], _ name: String) throws -> String {
            let url = dir.appendingPathComponent(name)
            let tokenizer = try WordPieceTrainer(vocabSize: 1000, specialTokens: specials).trainTokenizer(
                verses, unkToken: specials.contains("<unk>") ? "<unk>" : "[UNK]")
            try TokenizerJSON.save(tokenizer, to: url)
            return url.path
        }
        return (
            try save(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], "bert.json"),
            try save(["<pad>", "</s>", "<unk>"] + (0..<100).map { "<extra_id_\($0)>" }, "t5.json"),
            try save(["[PAD]", "[UNK]", "[CLS]", "[SEP]"], "plain.json")
        )
    }
    static var files: (bert: String, t5: String, plain: String) { get throws { try made.get() } }
    static let verse = "And God said, Let there be light: and there was light."

    static func render(_ arguments: [String], lines: [String] = [verse]) throws -> [[String: Any]] {
        var engine = try MaskCommand.parse(arguments).engine()
        return try lines.map {
            try JSONSerialization.jsonObject(with: Data(try engine.render($0).utf8)) as! [String: Any]
        }
    }

    @Test func parsesTheSharedMaskingFlags() throws {
        let command = try MaskCommand.parse([
            "--tokenizer", "t.json", "--masking", "pos", "--mask-rate", "0.3", "--pos-weights", "NOUN=4",
            "--seed", "7", "--json", "--exact-count", "--split", "70/20/10",
        ])
        #expect(command.options.masking == "pos" && command.options.maskRate == 0.3 && command.seed == 7)
        #expect(command.options.exactCount && command.options.split == "70/20/10")
        #expect(try command.options.strategy() == .partOfSpeech(weights: [.noun: 4]))
        #expect(try KalamCommand.parseAsRoot(["mask", "--tokenizer", "t.json"]) is MaskCommand)
    }

    @Test func wholeWordMaskingAsJSON() throws {
        let args = ["--tokenizer", try Self.files.bert, "--masking", "whole-word", "--mask-rate", "0.4", "--seed", "1"]
        let out = try Self.render(args, lines: [Self.verse, "In the beginning God created the heaven and the earth."])
        let again = try Self.render(
            args, lines: [Self.verse, "In the beginning God created the heaven and the earth."])
        #expect(NSArray(array: out) == NSArray(array: again), "the same seed gives the same masks")
        let tokenizer = try TokenizerJSON.load(URL(fileURLWithPath: try Self.files.bert))
        let first = out[0]
        let ids = first["input_ids"] as! [Int], masked = first["masked_ids"] as! [Int],
            labels = first["labels"] as! [Int]
        let upos = first["upos"] as! [Any]
        #expect(ids == [tokenizer.id(of: "[CLS]")!] + tokenizer.encodeIds(Self.verse) + [tokenizer.id(of: "[SEP]")!])
        #expect(masked.count == ids.count && labels.count == ids.count && upos.count == ids.count)
        #expect(upos.first is NSNull && upos.last is NSNull)
        #expect(upos[1] as? String == "CCONJ" && upos[2] as? String == "PROPN")
        let targets = labels.indices.filter { labels[$0] != -100 }
        // 40% of the 14 text tokens: 5 or 6.
        #expect(targets.count == 5 || targets.count == 6, "targets \(targets)")
        for i in ids.indices {
            if labels[i] == -100 { #expect(masked[i] == ids[i]) } else { #expect(labels[i] == ids[i]) }
        }
        #expect(labels.first == -100 && labels.last == -100)
    }

    @Test func t5SpanCorruptionAsJSON() throws {
        let out = try Self.render(["--tokenizer", try Self.files.t5, "--masking", "t5-span", "--seed", "3"])[0]
        let tokenizer = try TokenizerJSON.load(URL(fileURLWithPath: try Self.files.t5))
        let ids = (out["input_ids"] as! [Int]).map(Int32.init)
        #expect(ids == tokenizer.encodeIds(Self.verse).map(Int32.init) + [1])
        let t5 = try SpanCorruption(sentinelIds: (0..<100).map { Int32(3 + $0) }, endOfSequenceId: 1)
        let inputs = (out["inputs"] as! [Int]).map(Int32.init), targets = (out["targets"] as! [Int]).map(Int32.init)
        #expect(t5.reconstruct(inputs: inputs, targets: targets) == Array(ids.dropLast()))
        #expect(targets.first == 3, "targets start with <extra_id_0>")
    }

    @Test func badInputIsATypedError() throws {
        let bert = try Self.files.bert
        #expect(throws: TrainingError.invalidOption(name: "mask rate", value: "1.5", reason: "must be in (0, 1)")) {
            try Self.render(["--tokenizer", bert, "--mask-rate", "1.5"])
        }
        #expect(
            throws: TrainingError.invalidOption(
                name: "masking", value: "nouns", reason: "unknown strategy; known: random, whole-word, span, pos")
        ) {
            try Self.render(["--tokenizer", bert, "--masking", "nouns"])
        }
        #expect(throws: TrainingError.self) {
            try Self.render(["--tokenizer", bert, "--masking", "pos", "--pos-weights", "NOUNS=2"])
        }
        #expect(
            throws: TrainingError.invalidOption(
                name: "lang", value: "de", reason: "no part-of-speech tagger for it (pos masking needs en or fa)")
        ) {
            try Self.render(["--tokenizer", bert, "--masking", "pos", "--lang", "de"])
        }
        #expect(throws: TrainingError.missingSpecialToken(token: "[MASK]", purpose: "masked language modelling")) {
            try Self.render(["--tokenizer", try Self.files.plain])
        }
        #expect(throws: TrainingError.missingSpecialToken(token: "<extra_id_0>", purpose: "span corruption sentinels"))
        {
            try Self.render(["--tokenizer", bert, "--masking", "t5-span"])
        }
        #expect(throws: TrainingError.sequenceTooShort(length: 1, minimum: 2)) {
            try Self.render(["--tokenizer", try Self.files.t5, "--masking", "t5-span"], lines: ["light"])
        }
    }
}
