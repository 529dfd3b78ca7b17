/// The arithmetic a loaded model runs in: float32 (safetensors and float
/// .tflite files), or 8-bit integers as TFLite defines them (int8 files from
/// TensorFlow's converter, uint8 files from 2018).
public enum Precision: Int, Sendable {
    case float32 = 0
    case int8 = 1
    case uint8 = 2

    public var name: String {
        switch self {
        case .float32: return "float32"
        case .int8: return "int8"
        case .uint8: return "uint8"
        }
    }
}
