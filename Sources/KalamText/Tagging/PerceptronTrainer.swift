/// Trains a ``PerceptronModel`` (averaged perceptron, greedy left to right) from tagged sentences.
///
/// Training follows the usual recipe: a tag dictionary of frequent, unambiguous words; then
/// `iterations` passes over the sentences in a seeded shuffled order, predicting each word from the
/// template features of ``PerceptronTagger`` (with the previous *predicted* tags) and, on a mistake,
/// adding 1 to the true label's weights and subtracting 1 from the guessed label's; finally every
/// weight is replaced by its average over all steps. The same data and seed give the same model.
public struct PerceptronTrainer: Sendable {
    /// Passes over the training data.
    public var iterations: Int
    /// Seed of the shuffle between passes.
    public var seed: UInt64
    /// A word enters the tag dictionary when seen at least this often …
    public var tagdictMinFrequency: Int
    /// … with one label at least this share of the time.
    public var tagdictMinRatio: Double
    /// Averaged weights smaller than this in magnitude are dropped from the model.
    public var pruneBelow: Double

    /// A trainer; the defaults are the classic tagger's (5 passes, tag dictionary at 20 × 97%).
    public init(
        iterations: Int = 5, seed: UInt64 = 7, tagdictMinFrequency: Int = 20, tagdictMinRatio: Double = 0.97,
        pruneBelow: Double = 0
    ) {
        self.iterations = iterations
        self.seed = seed
        self.tagdictMinFrequency = tagdictMinFrequency
        self.tagdictMinRatio = tagdictMinRatio
        self.pruneBelow = pruneBelow
    }

    /// The template features of word `index` (see ``PerceptronTagger``); `context` is lower-cased.
    public static func features(index: Int, word: String, context: [String], prev: String, prev2: String) -> [String] {
        let lower = context[index]
        let scalars = Array(lower.unicodeScalars)
        func slice(_ r: Range<Int>) -> String { String(String.UnicodeScalarView(scalars[r])) }
        var shape = word.unicodeScalars.first.map { $0.properties.isUppercase } == true ? "X" : "x"
        if word.unicodeScalars.contains(where: {
            $0.properties.numericType == .decimal || $0.properties.numericType == .digit
        }) {
            shape += "d"
        }
        let n = scalars.count
        return [
            "bias",
            "suf3 \(slice(max(0, n - 3)..<n))",
            "suf2 \(slice(max(0, n - 2)..<n))",
            "suf1 \(slice(max(0, n - 1)..<n))",
            "pre1 \(slice(0..<min(1, n)))",
            "shape \(shape)",
            "w \(lower)",
            "t-1 \(prev)",
            "t-2 \(prev2)",
            "t-1t-2 \(prev) \(prev2)",
            "w-1 \(index > 0 ? context[index - 1] : "<s>")",
            "w-2 \(index > 1 ? context[index - 2] : "<s>")",
            "w+1 \(index + 1 < context.count ? context[index + 1] : "</s>")",
            "w+2 \(index + 2 < context.count ? context[index + 2] : "</s>")",
            "t-1 w \(prev) \(lower)",
        ]
    }

    /// Trains on `sentences` of `(word, tag)` pairs.
    ///
    /// Throws ``TaggerError/noTrainingData`` when there is no word, and
    /// ``TaggerError/invalidArgument(name:reason:)`` for `iterations < 1`.
    public func train(_ sentences: [TaggedCorpus.Sentence]) throws -> PerceptronModel {
        guard iterations >= 1 else {
            throw TaggerError.invalidArgument(name: "iterations", reason: "must be at least 1")
        }
        let data = sentences.filter { !$0.isEmpty }
        guard !data.isEmpty else { throw TaggerError.noTrainingData }

        // Classes and the tag dictionary.
        var counts: [String: [String: Int]] = [:]
        var labelSet = Set<String>()
        for sentence in data {
            for (word, tag) in sentence {
                counts[PerceptronTagger.lowercase(word), default: [:]][tag, default: 0] += 1
                labelSet.insert(tag)
            }
        }
        let classes = labelSet.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        var classIndex: [String: Int] = [:]
        for (i, label) in classes.enumerated() { classIndex[label] = i }
        var tagdict: [String: String] = [:]
        for (word, tags) in counts {
            let total = tags.values.reduce(0, +)
            // Most frequent label; ties go to the label that sorts first, for determinism.
            let best = tags.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }
            if let best, total >= tagdictMinFrequency, Double(best.value) / Double(total) >= tagdictMinRatio {
                tagdict[word] = best.key
            }
        }

        let c = classes.count
        var featureRow: [String: Int] = [:]
        var weights: [Double] = [], totals: [Double] = [], stamps: [Int] = []
        var step = 0
        var order = Array(data.indices)
        var rng = SplitMix64(seed: seed)
        var scores = [Double](repeating: 0, count: c)

        func row(_ feature: String) -> Int {
            if let r = featureRow[feature] { return r }
            let r = featureRow.count
            featureRow[feature] = r
            weights.append(contentsOf: repeatElement(0, count: c))
            totals.append(contentsOf: repeatElement(0, count: c))
            stamps.append(contentsOf: repeatElement(0, count: c))
            return r
        }
        func bump(_ r: Int, _ k: Int, _ delta: Double) {
            let j = r * c + k
            totals[j] += Double(step - stamps[j]) * weights[j]
            stamps[j] = step
            weights[j] += delta
        }

        for _ in 0..<iterations {
            for sentence in order.map({ data[$0] }) {
                let context = sentence.map { PerceptronTagger.lowercase($0.word) }
                var prev = "<s>", prev2 = "<s>"
                for (i, (word, truth)) in sentence.enumerated() {
                    var guess: String
                    if let fixed = tagdict[context[i]] {
                        guess = fixed
                    } else {
                        let feats = Self.features(index: i, word: word, context: context, prev: prev, prev2: prev2)
                        for k in 0..<c { scores[k] = 0 }
                        for f in feats {
                            guard let r = featureRow[f] else { continue }
                            for k in 0..<c { scores[k] += weights[r * c + k] }
                        }
                        var best = 0
                        for k in 1..<c where scores[k] >= scores[best] { best = k }
                        guess = classes[best]
                        if guess != truth, let t = classIndex[truth] {
                            for f in feats {
                                let r = row(f)
                                bump(r, t, 1)
                                bump(r, best, -1)
                            }
                        }
                    }
                    step += 1
                    prev2 = prev
                    prev = guess
                }
            }
            // Fisher–Yates with the seeded generator, so the order is the same on every platform.
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                let j = Int(rng.next() % UInt64(i + 1))
                order.swapAt(i, j)
            }
        }

        var averaged: [String: [String: Double]] = [:]
        for (feature, r) in featureRow {
            var entry: [String: Double] = [:]
            for k in 0..<c {
                let j = r * c + k
                let total = totals[j] + Double(step - stamps[j]) * weights[j]
                let value = total / Double(max(step, 1))
                if value != 0 && abs(value) >= pruneBelow { entry[classes[k]] = value }
            }
            if !entry.isEmpty { averaged[feature] = entry }
        }
        return PerceptronModel(classes: classes, tagdict: tagdict, vocabulary: counts.keys.sorted(), weights: averaged)
    }
}

/// SplitMix64: a small seeded generator for the trainer's shuffle.
private struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
