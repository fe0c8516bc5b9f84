import KalamCore

/// Splitting documents (or blocks) into a training and a validation set.
public enum TrainValidationSplit {
    /// Splits `items`: `round(count × validationFraction)` of them (at least 1) go to validation.
    ///
    /// With a `seed`, the validation items are a seeded random choice; without one, they are the last
    /// items (a contiguous tail, like nanoGPT's split). Both sides keep the original order. Throws when
    /// the fraction is not in (0, 1) or either side would be empty.
    public static func split<T>(
        _ items: [T], validationFraction: Double, seed: UInt64? = nil
    ) throws -> (train: [T], validation: [T]) {
        guard validationFraction > 0, validationFraction < 1 else {
            throw BatchingError.invalidOption(
                name: "validationFraction", value: String(validationFraction), reason: "must be between 0 and 1")
        }
        let validationCount = max(1, Int((Double(items.count) * validationFraction).rounded()))
        guard validationCount < items.count else {
            throw BatchingError.emptySplit(side: "training", items: items.count, validationFraction: validationFraction)
        }
        let isValidation: [Bool]
        if let seed {
            var rng = KalamRandom(seed: seed)
            var flags = [Bool](repeating: false, count: items.count)
            for index in rng.permutation(items.count).prefix(validationCount) { flags[index] = true }
            isValidation = flags
        } else {
            isValidation = (0..<items.count).map { $0 >= items.count - validationCount }
        }
        var train: [T] = []
        var validation: [T] = []
        train.reserveCapacity(items.count - validationCount)
        validation.reserveCapacity(validationCount)
        for (item, flag) in zip(items, isValidation) {
            if flag { validation.append(item) } else { train.append(item) }
        }
        return (train, validation)
    }

    /// Tokenized documents split (see ``split(_:validationFraction:seed:)``) and each side packed.
    public static func packed(
        documents: [[Int32]], packing: BlockPacking, validationFraction: Double, seed: UInt64? = nil
    ) throws -> (train: PackedBlocks, validation: PackedBlocks) {
        let (train, validation) = try split(documents, validationFraction: validationFraction, seed: seed)
        return (
            try PackedBlocks(documents: train, packing: packing),
            try PackedBlocks(documents: validation, packing: packing)
        )
    }
}
