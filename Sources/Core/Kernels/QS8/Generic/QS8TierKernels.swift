// The QS8Kernels conformance of a tier. The same file is compiled into each
// QS8 tier module (symlinked from QS8/AVX2 and QS8/AVX512); `ThisTier`
// (Tier.swift, one per module) names the tier and its GEMM, and the tier's
// requantize8 is the output stage of the depthwise kernel too.
import MobileNetKernelInterface

public struct QS8TierKernels: QS8Kernels {
    public init() {}

    public var tier: ISATier { ThisTier.tier }

    public var qgemmRowBlock: Int { ThisTier.QGEMM.rowBlock }

    public func qgemmPackedCount(k: Int, n: Int) -> Int { ThisTier.QGEMM.packedCount(k: k, n: n) }

    public func qgemmPanelCount(n: Int) -> Int { QGEMMPanels.panelCount(n: n) }

    public func qgemmPack(_ weights: UnsafePointer<Int16>, k: Int, n: Int, inputOffset: Int32?,
                          into packed: UnsafeMutablePointer<Int16>) {
        ThisTier.QGEMM.pack(weights, k: k, n: n, inputOffset: inputOffset, into: packed)
    }

    public func qgemmScratchBytes(m: Int, k: Int, n: Int) -> Int { ThisTier.QGEMM.scratchBytes(m: m, k: k, n: n) }

    public func qgemm(m: Int, k: Int, n: Int, a: UnsafePointer<Int16>, lda: Int, packedB: UnsafePointer<Int16>,
                      requantization: Requantization, c: UnsafeMutablePointer<Int16>, ldc: Int, panels: Range<Int>?,
                      scratch: UnsafeMutableRawPointer?) {
        ThisTier.QGEMM.run(m: m, k: k, n: n, a: a, lda: lda, packedB: packedB, requantization: requantization,
                           c: c, ldc: ldc, panels: panels, scratch: scratch)
    }

    public func qdepthwisePackedCount(channels: Int) -> Int { QDepthwise3x3.packedCount(channels: channels) }

    public func qdepthwisePack(_ weights: UnsafePointer<Int32>, channels: Int,
                               into packed: UnsafeMutablePointer<Int32>) {
        QDepthwise3x3.pack(weights, channels: channels, into: packed)
    }

    public func qdepthwise3x3(stride: Int, channels: Int, input: UnsafePointer<Int16>, inputLayout: ActivationLayout,
                              weights: UnsafePointer<Int32>, requantization: Requantization,
                              output: UnsafeMutablePointer<Int16>, outputLayout: ActivationLayout,
                              padTop: Int, padLeft: Int, rows: Range<Int>) {
        QDepthwise3x3.run(stride: stride, channels: channels, input: input, inputLayout: inputLayout,
                          weights: weights, requantization: requantization, output: output,
                          outputLayout: outputLayout, padTop: padTop, padLeft: padLeft, rows: rows)
    }

    public func qim2col3x3Row(input: UnsafePointer<Int16>, layout: ActivationLayout, channels: Int, oy: Int,
                              outputWidth: Int, stride: Int, padTop: Int, padLeft: Int, rowLength: Int,
                              into: UnsafeMutablePointer<Int16>) {
        QIm2col3x3.row(input: input, layout: layout, channels: channels, oy: oy, outputWidth: outputWidth,
                       stride: stride, padTop: padTop, padLeft: padLeft, rowLength: rowLength, into: into)
    }

    public func qchannelSums(input: UnsafePointer<Int16>, pixels: Int, pixelStride: Int, channels: Int,
                             output: UnsafeMutablePointer<Int32>) {
        QChannelSums.run(input: input, pixels: pixels, pixelStride: pixelStride, channels: channels, output: output)
    }

    public func qquantize(input: UnsafePointer<Float>, inputStride: Int, pixels: Int, channels: Int, scale: Float,
                          zeroPoint: Int32, lower: Int32, upper: Int32, output: UnsafeMutablePointer<Int16>,
                          outputStride: Int) {
        ThisTier.Quantize.run(input: input, inputStride: inputStride, pixels: pixels, channels: channels,
                              scale: scale, zeroPoint: zeroPoint, lower: lower, upper: upper, output: output,
                              outputStride: outputStride)
    }
}
