import MobileNetKernelInterface

/// The 8-bit global average pool, as TFLite's reference AVERAGE_POOL_2D over
/// the whole map: the sum of q, divided with rounding half away from zero,
/// clamped. Its output is the embedding, so it is written dequantized
/// (floats scale * (q - zeroPoint), what TFLite's DEQUANTIZE would give);
/// the logits layer recovers q exactly from them.
final class QuantizedAveragePoolLayer: Operator {
    let spec: LayerSpec
    let kernels: any QS8Kernels
    let channels: Int
    let quantization: QuantizedNetwork.Affine
    let lower: Int32, upper: Int32

    init(_ layer: QuantizedNetwork.Layer, kernels: any QS8Kernels) {
        spec = layer.spec
        self.kernels = kernels
        channels = roundUpTo8(spec.outputChannels)
        quantization = layer.output
        lower = layer.lower
        upper = layer.upper
    }

    var outputPixelStride: Int { channels }

    func scratchFloats(_ step: Step) -> Int { channels }

    func forward(_ step: Step, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                 scratch: Scratch, pool: ThreadPool) {
        let pixels = step.input.height * step.input.width
        // One small part (1024 channels x 49 pixels): not worth a hand-off.
        let sums = UnsafeMutableRawPointer(scratch.base).assumingMemoryBound(to: Int32.self)
        kernels.qchannelSums(input: UnsafeRawPointer(input).assumingMemoryBound(to: Int16.self), pixels: pixels,
                             pixelStride: step.input.pixelStride, channels: channels, output: sums)
        let count = Int64(pixels), zero = Int64(quantization.zeroPoint)
        for c in 0..<channels {
            // In 64 bits: 65536^2 pixels of 255 would overflow TFLite's int32.
            let acc = Int64(sums[c]) + count * zero
            let average = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count
            let q = min(max(average, Int64(lower)), Int64(upper))
            output[c] = AffineQuantization.dequantize(Int32(q - zero), scale: quantization.scale)
        }
    }
}
