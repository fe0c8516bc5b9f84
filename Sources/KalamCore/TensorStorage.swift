/// A reference-counted, 64-byte aligned float32 buffer shared by a tensor and its views.
public final class TensorStorage: @unchecked Sendable {
    /// The first element.
    public let pointer: UnsafeMutablePointer<Float>
    /// The number of float32 elements.
    public let count: Int

    /// Allocates `count` uninitialised floats (use `zero()` or write every element before reading).
    public init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// Allocates and fills with zeros.
    public convenience init(zeros count: Int) {
        self.init(count: count)
        pointer.initialize(repeating: 0, count: count)
    }

    /// A bfloat16 copy of the values, read by matrix-vector products in place of the float32 values (half
    /// the bytes a decoding step streams). Nil unless ``Tensor/storeAsBFloat16()`` made one; an optimizer
    /// step on the tensor drops it.
    public internal(set) var bfloat16: UnsafeMutablePointer<UInt16>?

    deinit {
        UnsafeMutableRawPointer(pointer).deallocate()
        bfloat16?.deallocate()
    }

    /// The whole buffer.
    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }
}
