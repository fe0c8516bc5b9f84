import Foundation
import KalamCore
import KalamText

/// A text with its class name.
public struct LabelledText: Sendable, Equatable, Hashable {
    /// Where it came from (`tech/001.txt`, `english/ai#3`, `data.tsv:12`).
    public var id: String
    /// The text.
    public var text: String
    /// The class name.
    public var label: String

    /// A labelled text.
    public init(id: String, text: String, label: String) {
        self.id = id
        self.text = text
        self.label = label
    }
}

/// The built-in classification tasks and task files.
public enum ClassificationTask {
    /// The built-in task names.
    public static let builtIn = ["bbc-news", "chatterbot-en", "chatterbot-fa"]

    /// The examples of a task: `bbc-news` (2,225 articles, 5 topics named as the corpus's folders),
    /// `chatterbot-en` / `chatterbot-fa` (a conversation's first line, labelled with its topic), or a
    /// file: `.jsonl` (`text` and `label` fields) or `.tsv` (`text<TAB>label` per line).
    /// - Throws: ``FineTuningError/unknownTask(name:known:)`` for anything else, corpus errors for
    ///   missing or malformed data.
    public static func load(_ name: String) throws -> [LabelledText] {
        switch name {
        case "bbc-news":
            return try BBCNewsCorpus.documents().map { LabelledText(id: $0.id, text: $0.text, label: $0.label ?? "") }
        case "chatterbot-en", "chatterbot-fa":
            let language = name == "chatterbot-en" ? "english" : "persian"
            return try ChatterbotCorpus.load(language: language).flatMap { topic in
                topic.conversations.enumerated().compactMap { index, turns in
                    turns.first.map {
                        LabelledText(id: "\(language)/\(topic.topic)#\(index)", text: $0, label: topic.topic)
                    }
                }
            }
        default:
            let url = URL(fileURLWithPath: name)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw FineTuningError.unknownTask(name: name, known: builtIn + ["FILE.jsonl", "FILE.tsv"])
            }
            return try loadFile(url)
        }
    }

    /// Reads a `.jsonl` (`text`, `label`) or `.tsv` (`text<TAB>label`) file; blank lines are skipped.
    public static func loadFile(_ url: URL) throws -> [LabelledText] {
        let items: [LabelledText]
        if url.pathExtension.lowercased() == "jsonl" {
            items = try JSONLCorpus.load(url, labelField: "label").map {
                LabelledText(id: $0.id, text: $0.text, label: $0.label ?? "")
            }
        } else {
            let text = try CorpusFile.text(url)
            var rows: [LabelledText] = []
            for (index, line) in CorpusFile.lines(text).enumerated() where !line.allSatisfy(\.isWhitespace) {
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
                guard fields.count == 2 else {
                    throw FineTuningError.malformedLine(
                        path: url.path, line: index + 1,
                        reason: "expected text<TAB>label, found \(fields.count) field\(fields.count == 1 ? "" : "s")")
                }
                let label = fields[1].trimmingCharacters(in: .whitespaces)
                guard !label.isEmpty else {
                    throw FineTuningError.malformedLine(path: url.path, line: index + 1, reason: "the label is empty")
                }
                rows.append(
                    LabelledText(id: "\(url.lastPathComponent):\(index + 1)", text: String(fields[0]), label: label))
            }
            items = rows
        }
        guard !items.isEmpty else { throw FineTuningError.noExamples(source: url.path) }
        return items
    }
}

/// A stratified train / validation / test split, fixed by its own seed.
public struct ClassificationSplit: Sendable, Equatable {
    /// The class names, sorted.
    public var labels: [String]
    /// Training examples.
    public var train: [LabelledText]
    /// Validation examples.
    public var validation: [LabelledText]
    /// Test examples.
    public var test: [LabelledText]
    /// Classes with too few examples for the split, left out, with their counts.
    public var leftOut: [String: Int]

