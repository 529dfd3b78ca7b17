// The F32Kernels conformance of a tier built from the SIMD8 kernels in this
// folder. The same file is compiled into each tier module that uses them
// (symlinked from F32/AVX2 and F32/AVX512); `ThisTier` (Tier.swift, one per
// module) names the tier and its GEMM.
import MobileNetKernelInterface

public struct F32TierKernels: F32Kernels {
    public init() {}

    public var tier: ISATier { ThisTier.tier }

    public var gemmRowBlock: Int { ThisTier.GEMM.rowBlock }

    public func gemmPackedCount(k: Int, n: Int) -> Int { ThisTier.GEMM.packedCount(k: k, n: n) }

    public func gemmPanelCount(n: Int) -> Int { ThisTier.GEMM.panelCount(n: n) }

    public func gemmPackRow(_ values: UnsafePointer<Float>, row: Int, k: Int, n: Int,
                            into packed: UnsafeMutablePointer<Float>) {
        ThisTier.GEMM.packRow(values, row: row, k: k, n: n, into: packed)
    }

    public func gemm(m: Int, k: Int, n: Int, a: UnsafePointer<Float>, lda: Int, packedB: UnsafePointer<Float>,
                     bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, clamp: Clamp,
                     panels: Range<Int>?) {
        ThisTier.GEMM.run(m: m, k: k, n: n, a: a, lda: lda, packedB: packedB, bias: bias, c: c, ldc: ldc,
                          clamp: clamp, panels: panels)
    }

    public var directConvMaxInputChannels: Int { DirectConv3x3.maxInputChannels }

    public func directConv3x3(inputChannels: Int, outputChannels: Int, input: UnsafePointer<Float>,
                              inputLayout: ActivationLayout, weights: UnsafePointer<Float>,
                              bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                              outputLayout: ActivationLayout, stride: Int, padTop: Int, padLeft: Int,
                              rows: Range<Int>, clamp: Clamp) {
        DirectConv3x3.run(inputChannels: inputChannels, outputChannels: outputChannels, input: input,
                          inputLayout: inputLayout, weights: weights, bias: bias, output: output,
                          outputLayout: outputLayout, stride: stride, padTop: padTop, padLeft: padLeft,
                          rows: rows, clamp: clamp)
    }

    public func depthwise3x3(stride: Int, channels: Int, input: UnsafePointer<Float>,
                             inputLayout: ActivationLayout, weights: UnsafePointer<Float>,
                             bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                             outputLayout: ActivationLayout, padTop: Int, padLeft: Int, rows: Range<Int>,
                             firstOutputRow: Int, clamp: Clamp) {
        Depthwise3x3.run(stride: stride, channels: channels, input: input, inputLayout: inputLayout,
                         weights: weights, bias: bias, output: output, outputLayout: outputLayout,
                         padTop: padTop, padLeft: padLeft, rows: rows, firstOutputRow: firstOutputRow,
                         clamp: clamp)
    }

    public func im2col3x3Row(input: UnsafePointer<Float>, layout: ActivationLayout, channels: Int, oy: Int,
                             outputWidth: Int, stride: Int, padTop: Int, padLeft: Int,
                             into: UnsafeMutablePointer<Float>) {
        Im2col3x3.row(input: input, layout: layout, channels: channels, oy: oy, outputWidth: outputWidth,
                      stride: stride, padTop: padTop, padLeft: padLeft, into: into)
    }

    public func globalAveragePool(input: UnsafePointer<Float>, pixels: Int, pixelStride: Int, channels: Int,
                                  output: UnsafeMutablePointer<Float>) {
        GlobalAveragePool.run(input: input, pixels: pixels, pixelStride: pixelStride, channels: channels,
                              output: output)
    }
}
