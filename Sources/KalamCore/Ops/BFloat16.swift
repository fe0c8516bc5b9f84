import CKalamKernels

// bfloat16 weight storage for decoding: the values are rounded to bfloat16 in place (so every path that
// reads the float32 values sees the same numbers) and a 16-bit copy is kept beside them, which
// one-row products (batch-1 decoding) stream instead: half the bytes per token, float32 arithmetic.

extension Tensor {
    /// Rounds the values to bfloat16 (to nearest, ties to even) in place and keeps a bfloat16 copy that
    /// one-row products (`linear`, `conv1D` with a single input row) read instead of the float32 values.
    ///
    /// For inference: an optimizer step on the tensor drops the copy (the float32 values go on from
    /// the rounded ones). Calling it again refreshes the copy.
    /// - Throws: `TensorError.invalidArgument` when the tensor is a view (not its whole storage, dense).
    public func storeAsBFloat16() throws {
        guard offset == 0, count == storage.count, isContiguous else {
            throw TensorError.invalidArgument(
                op: "storeAsBFloat16", reason: "the tensor \(shape) is a view, not a whole dense storage")
        }
        let copy = storage.bfloat16 ?? UnsafeMutablePointer<UInt16>.allocate(capacity: Swift.max(count, 1))
        kalam_round_bf16(storage.pointer, copy, storage.pointer, count)
        storage.bfloat16 = copy
    }

    /// The bfloat16 copy of the values when ``storeAsBFloat16()`` made one and this view covers it whole.
    public var bfloat16Values: UnsafePointer<UInt16>? {
        guard let copy = storage.bfloat16, offset == 0, count == storage.count, isContiguous else { return nil }
        return UnsafePointer(copy)
    }

    /// Drops the bfloat16 copy (the float32 values are about to change).
    public func dropBFloat16() {
        storage.bfloat16?.deallocate()
        storage.bfloat16 = nil
    }
}

/// Rounds float32 values to bfloat16 and back (to nearest, ties to even; a NaN stays a NaN).
public func roundedToBFloat16(_ values: [Float]) -> [Float] {
    guard !values.isEmpty else { return [] }
    var out = values
    values.withUnsafeBufferPointer { source in
        out.withUnsafeMutableBufferPointer { kalam_round_bf16(source.baseAddress!, nil, $0.baseAddress!, values.count) }
    }
    return out
}