    /// Splits `items` class by class: each class's examples (in their given order) are shuffled by
    /// `KalamRandom(seed: seed).fork(stream: class index)`, then `testFraction` and
    /// `validationFraction` of them (rounded, at least one each) go to test and validation and the
    /// rest to training. Classes with fewer than `minimumPerClass` examples are left out and listed.
    /// The split depends only on the items and `seed`, never on a training seed.
    /// - Throws: ``FineTuningError/tooFewClasses(found:)`` when fewer than two classes remain.
    public init(
        _ items: [LabelledText], seed: UInt64 = 0, validationFraction: Double = 0.1, testFraction: Double = 0.1,
        minimumPerClass: Int = 5
    ) throws {
        var byLabel: [String: [LabelledText]] = [:]
        for item in items { byLabel[item.label, default: []].append(item) }
        var labels: [String] = [], train: [LabelledText] = [], validation: [LabelledText] = []
        var test: [LabelledText] = [], leftOut: [String: Int] = [:]
        for label in byLabel.keys.sorted() {
            let members = byLabel[label]!
            guard members.count >= max(minimumPerClass, 3) else {
                leftOut[label] = members.count
                continue
            }
            var rng = KalamRandom(seed: seed).fork(stream: UInt64(labels.count + leftOut.count))
            let order = rng.permutation(members.count)
            let nTest = max(1, Int((Double(members.count) * testFraction).rounded()))
            let nValidation = max(1, Int((Double(members.count) * validationFraction).rounded()))
            for (rank, index) in order.enumerated() {
                if rank < nTest {
                    test.append(members[index])
                } else if rank < nTest + nValidation {
                    validation.append(members[index])
                } else {
                    train.append(members[index])
                }
            }
            labels.append(label)
        }
        guard labels.count >= 2 else { throw FineTuningError.tooFewClasses(found: labels) }
        self.labels = labels
        self.train = train
        self.validation = validation
        self.test = test
        self.leftOut = leftOut
    }

    /// A stratified subset of the training examples: `count` of them, each class's share in proportion
    /// to its size (largest remainders; at least one per class), chosen by the split's seed, in the
    /// training set's order. `count` at or above the training size keeps everything.
    public func trainingSubset(_ count: Int, seed: UInt64 = 0) -> [LabelledText] {
        guard count < train.count else { return train }
        var byLabel: [String: [Int]] = [:]
        for (i, item) in train.enumerated() { byLabel[item.label, default: []].append(i) }
        let classes = labels.filter { byLabel[$0] != nil }
        let total = Double(train.count)
        var quota = classes.map { max(1, Int(Double(byLabel[$0]!.count) * Double(count) / total)) }
        let remainders = classes.enumerated().map { index, label in
            (index, Double(byLabel[label]!.count) * Double(count) / total - Double(quota[index]))
        }.sorted { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
        var missing = count - quota.reduce(0, +)
        for (index, _) in remainders where missing > 0 && quota[index] < byLabel[classes[index]]!.count {
            quota[index] += 1
            missing -= 1
        }
        var keep = Set<Int>()
        for (index, label) in classes.enumerated() {
            let members = byLabel[label]!
            var rng = KalamRandom(seed: seed).fork(stream: 1000 + UInt64(index))
            for k in rng.permutation(members.count).prefix(quota[index]) { keep.insert(members[k]) }
        }
        return train.indices.filter(keep.contains).map { train[$0] }
    }
}

/// One encoded example: token ids (with the model's special tokens) and a class index.
public struct ClassificationExample: Sendable, Equatable {
    /// Token ids.
    public var ids: [Int32]
    /// The class index.
    public var label: Int32

    /// An example.
    public init(ids: [Int32], label: Int32) {
        self.ids = ids
        self.label = label
    }

    /// Encodes `items` with `encode` and maps their labels through `labels` (the class names in index
    /// order).
    /// - Throws: ``FineTuningError/unknownLabel(label:source:known:)`` for a label not in `labels`.
    public static func encode(
        _ items: [LabelledText], labels: [String], source: String, encode: (String) -> [Int32]
    ) throws -> [ClassificationExample] {
        let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($0.element, Int32($0.offset)) })
        return try items.map { item in
            guard let label = index[item.label] else {
                throw FineTuningError.unknownLabel(label: item.label, source: "\(source) (\(item.id))", known: labels)
            }
            return ClassificationExample(ids: encode(item.text), label: label)
        }
    }
}
