import Foundation

/// One finished beam-search hypothesis.
public struct BeamHypothesis: Equatable, Sendable {
    /// The generated ids (end-of-sequence included when it ended on one).
    public var tokens: [Int32]
    /// Sum of the token log-probabilities divided by `length ^ lengthPenalty`, `length` counting the
    /// generated ids (transformers' `sequences_scores`).
    public var score: Float
}

/// Beam search with transformers' `generate()` semantics (the vectorised beam search of transformers
/// 4.50 and later): per step the log-softmax of each beam's logits goes through the processors, is added
/// to the beam's score, the best `2 × numBeams` continuations (more with several end-of-sequence ids)
/// are kept, those ending (end-of-sequence or the length limit) among the first `numBeams` become
/// finished hypotheses scored with the length penalty, the best `numBeams` others keep running.
/// Stopping follows `EarlyStopping`. Every prompt is searched independently; a prompt whose search is
/// over is dropped from the batch.
public struct BeamSearch<Decoder: LanguageModelDecoder> {
    /// The model.
    public let decoder: Decoder
    /// The settings (`numBeams`, `lengthPenalty`, `earlyStopping`, `numReturnSequences`, processors).
    public let parameters: GenerationParameters

    /// Makes a search; `parameters.strategy` is not consulted.
    public init(decoder: Decoder, parameters: GenerationParameters) {
        self.decoder = decoder
        self.parameters = parameters
    }

    private struct Slot {
        var sequence: [Int32]
        var score: Float
        var isFinished: Bool
    }

    private struct ItemState {
        var running: [[Int32]]
        var runningScores: [Float]
        var slots: [Slot]
        var heuristicUnsatisfied = true
        var done = false
    }

    private struct Candidate {
        var beam: Int
        var sequence: [Int32]
        var score: Float
        var hits: Bool
    }

