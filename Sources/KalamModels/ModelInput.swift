import KalamCore

/// Checks on model inputs, turning bad ids, masks and labels into ``ModelError``s before any kernel runs.
enum ModelInput {
    /// Checks `ids` `[B, T]`: rank 2, `T ≤ maxLength` (when given), every id in `0..<vocabSize`.
    /// - Returns: `(B, T)`.
    static func checkIDs(
        _ ids: IndexTensor, name: String = "input_ids", vocabSize: Int, maxLength: Int?
    ) throws -> (Int, Int) {
        guard ids.shape.count == 2, ids.shape[0] > 0, ids.shape[1] > 0 else {
            throw ModelError.invalidInput(
                name: name, reason: "expected a non-empty [batch, length] tensor, got shape \(ids.shape)")
        }
        let (b, t) = (ids.shape[0], ids.shape[1])
        if let maxLength, t > maxLength { throw ModelError.sequenceTooLong(length: t, maximum: maxLength) }
        for (i, id) in ids.values.enumerated() where id < 0 || Int(id) >= vocabSize {
            throw ModelError.tokenOutOfRange(id: Int(id), vocabSize: vocabSize, row: i / t, position: i % t)
        }
        return (b, t)
    }

    /// Checks an attention mask against `[B, T]` (values 0 or 1) and returns it as a float tensor, or `nil`.
    static func mask(_ mask: IndexTensor?, name: String = "attention_mask", batch: Int, length: Int) throws -> Tensor? {
        guard let mask else { return nil }
        guard mask.shape == [batch, length] else {
            throw ModelError.invalidInput(name: name, reason: "shape \(mask.shape), expected \([batch, length])")
        }
        guard mask.values.allSatisfy({ $0 == 0 || $0 == 1 }) else {
            throw ModelError.invalidInput(name: name, reason: "values must be 0 or 1")
        }
        return try Tensor(mask.values.map { Float($0) }, shape: [batch, length])
    }

    /// Checks labels: shape `shape`, each `-100` (ignored) or in `0..<classes`.
    static func checkLabels(_ labels: IndexTensor, name: String = "labels", shape: [Int], classes: Int) throws {
        guard labels.shape == shape else {
            throw ModelError.invalidInput(name: name, reason: "shape \(labels.shape), expected \(shape)")
        }
        if let bad = labels.values.first(where: { $0 != -100 && ($0 < 0 || Int($0) >= classes) }) {
            throw ModelError.invalidInput(
                name: name, reason: "label \(bad) is outside 0..<\(classes) (use -100 to ignore)")
        }
    }

    /// Checks position ids: shape `shape`, each in `0..<count` (the position table's size).
    static func checkPositions(_ positions: IndexTensor, shape: [Int], count: Int) throws {
        guard positions.shape == shape else {
            throw ModelError.invalidInput(name: "position_ids", reason: "shape \(positions.shape), expected \(shape)")
        }
        if let bad = positions.values.first(where: { $0 < 0 || Int($0) >= count }) {
            throw ModelError.invalidInput(name: "position_ids", reason: "position \(bad) is outside 0..<\(count)")
        }
    }
}
