/// A quantized MobileNet's parameters, independent of any kernel layout:
/// what a quantized .tflite file holds (TFLiteQuantized) and what our own
/// quantizer would write, and what the 8-bit compile step reads.
///
/// Values follow TFLite's affine scheme real = scale * (q - zeroPoint).
/// Weights are stored as offset values w - wZeroPoint (in -255...255), so int8
/// files (symmetric, zero point 0) and 2018 uint8 files (zero points 1..255)
/// are one case.
struct QuantizedNetwork {
    enum Element: Equatable {
        case int8, uint8

        var range: ClosedRange<Int32> { self == .int8 ? -128...127 : 0...255 }
        var name: String { self == .int8 ? "int8" : "uint8" }
    }

    struct Affine: Equatable {
        let scale: Float
        let zeroPoint: Int32
    }

    struct Layer {
        let spec: LayerSpec
        let input: Affine
        let output: Affine
        /// Offset weights, row-major: 3x3 conv [tap][input channel][output
        /// channel] (taps row-major), depthwise [tap][channel], 1x1 and
        /// logits [input channel][output channel]; empty for the pool.
        let weights: [Int16]
        /// One per output channel (a per-tensor scale repeated).
        let weightScales: [Float]
        let bias: [Int32]
        /// The fused activation's bounds on q.
        let lower: Int32
        let upper: Int32
    }

    let element: Element
    let architecture: Architecture
    /// How the float network input is quantized (QUANTIZE's output, or the
    /// file's own quantized input).
    let input: Affine
    /// Aligned with architecture.layers.
    let layers: [Layer]

    /// TFLite's CalculateActivationRangeQuantized: ReLU6's [0, 6] in q, within the type's range.
    static func activationBounds(relu6: Bool, output: Affine, element: Element) -> (Int32, Int32) {
        let range = element.range
        guard relu6 else { return (range.lowerBound, range.upperBound) }
        func quantize(_ f: Float) -> Int64 {
            // Scales are finite and > 0 (checked at load); bound the quotient
            // so the conversion cannot trap.
            let q = min(max((f / output.scale).rounded(.toNearestOrAwayFromZero), -1e12), 1e12)
            return Int64(output.zeroPoint) + Int64(q)
        }
        let lower = max(Int64(range.lowerBound), quantize(0))
        let upper = min(Int64(range.upperBound), quantize(6))
        return (Int32(clamping: lower), Int32(clamping: upper))
    }
}

/// TFLite's QuantizeMultiplier: a real multiplier as a Q31 fixed-point
/// multiplier and a power-of-two shift (positive: left). Multipliers below
/// about 2^-31 flush to 0 (TFLite: "shift < -31 ... q_fixed = 0"); the
/// converter writes Conv2d_0 scales down to 5e-8 for dead filters.
enum QuantizeMultiplier {
    static func of(_ real: Double) -> (multiplier: Int32, shift: Int32) {
        guard real > 0, real.isFinite else { return (0, 0) }
        // frexp: real = q * 2^shift with q in [0.5, 1).
        var shift = Int32(real.exponent) + 1
        let q = real.significand / 2
        var fixed = Int64((q * Double(Int64(1) << 31)).rounded(.toNearestOrAwayFromZero))
        if fixed == Int64(1) << 31 {
            fixed /= 2
            shift += 1
        }
        if shift < -31 { return (0, 0) }
        // A multiplier of 2^30 or more does not occur in a MobileNet (input x
        // weight scale / output scale); refused by the caller's checks.
        guard shift <= 30 else { return (Int32.max, 30) }
        return (Int32(fixed), shift)
    }
}
