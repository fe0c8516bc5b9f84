// The element types a safetensors header can name.

/// An element type of a safetensors tensor, spelled as in the file's `dtype` field.
public enum SafeTensorsDType: String, CaseIterable, Sendable, Equatable, Hashable {
    /// Booleans, one byte each (0 or 1).
    case bool = "BOOL"
    /// Unsigned 8-bit integers.
    case uint8 = "U8"
    /// Signed 8-bit integers.
    case int8 = "I8"
    /// 8-bit floats, 5 exponent bits (read-only as raw bytes).
    case float8E5M2 = "F8_E5M2"
    /// 8-bit floats, 4 exponent bits (read-only as raw bytes).
    case float8E4M3 = "F8_E4M3"
    /// Signed 16-bit integers.
    case int16 = "I16"
    /// Unsigned 16-bit integers.
    case uint16 = "U16"
    /// IEEE binary16 floats.
    case float16 = "F16"
    /// bfloat16 floats.
    case bfloat16 = "BF16"
    /// Signed 32-bit integers.
    case int32 = "I32"
    /// Unsigned 32-bit integers.
    case uint32 = "U32"
    /// IEEE binary32 floats.
    case float32 = "F32"
    /// IEEE binary64 floats.
    case float64 = "F64"
    /// Signed 64-bit integers.
    case int64 = "I64"
    /// Unsigned 64-bit integers.
    case uint64 = "U64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .bool, .uint8, .int8, .float8E5M2, .float8E4M3: return 1
        case .int16, .uint16, .float16, .bfloat16: return 2
        case .int32, .uint32, .float32: return 4
        case .float64, .int64, .uint64: return 8
        }
    }

    /// Whether ``SafeTensorsFile/floats(_:)`` can read this dtype (F32, F16, BF16, F64).
    public var isFloatReadable: Bool {
        switch self {
        case .float32, .float16, .bfloat16, .float64: return true
        default: return false
        }
    }

    /// Whether ``SafeTensorsFile/int32s(_:)`` can read this dtype (the integer types and BOOL).
    public var isIntegerReadable: Bool {
        switch self {
        case .bool, .uint8, .int8, .int16, .uint16, .int32, .uint32, .int64, .uint64: return true
        default: return false
        }
    }
}
