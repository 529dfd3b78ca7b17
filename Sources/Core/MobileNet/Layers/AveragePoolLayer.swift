import MobileNetKernelInterface

/// The global average pool before the logits: one mean per channel, summed
/// in pixel order on one thread (7x7x1024 floats: about 3 us).
final class AveragePoolLayer: LayerKind, Operator {
    static let displayName = "Avg Pool"

    static func tensors(_ spec: LayerSpec) -> [(name: String, shape: [Int])] { [] }

    static func weightCount(_ spec: LayerSpec) -> Int { 0 }

    static func geometry(_ spec: LayerSpec, inputHeight: Int, inputWidth: Int) -> LayerGeometry {
        pixelGeometry(inputHeight: inputHeight, inputWidth: inputWidth, outputSide: 1)
    }

    static func multAdds(_ spec: LayerSpec, _ g: LayerGeometry) -> Int { 0 }

    static func compile(_ spec: LayerSpec, _ context: CompileContext) throws -> any Operator {
        AveragePoolLayer(spec: spec, kernels: context.kernels)
    }

    let spec: LayerSpec
    let kernels: any F32Kernels
    /// Padded channels: the output is packed (no gap).
    let channels: Int

    init(spec: LayerSpec, kernels: any F32Kernels) {
        self.spec = spec
        self.kernels = kernels
        channels = roundUpTo8(spec.inputChannels)
    }

    var outputPixelStride: Int { channels }

    func forward(_ step: Step, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                 scratch: Scratch, pool: ThreadPool) {
        kernels.globalAveragePool(input: input, pixels: step.input.height * step.input.width,
                                  pixelStride: step.input.pixelStride, channels: channels, output: output)
    }
}
