/// The 8-bit (quantized) kernels of one ISA tier, as the runtime calls them
/// (QS8/Generic, QS8/AVX2, QS8/AVX512 each provide one conforming value).
///
/// Activations are stored as Int16 *offset* values v = q - zeroPoint (q the
/// int8 or uint8 value TFLite would store), NHWC, `pixelStride` Int16s per
/// pixel (a multiple of 8, the channels padded with zeros). With the zero
/// point taken out once per stored value, every convolution is a plain
/// integer dot product: TFLite's padded taps (skipped, i.e. contributing
/// (zeroPoint - zeroPoint) x w = 0) are zeros, no per-pixel correction is
/// needed, and int8 and uint8 files (whose weights have zero points too)
/// run the same kernels. |v| <= 255, |w - wZeroPoint| <= 255, so a pair of
/// products fits int32 (vpmaddwd never saturates here) and k up to 32768
/// cannot overflow the int32 sum.
///
/// Contract shared by all tiers: results are exact integers, so every tier
/// and every split of the work across threads gives the same bits.
public protocol QS8Kernels: Sendable {
    var tier: ISATier { get }

    // MARK: GEMM: C[m x n] = requantize(A[m x k] B + bias), B packed at load.

    /// Rows per microkernel tile: row splits use multiples of it.
    var qgemmRowBlock: Int { get }
    /// Int16s of a packed k x n matrix (k and n multiples of 8).
    func qgemmPackedCount(k: Int, n: Int) -> Int
    /// Column panels of an n-column matrix: the unit of a split by columns.
    func qgemmPanelCount(n: Int) -> Int
    /// Packs a k x n row-major matrix of offset weights (w - wZeroPoint, each
    /// in -255...255) into `packed` (qgemmPackedCount Int16s; fully written).
    /// `inputOffset`, when known, is a constant c with 0 <= v + c <= 255 for
    /// every A value v this matrix will meet (the input's zero point minus
    /// its type's lowest q): a tier with byte kernels (vpdpbusd, u8 x s8)
    /// multiplies v + c instead and folds -c x (column sum) into the packed
    /// matrix; the others ignore it. Callers must then keep that promise.
    func qgemmPack(_ weights: UnsafePointer<Int16>, k: Int, n: Int, inputOffset: Int32?,
                   into packed: UnsafeMutablePointer<Int16>)
    /// Bytes of the per-call scratch `qgemm` needs for up to m rows of an
    /// m x k by k x n product (0: none).
    func qgemmScratchBytes(m: Int, k: Int, n: Int) -> Int
    /// Rows [0, m) of C in the column panels `panels` (nil: all). A is m rows
    /// of k offset activations, `lda` Int16s apart; C gets offset outputs.
    /// `scratch` holds qgemmScratchBytes(m:k:n:) bytes owned by this call (nil
    /// when that is 0).
    func qgemm(m: Int, k: Int, n: Int, a: UnsafePointer<Int16>, lda: Int, packedB: UnsafePointer<Int16>,
               requantization: Requantization, c: UnsafeMutablePointer<Int16>, ldc: Int, panels: Range<Int>?,
               scratch: UnsafeMutableRawPointer?)

    // MARK: 3x3 windows, 'SAME' padding given as padTop / padLeft.

    /// Int32s of packed depthwise weights for `channels` (a multiple of 8).
    func qdepthwisePackedCount(channels: Int) -> Int
    /// Packs 9 x channels tap-major offset weights (Int32, each in
    /// -255...255) for this tier's depthwise kernel (fully written).
    func qdepthwisePack(_ weights: UnsafePointer<Int32>, channels: Int, into packed: UnsafeMutablePointer<Int32>)
    /// Depthwise 3x3: `weights` as qdepthwisePack wrote them; output rows `rows`.
    func qdepthwise3x3(stride: Int, channels: Int, input: UnsafePointer<Int16>, inputLayout: ActivationLayout,
                       weights: UnsafePointer<Int32>, requantization: Requantization,
                       output: UnsafeMutablePointer<Int16>, outputLayout: ActivationLayout,
                       padTop: Int, padLeft: Int, rows: Range<Int>)
    /// Gathers output row `oy`'s 3x3 windows: outputWidth rows of
    /// `rowLength` Int16s (>= 9 x channels; taps tap-major, channel-minor;
    /// padded taps and the tail are 0), for the first convolution's GEMM.
    func qim2col3x3Row(input: UnsafePointer<Int16>, layout: ActivationLayout, channels: Int, oy: Int,
                       outputWidth: Int, stride: Int, padTop: Int, padLeft: Int, rowLength: Int,
                       into: UnsafeMutablePointer<Int16>)

