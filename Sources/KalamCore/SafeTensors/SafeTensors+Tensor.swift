import Foundation

extension SafeTensorsFile {
    /// The tensor stored under `name` as a float32 `Tensor` (F16/BF16/F64 converted).
    /// - Throws: `SafeTensorsError` for a missing key or a non-floating-point dtype.
    public func tensor(_ name: String) throws -> Tensor {
        let entry = try entry(name)
        let t = Tensor(uninitializedShape: entry.shape)
        try copyFloats(name, into: UnsafeMutableBufferPointer(start: t.data, count: t.count))
        return t
    }
}

extension SafeTensors {
    /// Writes named tensors as F32, atomically, in the order given.
    public static func write(
        _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:], to url: URL
    ) throws {
        try write(
            tensors: tensors.map {
                TensorData.float32(name: $0.name, shape: $0.tensor.shape, values: $0.tensor.scalars)
            },
            metadata: metadata, to: url)
    }
}
