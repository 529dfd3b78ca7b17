import MobileNetKernelInterface

/// One 8-bit layer's output stage, compiled once: per padded output channel
/// the int32 bias and TFLite's (multiplier, shift) for input scale x weight
/// scale / output scale, computed in float64 as TFLite's
/// PopulateConvolutionQuantizationParams does; padded channels get a zero
/// bias and multiplier.
final class QuantizedOutputStage {
    let bias: AlignedArray<Int32>
    let multiplier: AlignedArray<Int32>
    let shift: AlignedArray<Int32>
    let requantization: Requantization

    init(_ layer: QuantizedNetwork.Layer, paddedChannels: Int) throws {
        bias = try AlignedArray(layer.bias, count: paddedChannels)
        multiplier = try AlignedArray(count: paddedChannels)
        shift = try AlignedArray(count: paddedChannels)
        for c in 0..<layer.spec.outputChannels {
            let real = Double(layer.input.scale) * Double(layer.weightScales[c]) / Double(layer.output.scale)
            let (m, s) = QuantizeMultiplier.of(real)
            multiplier.pointer[c] = m
            shift.pointer[c] = s
        }
        // Padded channels: multiplier 0 gives 0 with any shift; -1 leaves the
        // layer's rightShiftsOnly to its real channels.
        for c in layer.spec.outputChannels..<paddedChannels { shift.pointer[c] = -1 }
        requantization = Requantization(bias: bias.pointer, multiplier: multiplier.pointer, shift: shift.pointer,
                                        channels: paddedChannels, outputZeroPoint: layer.output.zeroPoint, lower: layer.lower,
                                        upper: layer.upper)
    }
}

/// TFLite's DEQUANTIZE of one value, as its reference kernel computes it
/// (QUANTIZE of the input is the kernels' qquantize).
enum AffineQuantization {
    /// scale * (q - zeroPoint) in float64, rounded to float32.
    @inline(__always)
    static func dequantize(_ offset: Int32, scale: Float) -> Float { Float(Double(scale) * Double(offset)) }
}

/// Int16s per pixel of an 8-bit layer's output: the channels rounded up to 8.
/// The plan counts the arena in floats, so an 8-bit activation occupies twice
/// the bytes it needs (1.6 MB more at 1.0/224); simple and still half fp32's.
func quantizedPixelStride(channels: Int) -> Int { roundUpTo8(channels) }
