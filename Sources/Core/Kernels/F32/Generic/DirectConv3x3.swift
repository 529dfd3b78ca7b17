// A full 3x3 convolution + bias + clamp (ReLU6) for inputs with few channels (the
// first layer's RGB), broadcasting each pixel's 9 x C inputs against dense
// weights ((tap * C + c) x outputChannels). A pixel's inputs are three runs of
// 3 x C contiguous floats (one per kernel row), so interior pixels read them
// in place; only pixels whose window crosses the padding gather theirs into a
// small zero-filled buffer of the same shape. Two pixels per pass give eight
// independent FMA chains, so the 27-long sums are not bound by FMA latency.
// Accumulation order is the GEMM's: tap-major, then channel, for every pixel.

import MobileNetKernelInterface

public enum DirectConv3x3 {
    public static let maxInputChannels = 4

    public static func run(inputChannels cin: Int, outputChannels: Int,
                           input: UnsafePointer<Float>, inputLayout: ActivationLayout,
                           weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                           output: UnsafeMutablePointer<Float>, outputLayout: ActivationLayout,
                           stride: Int, padTop: Int, padLeft: Int, rows: Range<Int>, clamp: Clamp) {
        let run = 3 * cin
        let outW = outputLayout.width, outPS = outputLayout.pixelStride
        let inW = inputLayout.width, inH = inputLayout.height, inPS = inputLayout.pixelStride
        let rowFloats = inW * inPS
        // Output columns whose whole window lies inside the image.
        var interiorStart = 0
        while interiorStart < outW && interiorStart * stride - padLeft < 0 { interiorStart += 1 }
        var interiorEnd = interiorStart
        while interiorEnd < outW && interiorEnd * stride - padLeft + 2 < inW { interiorEnd += 1 }
        // Four pixels at a time where the tier has 16-lane vectors (AVX-512):
        // 2 weight loads and 4 broadcasts per 8 FMAs instead of 4 and 2 per 8.
        let quads = ThisTier.DepthwiseVector.lanes == 16 && outputChannels % 32 == 0
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * 9 * maxInputChannels) { gathered in
            let g0 = gathered.baseAddress!, g1 = g0 + 9 * maxInputChannels
            let g2 = g1 + 9 * maxInputChannels, g3 = g2 + 9 * maxInputChannels
            // The three kernel rows of pixel (oy, ox): in place, or gathered into `g`.
            func window(_ oy: Int, _ ox: Int, _ g: UnsafeMutablePointer<Float>) -> Window {
                let iy = oy * stride - padTop, ix = ox * stride - padLeft
                if iy >= 0 && iy + 2 < inH && ox >= interiorStart && ox < interiorEnd && inPS == cin {
                    let r0 = input + iy * rowFloats + ix * inPS
                    return Window(r0, r0 + rowFloats, r0 + 2 * rowFloats)
                }
                gather(oy: oy, ox: ox, cin: cin, input: input, layout: inputLayout, stride: stride,
                       padTop: padTop, padLeft: padLeft, into: g)
                return Window(g, g + run, g + 2 * run)
            }
            for oy in rows {
                var ox = 0
                while ox < outW {
                    let out0 = output + (oy * outW + ox) * outPS
                    let w0 = window(oy, ox, g0)
                    if quads && ox + 3 < outW {
                        fourPixels(run: run, w0, window(oy, ox + 1, g1), window(oy, ox + 2, g2),
                                   window(oy, ox + 3, g3), weights: weights, bias: bias, n: outputChannels,
                                   out: out0, outPS: outPS, clamp: clamp)
                        ox += 4
                    } else if ox + 1 < outW {
                        twoPixels(run: run, w0, window(oy, ox + 1, g1), weights: weights, bias: bias,
                                  n: outputChannels, out0: out0, out1: out0 + outPS, clamp: clamp)
                        ox += 2
                    } else {
                        onePixel(run: run, w0, weights: weights, bias: bias, n: outputChannels, out: out0, clamp: clamp)
                        ox += 1
                    }
                }
            }
        }
    }

    /// A pixel's inputs: kernel rows 0, 1 and 2, each 3 x C contiguous floats.
    struct Window {
        let rows: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>)
        init(_ r0: UnsafePointer<Float>, _ r1: UnsafePointer<Float>, _ r2: UnsafePointer<Float>) { rows = (r0, r1, r2) }
        init(_ r0: UnsafeMutablePointer<Float>, _ r1: UnsafeMutablePointer<Float>, _ r2: UnsafeMutablePointer<Float>) {
            rows = (UnsafePointer(r0), UnsafePointer(r1), UnsafePointer(r2))
        }
    }

    @inline(__always)
    static func gather(oy: Int, ox: Int, cin: Int, input: UnsafePointer<Float>, layout: ActivationLayout,
                       stride: Int, padTop: Int, padLeft: Int, into g: UnsafeMutablePointer<Float>) {
        var j = 0
        for ky in 0..<3 {
            let iy = oy * stride - padTop + ky
            for kx in 0..<3 {
                let ix = ox * stride - padLeft + kx
                let inside = iy >= 0 && iy < layout.height && ix >= 0 && ix < layout.width
                let src = input + (inside ? (iy * layout.width + ix) * layout.pixelStride : 0)
                if cin == 3 {
                    // RGB, spelled out: a loop here gets vectorized into masked moves that cost more.
                    g[j] = inside ? src[0] : 0
                    g[j + 1] = inside ? src[1] : 0
                    g[j + 2] = inside ? src[2] : 0
                } else {
                    for c in 0..<cin { g[j + c] = inside ? src[c] : 0 }
                }
                j += cin
            }
        }
    }

    @inline(__always)
    static func twoPixels(run: Int, _ p: Window, _ q: Window, weights: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>, n: Int, out0: UnsafeMutablePointer<Float>,
                          out1: UnsafeMutablePointer<Float>, clamp: Clamp) {
        var co = 0
        while co + 32 <= n {
            var a0 = Vec8(), a1 = Vec8(), a2 = Vec8(), a3 = Vec8()
            var b0 = Vec8(), b1 = Vec8(), b2 = Vec8(), b3 = Vec8()
            var w = weights + co
            @inline(__always) func kernelRow(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) {
                for t in 0..<run {
                    let w0 = load8(w), w1 = load8(w + 8), w2 = load8(w + 16), w3 = load8(w + 24)
                    let xv = Vec8(repeating: x[t]), yv = Vec8(repeating: y[t])
                    a0.fmadd(xv, w0); a1.fmadd(xv, w1); a2.fmadd(xv, w2); a3.fmadd(xv, w3)
                    b0.fmadd(yv, w0); b1.fmadd(yv, w1); b2.fmadd(yv, w2); b3.fmadd(yv, w3)
                    w += n
                }
            }
            kernelRow(p.rows.0, q.rows.0); kernelRow(p.rows.1, q.rows.1); kernelRow(p.rows.2, q.rows.2)
            let c0 = load8(bias + co), c1 = load8(bias + co + 8), c2 = load8(bias + co + 16), c3 = load8(bias + co + 24)
            store8(clamped(a0 + c0, clamp), out0 + co); store8(clamped(a1 + c1, clamp), out0 + co + 8)
            store8(clamped(a2 + c2, clamp), out0 + co + 16); store8(clamped(a3 + c3, clamp), out0 + co + 24)
            store8(clamped(b0 + c0, clamp), out1 + co); store8(clamped(b1 + c1, clamp), out1 + co + 8)
            store8(clamped(b2 + c2, clamp), out1 + co + 16); store8(clamped(b3 + c3, clamp), out1 + co + 24)
            co += 32
        }
        while co < n {
            var a0 = Vec8(), b0 = Vec8()
            var w = weights + co
            @inline(__always) func kernelRow(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) {
                for t in 0..<run {
                    let w0 = load8(w)
                    a0.fmadd(Vec8(repeating: x[t]), w0)
                    b0.fmadd(Vec8(repeating: y[t]), w0)
                    w += n
                }
            }
            kernelRow(p.rows.0, q.rows.0); kernelRow(p.rows.1, q.rows.1); kernelRow(p.rows.2, q.rows.2)
            store8(clamped(a0 + load8(bias + co), clamp), out0 + co)
            store8(clamped(b0 + load8(bias + co), clamp), out1 + co)
            co += 8
        }
    }

    /// Four pixels, 32 channels per pass in 16-lane vectors (eight chains).
    @inline(__always)
    static func fourPixels(run: Int, _ p: Window, _ q: Window, _ r: Window, _ u: Window,
                           weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, n: Int,
                           out: UnsafeMutablePointer<Float>, outPS: Int, clamp: Clamp) {
        typealias V = SIMD16<Float>
        var co = 0
        while co + 32 <= n {
            var a0 = V.zero, a1 = V.zero, b0 = V.zero, b1 = V.zero
            var c0 = V.zero, c1 = V.zero, d0 = V.zero, d1 = V.zero
            var w = weights + co
            @inline(__always) func kernelRow(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
                                             _ z: UnsafePointer<Float>, _ v: UnsafePointer<Float>) {
                for t in 0..<run {
                    let w0 = V.load(w), w1 = V.load(w + 16)
                    let xv = V(repeating: x[t]), yv = V(repeating: y[t])
                    let zv = V(repeating: z[t]), vv = V(repeating: v[t])
                    a0.fmadd(xv, w0); a1.fmadd(xv, w1); b0.fmadd(yv, w0); b1.fmadd(yv, w1)
                    c0.fmadd(zv, w0); c1.fmadd(zv, w1); d0.fmadd(vv, w0); d1.fmadd(vv, w1)
                    w += n
                }
            }
            kernelRow(p.rows.0, q.rows.0, r.rows.0, u.rows.0)
            kernelRow(p.rows.1, q.rows.1, r.rows.1, u.rows.1)
            kernelRow(p.rows.2, q.rows.2, r.rows.2, u.rows.2)
            let e0 = V.load(bias + co), e1 = V.load(bias + co + 16)
            let o = out + co
            a0.plus(e0).clamped(clamp).store(o); a1.plus(e1).clamped(clamp).store(o + 16)
            b0.plus(e0).clamped(clamp).store(o + outPS); b1.plus(e1).clamped(clamp).store(o + outPS + 16)
            c0.plus(e0).clamped(clamp).store(o + 2 * outPS); c1.plus(e1).clamped(clamp).store(o + 2 * outPS + 16)
            d0.plus(e0).clamped(clamp).store(o + 3 * outPS); d1.plus(e1).clamped(clamp).store(o + 3 * outPS + 16)
            co += 32
        }
    }

    @inline(__always)
    static func onePixel(run: Int, _ p: Window, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                         n: Int, out: UnsafeMutablePointer<Float>, clamp: Clamp) {
        var co = 0
        while co < n {
            var a0 = Vec8()
            var w = weights + co
            @inline(__always) func kernelRow(_ x: UnsafePointer<Float>) {
                for t in 0..<run {
                    a0.fmadd(Vec8(repeating: x[t]), load8(w))
                    w += n
                }
            }
            kernelRow(p.rows.0); kernelRow(p.rows.1); kernelRow(p.rows.2)
            store8(clamped(a0 + load8(bias + co), clamp), out + co)
            co += 8
        }
    }
}
