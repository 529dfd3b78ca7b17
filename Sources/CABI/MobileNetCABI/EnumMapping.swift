import CMobileNetHeader
import MobileNet
import MobileNetKernelInterface

// C enum values are ABI: each is mapped by name here, never through a raw
// value, so reordering a Swift enum cannot change what a C caller sees.

extension Variant {
    init?(_ variant: mobilenet_variant) {
        switch variant {
        case MOBILENET_VARIANT_SEPARABLE: self = .separable
        case MOBILENET_VARIANT_FULL_CONV: self = .fullConv
        case MOBILENET_VARIANT_SHALLOW: self = .shallow
        default: return nil
        }
    }

    var c: mobilenet_variant {
        switch self {
        case .separable: return MOBILENET_VARIANT_SEPARABLE
        case .fullConv: return MOBILENET_VARIANT_FULL_CONV
        case .shallow: return MOBILENET_VARIANT_SHALLOW
        }
    }
}

extension LayerType {
    var c: mobilenet_layer_type {
        switch self {
        case .conv3x3: return MOBILENET_LAYER_CONV_3X3
        case .depthwise3x3: return MOBILENET_LAYER_DEPTHWISE_3X3
        case .pointwise1x1: return MOBILENET_LAYER_POINTWISE_1X1
        case .averagePool: return MOBILENET_LAYER_AVERAGE_POOL
        case .fullyConnected: return MOBILENET_LAYER_FULLY_CONNECTED
        }
    }
}

extension ISATier {
    var c: mobilenet_isa {
        switch self {
        case .generic:
            #if arch(arm64)
            return MOBILENET_ISA_NEON
            #else
            return MOBILENET_ISA_GENERIC
            #endif
        case .avx2: return MOBILENET_ISA_AVX2
        case .avx512: return MOBILENET_ISA_AVX512
        }
    }

    /// nil for MOBILENET_ISA_AUTO; throws for values that are no tier of this architecture.
    static func from(_ isa: mobilenet_isa) throws -> ISATier? {
        switch isa {
        case MOBILENET_ISA_AUTO: return nil
        #if arch(arm64)
        case MOBILENET_ISA_NEON: return .generic
        #else
        case MOBILENET_ISA_GENERIC: return .generic
        case MOBILENET_ISA_AVX2: return .avx2
        case MOBILENET_ISA_AVX512: return .avx512
        #endif
        default:
            throw MobileNetError(.unsupported, "max_isa \(Int32(bitPattern: isa.rawValue)) is not a tier of this CPU architecture")
        }
    }
}

extension Precision {
    var c: mobilenet_precision {
        switch self {
        case .float32: return MOBILENET_PRECISION_FLOAT32
        case .int8: return MOBILENET_PRECISION_INT8
        case .uint8: return MOBILENET_PRECISION_UINT8
        }
    }
}

extension CalibrationMethod {
    init?(_ c: mobilenet_calibration) {
        switch c {
        case MOBILENET_CALIBRATION_MINMAX: self = .minMax
        case MOBILENET_CALIBRATION_PERCENTILE: self = .percentile
        case MOBILENET_CALIBRATION_MSE: self = .mse
        default: return nil
        }
    }

    var c: mobilenet_calibration {
        switch self {
        case .minMax: return MOBILENET_CALIBRATION_MINMAX
        case .percentile: return MOBILENET_CALIBRATION_PERCENTILE
        case .mse: return MOBILENET_CALIBRATION_MSE
        }
    }
}
