/// The float32 kernels of one ISA tier that training needs besides the
/// inference ones: a general GEMM (any sizes, transposes through packing,
/// accumulation), the depthwise 3x3's forward and backward passes on dense
/// NHWC, and BatchNorm + ReLU6 forward and backward. The same tier module
/// that conforms to F32Kernels conforms to this (KernelSelection).
///
/// Contract: as F32Kernels, every output is one fixed-order chain, so any
/// split of rows (GEMM, depthwise) gives the same bits; reductions over
/// rows (`partial`, `sums`) run in row order from zero, and callers cut
/// them into parts fixed by the data size.
public protocol F32TrainingKernels: Sendable {
    var tier: ISATier { get }

    /// Floats of a packed k x n B.
    func denseGEMMPackedCount(k: Int, n: Int) -> Int
    /// Packs B, element (r, c) at b[r * rowStride + c * columnStride].
    func denseGEMMPackB(_ b: UnsafePointer<Float>, rowStride: Int, columnStride: Int, k: Int, n: Int,
                        into packed: UnsafeMutablePointer<Float>)
    /// C[m x n] = (C +) A[m x k] B, A row-major with row stride lda.
    func denseGEMM(m: Int, k: Int, n: Int, a: UnsafePointer<Float>, lda: Int, packedB: UnsafePointer<Float>,
                   c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool)
    /// dst[c * ldd + r] = src[r * lds + c].
    func transpose(rows: Int, columns: Int, _ src: UnsafePointer<Float>, lds: Int,
                   _ dst: UnsafeMutablePointer<Float>, ldd: Int)

    func depthwiseForward(input: UnsafePointer<Float>, inputHeight: Int, inputWidth: Int, channels: Int,
                          weights: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, outputWidth: Int,
                          stride: Int, padTop: Int, padLeft: Int, rows: Range<Int>)
    func depthwiseBackwardInput(gradOutput: UnsafePointer<Float>, outputHeight: Int, outputWidth: Int,
                                channels: Int, weights: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>,
                                inputWidth: Int, stride: Int, padTop: Int, padLeft: Int, rows: Range<Int>)
    func depthwiseBackwardWeights(input: UnsafePointer<Float>, inputHeight: Int, inputWidth: Int, channels: Int,
                                  gradOutput: UnsafePointer<Float>, outputWidth: Int, stride: Int, padTop: Int,
                                  padLeft: Int, rows: Range<Int>, partial: UnsafeMutablePointer<Float>)

    func channelSums(_ x: UnsafePointer<Float>, rows: Int, channels: Int, mean: UnsafePointer<Float>?,
                     into sums: UnsafeMutablePointer<Float>)
    func batchNormApply(_ z: UnsafePointer<Float>, rows: Int, channels: Int, scale: UnsafePointer<Float>,
                        shift: UnsafePointer<Float>, clamp: Clamp, output: UnsafeMutablePointer<Float>)
    func batchNormBackwardSums(_ z: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>, rows: Int,
                               channels: Int, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, clamp: Clamp,
                               mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>,
                               sumDy: UnsafeMutablePointer<Float>, sumDyXhat: UnsafeMutablePointer<Float>)
    func batchNormBackwardInput(_ z: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>, rows: Int,
                                channels: Int, mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>,
                                gammaInvStd: UnsafePointer<Float>, meanDy: UnsafePointer<Float>,
                                meanDyXhat: UnsafePointer<Float>, batchStatistics: Bool)
}
