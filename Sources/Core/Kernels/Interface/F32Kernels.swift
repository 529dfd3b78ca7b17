/// The float32 kernels of one ISA tier, as the runtime calls them. Each tier
/// module (F32/Generic, F32/AVX2, F32/AVX512) provides one conforming value;
/// the runtime picks one at load (KernelSelection) and every compiled layer
/// keeps it. A call through the protocol costs a few nanoseconds against a
/// layer's microseconds.
///
/// Contract shared by all tiers: channel counts are multiples of 8; every
/// output element is accumulated in one fixed order whatever rows, panels or
/// parts a call covers, so splitting work across threads never changes a
/// bit. Tiers may differ from each other in the last bits (FMA or not, tile
/// shapes), not from themselves.
public protocol F32Kernels: Sendable {
    var tier: ISATier { get }

    // MARK: GEMM: C[m x n] = clamp(A[m x k] B + bias), B packed at load.

    /// Rows per microkernel tile: row splits and fused tiles use multiples of it.
    var gemmRowBlock: Int { get }
    /// Floats of a packed k x n matrix (n a multiple of 8).
    func gemmPackedCount(k: Int, n: Int) -> Int
    /// Column panels of an n-column matrix: the unit of a split by columns.
    func gemmPanelCount(n: Int) -> Int
    /// Packs row `row` of a k x n matrix (n floats at `values`) into `packed`
    /// (zeroed, gemmPackedCount floats), so a loader streams a large matrix.
    func gemmPackRow(_ values: UnsafePointer<Float>, row: Int, k: Int, n: Int, into packed: UnsafeMutablePointer<Float>)
    /// Rows [0, m) of C in the column panels `panels` (nil: all).
    func gemm(m: Int, k: Int, n: Int, a: UnsafePointer<Float>, lda: Int, packedB: UnsafePointer<Float>,
              bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, clamp: Clamp,
              panels: Range<Int>?)

    // MARK: 3x3 convolutions, 'SAME' padding given as padTop / padLeft.

    /// The most input channels directConv3x3 takes (the RGB input's 3).
    var directConvMaxInputChannels: Int { get }
    /// Full 3x3 convolution with dense (tap * cin + c) x outputChannels weights, output rows `rows`.
    func directConv3x3(inputChannels: Int, outputChannels: Int, input: UnsafePointer<Float>,
                       inputLayout: ActivationLayout, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                       output: UnsafeMutablePointer<Float>, outputLayout: ActivationLayout, stride: Int,
                       padTop: Int, padLeft: Int, rows: Range<Int>, clamp: Clamp)
    /// Depthwise 3x3 with 9 x channels tap-major weights; `output` holds the
    /// rows from `firstOutputRow` on (a fused caller's tile).
    func depthwise3x3(stride: Int, channels: Int, input: UnsafePointer<Float>, inputLayout: ActivationLayout,
                      weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                      outputLayout: ActivationLayout, padTop: Int, padLeft: Int, rows: Range<Int>,
                      firstOutputRow: Int, clamp: Clamp)
    /// Gathers output row `oy`'s 3x3 windows: outputWidth rows of 9 x channels.
    func im2col3x3Row(input: UnsafePointer<Float>, layout: ActivationLayout, channels: Int, oy: Int,
                      outputWidth: Int, stride: Int, padTop: Int, padLeft: Int, into: UnsafeMutablePointer<Float>)

    // MARK: Pooling

    /// Per-channel mean over `pixels` pixels, summed in pixel order.
    func globalAveragePool(input: UnsafePointer<Float>, pixels: Int, pixelStride: Int, channels: Int,
                           output: UnsafeMutablePointer<Float>)
}
