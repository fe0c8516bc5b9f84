import Foundation
import KalamCore
import KalamText

/// One encoded token-classification example: token ids and one class per token (−100 for special
/// tokens and for every subword after a word's first, as transformers' token-classification recipe).
public struct TokenClassificationExample: Sendable, Equatable {
    /// Token ids.
    public var ids: [Int32]
    /// One class index per token, or −100.
    public var labels: [Int32]

    /// An example.
    public init(ids: [Int32], labels: [Int32]) {
        self.ids = ids
        self.labels = labels
    }
}

/// Part-of-speech tagging with silver labels: English text tagged by Kalam's perceptron tagger (UPOS),
/// each word's tag on its first subword token.
public enum UPOSTask {
    /// The task name on the command line.
    public static let name = "upos-en"
    /// The 17 UPOS tags in their declared order: the class names.
    public static let labels = UniversalTag.allCases.map(\.rawValue)

    /// The paragraphs of BBC News article bodies with at least `minimumWords` words, in corpus order.
    public static func paragraphs(minimumWords: Int = 8) throws -> [String] {
        try BBCNewsCorpus.load().flatMap { article in
            article.body.split(separator: "\n").map(String.init).filter {
                $0.split(separator: " ").count >= minimumWords
            }
        }
    }

    /// Tags and encodes `texts`: the tokenizer's ids with special tokens, cut to `maxLength` (the last
    /// token kept, as a separator is); each word's UPOS index on its first subword, −100 elsewhere.
    public static func examples(
        _ texts: [String], tokenizer: PipelineTokenizer, tagger: EnglishTagger, maxLength: Int
    ) -> [TokenClassificationExample] {
        let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($0.element, Int32($0.offset)) })
        return texts.map { text in
            let words = tagger.tag(text: text)
            let encoding = tokenizer.encode(text)
            let real = encoding.attentionMask.indices.filter { encoding.attentionMask[$0] == 1 }
            let spans = real.map { (start: encoding.offsets[$0].start, end: encoding.offsets[$0].end) }
            let owners = SubwordAlignment.wordIndices(words: words, tokens: spans)
            var ids = real.map { Int32(truncatingIfNeeded: encoding.ids[$0]) }
            var tags = [Int32](repeating: -100, count: ids.count)
            var previous: Int? = nil
            for (k, owner) in owners.enumerated() {
                defer { previous = owner ?? previous }
                guard let owner, owner != previous, encoding.specialTokensMask[real[k]] == 0 else { continue }
                tags[k] = index[words[owner].upos.rawValue] ?? -100
            }
            if ids.count > maxLength, let last = ids.last {
                ids = Array(ids.prefix(maxLength - 1)) + [last]
                tags = Array(tags.prefix(maxLength - 1)) + [-100]
            }
            return TokenClassificationExample(ids: ids, labels: tags)
        }
    }

    /// `items` split by `seed` into 80% training, 10% validation and 10% test (in that order of a
    /// seeded permutation), whatever the training seed.
    public static func split<T>(_ items: [T], seed: UInt64) -> (train: [T], validation: [T], test: [T]) {
        var rng = KalamRandom(seed: seed).fork(stream: 31)
        let order = rng.permutation(items.count)
        let nTest = max(1, items.count / 10), nValidation = max(1, items.count / 10)
        let test = order.prefix(nTest).map { items[$0] }
        let validation = order.dropFirst(nTest).prefix(nValidation).map { items[$0] }
        let train = order.dropFirst(nTest + nValidation).map { items[$0] }
        return (train, validation, test)
    }
}

/// Token classification: cross-entropy over the labelled tokens.
public struct TokenClassificationObjective: TrainingObjective {
    /// The model.
    public let model: TokenClassifier

    /// An objective for `model`.
    public init(model: TokenClassifier) { self.model = model }

    public func loss(on batch: Batch, rng: inout KalamRandom) throws -> ObjectiveLoss {
        let shape = [batch.batchSize, batch.contextLength]
        let logits = try model.tokenLogits(
            inputIds: IndexTensor(batch.inputs, shape: shape),
            attentionMask: IndexTensor(batch.attentionMask, shape: shape))
        let targets = try IndexTensor(batch.targets, shape: shape)
        let count = batch.targetCount
        let value = count == 0 ? logits.sum() * 0 : try crossEntropy(logits: logits, targets: targets)
        return ObjectiveLoss(value, targetCount: count)
    }
}

extension ClassificationMetrics {
    /// Token accuracy (and macro-F1 over the tags present) of `model` on the labelled tokens of
    /// `examples`, in evaluation mode without gradients.
    public static func evaluate(
        _ model: TokenClassifier, on examples: [TokenClassificationExample], batchSize: Int = 32, padTokenId: Int32
    ) throws -> ClassificationMetrics {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        var labels: [Int] = [], predictions: [Int] = []
        var total = 0.0
        let classes = model.labelNames.count
        try Tensor.withoutGrad {
            guard !examples.isEmpty else { return }
            let source = try ExampleBatches(
                tokenExamples: examples, batchSize: max(1, batchSize), seed: 0, padTokenId: padTokenId)
            for batch in source.sequentialBatches() {
                let shape = [batch.batchSize, batch.contextLength]
                let logits = try model.tokenLogits(
                    inputIds: IndexTensor(batch.inputs, shape: shape),
                    attentionMask: IndexTensor(batch.attentionMask, shape: shape)
                ).scalars
                for (position, target) in batch.targets.enumerated() where target != Batch.ignoreIndex {
                    let row = logits[(position * classes)..<((position + 1) * classes)]
                    let (best, loss) = scoreRow(row, target: Int(target))
                    total += loss
                    labels.append(Int(target))
                    predictions.append(best)
                }
            }
        }
        return ClassificationMetrics(
            labels: labels, predictions: predictions, classes: classes,
            loss: labels.isEmpty ? .nan : total / Double(labels.count))
    }
}