    // MARK: Input

    /// TFLite's QUANTIZE of `pixels` pixels of `channels` floats (`inputStride`
    /// floats apart) into offset values (`outputStride` Int16s apart, the
    /// gap zeroed): q = clamp(round(x / scale) + zeroPoint, lower, upper),
    /// float division, rounding half away from zero; stored q - zeroPoint.
    /// NaN and |x / scale| > 1e6 clamp to lower / upper instead of trapping.
    func qquantize(input: UnsafePointer<Float>, inputStride: Int, pixels: Int, channels: Int, scale: Float,
                   zeroPoint: Int32, lower: Int32, upper: Int32, output: UnsafeMutablePointer<Int16>,
                   outputStride: Int)

    // MARK: Pooling

    /// Per-channel sums of `pixels` pixels' offset values (Int32, exact).
    func qchannelSums(input: UnsafePointer<Int16>, pixels: Int, pixelStride: Int, channels: Int,
                      output: UnsafeMutablePointer<Int32>)
}

/// TFLite's per-channel output stage: for output channel j,
///   q = clamp(MultiplyByQuantizedMultiplier(acc + bias[j], multiplier[j], shift[j]) + outputZeroPoint,
///             lower, upper)
/// and the stored value is q - outputZeroPoint. MultiplyByQuantizedMultiplier
/// is TFLite's reference (double rounding): a left shift by max(shift, 0),
/// SaturatingRoundingDoublingHighMul by the multiplier, then
/// RoundingDivideByPOT by max(-shift, 0). `shift` is in -31...30 and
/// `multiplier` in 0...Int32.max, as QuantizeMultiplier gives them (a
/// multiplier below 2^-31 is 0 with shift 0). The arrays hold one entry per
/// output channel, padded channels included (multiplier 0 there).
public struct Requantization: @unchecked Sendable {
    public let bias: UnsafePointer<Int32>
    public let multiplier: UnsafePointer<Int32>
    public let shift: UnsafePointer<Int32>
    public let outputZeroPoint: Int32
    /// Bounds on q (the fused activation's, within the type's range).
    public let lower: Int32
    public let upper: Int32
    /// Whether every channel's shift is negative (real multipliers below
    /// 1/2, as in every layer of TensorFlow's MobileNet files: the largest
    /// is 0.38). Then there is no left shift, and the rounding divides by 2
    /// at least, so |rounded| <= 2^30 and adding the zero point cannot wrap:
    /// a kernel may clamp to the bounds minus the zero point instead.
    public let rightShiftsOnly: Bool

    /// The arrays hold `channels` entries each.
    public init(bias: UnsafePointer<Int32>, multiplier: UnsafePointer<Int32>, shift: UnsafePointer<Int32>,
                channels: Int, outputZeroPoint: Int32, lower: Int32, upper: Int32) {
        self.bias = bias
        self.multiplier = multiplier
        self.shift = shift
        self.outputZeroPoint = outputZeroPoint
        self.lower = lower
        self.upper = upper
        rightShiftsOnly = UnsafeBufferPointer(start: shift, count: channels).allSatisfy { $0 < 0 }
    }
}

/// TFLite's reference requantization of one accumulator, the definition
/// every tier's vector code must reproduce (tests compare against it).
@inline(__always)
public func requantizeReference(_ acc: Int32, multiplier: Int32, shift: Int32) -> Int32 {
    let left = shift > 0 ? shift : 0
    let right = shift > 0 ? 0 : -shift
    let x = acc &* (Int32(1) &<< left)
    // SaturatingRoundingDoublingHighMul: the multiplier is never Int32.min,
    // so the saturating case cannot occur; (ab + 2^30) >> 31 equals TFLite's
    // nudged, truncating division for either sign of ab.
    let ab = Int64(x) * Int64(multiplier)
    let high = Int32(truncatingIfNeeded: (ab + (1 << 30)) >> 31)
    // RoundingDivideByPOT: round half away from zero.
    let mask = (Int32(1) &<< right) &- 1
    let remainder = high & mask
    let threshold = (mask >> 1) + (high < 0 ? 1 : 0)
    return (high >> right) + (remainder > threshold ? 1 : 0)
}
