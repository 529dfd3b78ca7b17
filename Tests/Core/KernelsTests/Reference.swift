import MobileNet
import MobileNetKernelInterface

/// The kernels of every tier this machine runs: each kernel test runs on all.
let testedKernels: [any F32Kernels] = KernelSelection.supportedTiers.map(KernelSelection.kernels)

/// Row-major b (k x n) packed for `kernels`' GEMM.
func pack(_ b: [Float], k: Int, n: Int, _ kernels: any F32Kernels) -> [Float] {
    var packed = [Float](repeating: 0, count: kernels.gemmPackedCount(k: k, n: n))
    packed.withUnsafeMutableBufferPointer { out in
        b.withUnsafeBufferPointer { rows in
            for row in 0..<k {
                kernels.gemmPackRow(rows.baseAddress! + row * n, row: row, k: k, n: n, into: out.baseAddress!)
            }
        }
    }
    return packed
}

// Straightforward scalar versions of the kernels, written for clarity, to
// check the SIMD kernels against.

func referenceGEMM(m: Int, k: Int, n: Int, a: [Float], b: [Float], bias: [Float], relu6: Bool) -> [Float] {
    var c = [Float](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var acc: Double = 0
            for p in 0..<k { acc += Double(a[i * k + p]) * Double(b[p * n + j]) }
            var v = Float(acc) + bias[j]
            if relu6 { v = min(max(v, 0), 6) }
            c[i * n + j] = v
        }
    }
    return c
}

/// SAME-padded 3x3 depthwise convolution + bias + ReLU6 on h x w x c.
func referenceDepthwise(input: [Float], h: Int, w: Int, c: Int, weights: [Float], bias: [Float],
                        stride: Int) -> (output: [Float], oh: Int, ow: Int) {
    let oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride
    let padTop = max((oh - 1) * stride + 3 - h, 0) / 2
    let padLeft = max((ow - 1) * stride + 3 - w, 0) / 2
    var out = [Float](repeating: 0, count: oh * ow * c)
    for y in 0..<oh {
        for x in 0..<ow {
            for ch in 0..<c {
                var acc: Double = 0
                for ky in 0..<3 {
                    for kx in 0..<3 {
                        let iy = y * stride - padTop + ky, ix = x * stride - padLeft + kx
                        guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                        acc += Double(input[(iy * w + ix) * c + ch]) * Double(weights[(ky * 3 + kx) * c + ch])
                    }
                }
                out[(y * ow + x) * c + ch] = min(max(Float(acc) + bias[ch], 0), 6)
            }
        }
    }
    return (out, oh, ow)
}

struct SeededRandom {
    var state: UInt64
    mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Double(state >> 40) / Double(1 << 24)) * 2 - 1
    }
    mutating func array(_ count: Int, scale: Float = 1) -> [Float] { (0..<count).map { _ in next() * scale } }
}

/// The largest |a - b|; infinity if the sizes differ or any difference is NaN
/// (Swift's max would silently skip a NaN).
func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).reduce(0) { worst, pair in
        let d = abs(pair.0 - pair.1)
        return d.isNaN ? .infinity : max(worst, d)
    }
}

/// SAME-padded full 3x3 convolution + bias (no activation) on h x w x cin,
/// weights in TensorFlow's HWIO order; returns oh x ow x cout.
func referenceConv3x3(input: [Float], h: Int, w: Int, cin: Int, cout: Int, weights: [Float], bias: [Float],
                      stride: Int) -> [Float] {
    let oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride
    let padTop = max((oh - 1) * stride + 3 - h, 0) / 2, padLeft = max((ow - 1) * stride + 3 - w, 0) / 2
    var out = [Float](repeating: 0, count: oh * ow * cout)
    for oy in 0..<oh {
        for ox in 0..<ow {
            for co in 0..<cout {
                var acc = Double(bias[co])
                for ky in 0..<3 {
                    for kx in 0..<3 {
                        let iy = oy * stride - padTop + ky, ix = ox * stride - padLeft + kx
                        guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                        for ci in 0..<cin {
                            acc += Double(input[(iy * w + ix) * cin + ci])
                                * Double(weights[((ky * 3 + kx) * cin + ci) * cout + co])
                        }
                    }
                }
                out[(oy * ow + ox) * cout + co] = Float(acc)
            }
        }
    }
    return out
}