    /// Searches each prompt and returns its `numReturnSequences` best hypotheses, best first.
    public func run(_ prompts: [[Int32]]) throws -> [[BeamHypothesis]] {
        var parameters = self.parameters
        parameters.strategy = .beam
        try parameters.validate()
        guard !prompts.isEmpty else { throw GenerationError.noPrompts }
        let numBeams = parameters.numBeams
        let vocabularySize = decoder.vocabularySize
        let start = try decoder.start(prompts)
        try decoder.checkLogits(start.logits, rows: prompts.count)
        let promptLength = start.prefixes.first?.count ?? 0
        var maxLength = promptLength + parameters.maxNewTokens
        if let context = decoder.contextLength { maxLength = min(maxLength, context) }
        let processors = try parameters.makeProcessors(maxLength: promptLength + parameters.maxNewTokens)
        let eos = Set(parameters.eosTokenIds)
        let beamsToKeep = max(2, 1 + eos.count) * numBeams
        let lengthPenalty = Double(parameters.lengthPenalty)
        let negativeHuge: Float = -1.0e9

        var items = start.prefixes.map { prefix in
            ItemState(
                running: Array(repeating: prefix, count: numBeams),
                runningScores: [0] + Array(repeating: negativeHuge, count: numBeams - 1),
                slots: Array(repeating: Slot(sequence: prefix, score: negativeHuge, isFinished: false), count: numBeams)
            )
        }
        // Expand every prompt row to its beams; the decoder computed each prompt once.
        var cache = start.cache
        var rowItems = Array(0..<prompts.count)  // which item each group of numBeams rows belongs to
        try decoder.reorder(&cache, rows: rowItems.flatMap { Array(repeating: $0, count: numBeams) })
        var logits = rowItems.flatMap { Array(repeating: start.logits[$0], count: numBeams) }
        var curLen = promptLength

        while true {
            var allHit = true
            var nextRows: [Int] = []
            var nextTokens: [Int32] = []
            var nextItems: [Int] = []
            for (group, itemIndex) in rowItems.enumerated() {
                var item = items[itemIndex]
                // b. accumulated log-probabilities over all beams of this item: [numBeams * V]
                var accumulated = [Float](repeating: 0, count: numBeams * vocabularySize)
                for beam in 0..<numBeams {
                    var logProbs = LogitMath.logSoftmax(logits[group * numBeams + beam])
                    let context = LogitContext(
                        inputIds: item.running[beam], promptLength: promptLength,
                        paddingCount: start.paddingCounts[itemIndex])
                    processors.process(&logProbs, context: context)
                    let base = beam * vocabularySize
                    let beamScore = item.runningScores[beam]
                    for v in 0..<vocabularySize { accumulated[base + v] = logProbs[v] + beamScore }
                }
                // c. the best beamsToKeep continuations; d. which of them end here.
                let candidates = LogitMath.topK(accumulated, k: beamsToKeep).map { entry -> Candidate in
                    let beam = entry.index / vocabularySize
                    let token = Int32(entry.index % vocabularySize)
                    let hits = eos.contains(token) || curLen + 1 >= maxLength
                    return Candidate(beam: beam, sequence: item.running[beam] + [token], score: entry.value, hits: hits)
                }
                if !candidates.allSatisfy(\.hits) { allHit = false }
                // e. running beams for the next step: the best continuations that did not end.
                let runningOrder = LogitMath.topK(
                    candidates.map { $0.score + ($0.hits ? negativeHuge : 0) }, k: numBeams)
                let sourceBeams = runningOrder.map { candidates[$0.index].beam }
                item.running = runningOrder.map { candidates[$0.index].sequence }
                item.runningScores = runningOrder.map(\.value)
                // f. finished hypotheses: merge the ones that just ended among the first numBeams.
                let divisor = Float(pow(Double(curLen + 1 - promptLength), lengthPenalty))
                let full = item.slots.allSatisfy(\.isFinished) && parameters.earlyStopping == .whenFull
                var merged = item.slots
                for (rank, candidate) in candidates.enumerated() {
                    let justFinished = candidate.hits && rank < numBeams
                    var score = candidate.score / divisor
                    if full { score += negativeHuge }
                    if !item.heuristicUnsatisfied { score += negativeHuge }
                    if !justFinished { score += negativeHuge }
                    merged.append(Slot(sequence: candidate.sequence, score: score, isFinished: justFinished))
                }
                item.slots = LogitMath.topK(merged.map(\.score), k: numBeams).map { merged[$0.index] }
                // g. can this item still improve?
                let best =
                    item.runningScores[0]
                    / bestPossibleDivisor(
                        curLen: curLen + 1, maxLength: maxLength, promptLength: promptLength)
                let worstFinished = item.slots.map(\.score).min() ?? negativeHuge
                let improvable = item.slots.contains { slot in best > (slot.isFinished ? worstFinished : negativeHuge) }
                item.heuristicUnsatisfied = item.heuristicUnsatisfied && improvable
                let allFinished = item.slots.allSatisfy(\.isFinished)
                item.done = !item.heuristicUnsatisfied || (allFinished && parameters.earlyStopping == .whenFull)
                if !item.done {
                    nextItems.append(itemIndex)
                    for (beam, source) in sourceBeams.enumerated() {
                        nextRows.append(group * numBeams + source)
                        nextTokens.append(item.running[beam].last!)
                    }
                }
                items[itemIndex] = item
            }
            curLen += 1
            if allHit || nextItems.isEmpty { break }
            try decoder.reorder(&cache, rows: nextRows)
            rowItems = nextItems
            logits = try decoder.next(nextTokens, cache: &cache)
            try decoder.checkLogits(logits, rows: nextTokens.count)
        }
        return items.map { item in
            item.slots.prefix(parameters.numReturnSequences).map { slot in
                BeamHypothesis(tokens: Array(slot.sequence[promptLength...]), score: slot.score)
            }
        }
    }

    /// `length ^ lengthPenalty` for the best score a running beam could still reach.
    private func bestPossibleDivisor(curLen: Int, maxLength: Int, promptLength: Int) -> Float {
        let lengthPenalty = Double(parameters.lengthPenalty)
        let length =
            parameters.earlyStopping == .never && lengthPenalty > 0
            ? maxLength - promptLength : curLen - promptLength
        return Float(pow(Double(length), lengthPenalty))
    }
}
