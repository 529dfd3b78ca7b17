import MobileNetKernelInterface

/// An 8-bit depthwise 3x3: integer taps (widened to Int32 once, at load),
/// TFLite's per-channel output stage; split by output rows.
final class QuantizedDepthwise3x3Layer: TiledDepthwise {
    let spec: LayerSpec
    let kernels: any QS8Kernels
    let channels: Int
    /// 9 taps x padded channels, packed for the tier (qdepthwisePack).
    let weights: AlignedArray<Int32>
    let stage: QuantizedOutputStage

    init(_ layer: QuantizedNetwork.Layer, kernels: any QS8Kernels) throws {
        spec = layer.spec
        self.kernels = kernels
        channels = roundUpTo8(spec.outputChannels)
        let taps = try AlignedArray<Int32>(count: 9 * channels)
        for tap in 0..<9 {
            for c in 0..<spec.outputChannels {
                taps.pointer[tap * channels + c] = Int32(layer.weights[tap * spec.outputChannels + c])
            }
        }
        weights = try AlignedArray(count: kernels.qdepthwisePackedCount(channels: channels))
        kernels.qdepthwisePack(taps.pointer, channels: channels, into: weights.pointer)
        stage = try QuantizedOutputStage(layer, paddedChannels: channels)
    }

    var outputPixelStride: Int { quantizedPixelStride(channels: channels) }

    func forward(_ step: Step, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                 scratch: Scratch, pool: ThreadPool) {
        pool.parallel(QuantizedDepthwiseJob(layer: self, step: step,
                                            input: UnsafeRawPointer(input).assumingMemoryBound(to: Int16.self),
                                            output: UnsafeMutableRawPointer(output).assumingMemoryBound(to: Int16.self),
                                            parts: parts(step.output.height, pool: pool)))
    }
}

extension QuantizedDepthwise3x3Layer {
    /// The kernel addresses output row oy at output + oy x width x stride,
    /// so the tile's base is moved back by its first row (never below it is written).
    func runRows(_ step: Step, input: UnsafePointer<Float>, tile: UnsafeMutableRawPointer, layout: ActivationLayout,
                 rows: Range<Int>) {
        let values = tile.assumingMemoryBound(to: Int16.self)
        kernels.qdepthwise3x3(stride: spec.stride, channels: channels,
                              input: UnsafeRawPointer(input).assumingMemoryBound(to: Int16.self),
                              inputLayout: step.input, weights: weights.pointer, requantization: stage.requantization,
                              output: values - rows.lowerBound * layout.width * layout.pixelStride,
                              outputLayout: layout, padTop: step.geometry.padTop, padLeft: step.geometry.padLeft,
                              rows: rows)
    }
}

private struct QuantizedDepthwiseJob: PartRunner {
    let layer: QuantizedDepthwise3x3Layer
    let step: Step
    let input: UnsafePointer<Int16>
    let output: UnsafeMutablePointer<Int16>
    let parts: Int

    func run(part: Int, slot: Int) {
        let rows = partition(step.output.height, part: part, parts: parts)
        guard !rows.isEmpty else { return }
        layer.kernels.qdepthwise3x3(stride: layer.spec.stride, channels: layer.channels, input: input,
                                    inputLayout: step.input, weights: layer.weights.pointer,
                                    requantization: layer.stage.requantization, output: output,
                                    outputLayout: step.output, padTop: step.geometry.padTop,
                                    padLeft: step.geometry.padLeft, rows: rows)
    }
}
