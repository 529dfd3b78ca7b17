// The F32TrainingKernels conformance of a tier built from this folder's
// SIMD8 kernels (symlinked into F32/AVX2 and F32/AVX512 like the rest).
import MobileNetKernelInterface

extension F32TierKernels: F32TrainingKernels {
    public func denseGEMMPackedCount(k: Int, n: Int) -> Int { DenseGEMM.packedCount(k: k, n: n) }

    public func denseGEMMPackB(_ b: UnsafePointer<Float>, rowStride: Int, columnStride: Int, k: Int, n: Int,
                               into packed: UnsafeMutablePointer<Float>) {
        DenseGEMM.packB(b, rowStride: rowStride, columnStride: columnStride, k: k, n: n, into: packed)
    }

    public func denseGEMM(m: Int, k: Int, n: Int, a: UnsafePointer<Float>, lda: Int, packedB: UnsafePointer<Float>,
                          c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        DenseGEMM.run(m: m, k: k, n: n, a: a, lda: lda, packedB: packedB, c: c, ldc: ldc, accumulate: accumulate)
    }

    public func transpose(rows: Int, columns: Int, _ src: UnsafePointer<Float>, lds: Int,
                          _ dst: UnsafeMutablePointer<Float>, ldd: Int) {
        DenseGEMM.transpose(rows: rows, columns: columns, src, lds: lds, dst, ldd: ldd)
    }

    public func depthwiseForward(input: UnsafePointer<Float>, inputHeight: Int, inputWidth: Int, channels: Int,
                                 weights: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, outputWidth: Int,
                                 stride: Int, padTop: Int, padLeft: Int, rows: Range<Int>) {
        DepthwiseTraining.forward(input: input, inputHeight: inputHeight, inputWidth: inputWidth, channels: channels,
                                  weights: weights, output: output, outputWidth: outputWidth, stride: stride,
                                  padTop: padTop, padLeft: padLeft, rows: rows)
    }

    public func depthwiseBackwardInput(gradOutput: UnsafePointer<Float>, outputHeight: Int, outputWidth: Int,
                                       channels: Int, weights: UnsafePointer<Float>,
                                       gradInput: UnsafeMutablePointer<Float>, inputWidth: Int, stride: Int,
                                       padTop: Int, padLeft: Int, rows: Range<Int>) {
        DepthwiseTraining.backwardInput(gradOutput: gradOutput, outputHeight: outputHeight, outputWidth: outputWidth,
                                        channels: channels, weights: weights, gradInput: gradInput,
                                        inputWidth: inputWidth, stride: stride, padTop: padTop, padLeft: padLeft,
                                        rows: rows)
    }

    public func depthwiseBackwardWeights(input: UnsafePointer<Float>, inputHeight: Int, inputWidth: Int,
                                         channels: Int, gradOutput: UnsafePointer<Float>, outputWidth: Int,
                                         stride: Int, padTop: Int, padLeft: Int, rows: Range<Int>,
                                         partial: UnsafeMutablePointer<Float>) {
        DepthwiseTraining.backwardWeights(input: input, inputHeight: inputHeight, inputWidth: inputWidth,
                                          channels: channels, gradOutput: gradOutput, outputWidth: outputWidth,
                                          stride: stride, padTop: padTop, padLeft: padLeft, rows: rows,
                                          partial: partial)
    }

    public func channelSums(_ x: UnsafePointer<Float>, rows: Int, channels: Int, mean: UnsafePointer<Float>?,
                            into sums: UnsafeMutablePointer<Float>) {
        BatchNormTraining.sums(x, rows: rows, channels: channels, mean: mean, into: sums)
    }

    public func batchNormApply(_ z: UnsafePointer<Float>, rows: Int, channels: Int, scale: UnsafePointer<Float>,
                               shift: UnsafePointer<Float>, clamp: Clamp, output: UnsafeMutablePointer<Float>) {
        BatchNormTraining.apply(z, rows: rows, channels: channels, scale: scale, shift: shift, clamp: clamp,
                                output: output)
    }

    public func batchNormBackwardSums(_ z: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>, rows: Int,
                                      channels: Int, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>,
                                      clamp: Clamp, mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>,
                                      sumDy: UnsafeMutablePointer<Float>, sumDyXhat: UnsafeMutablePointer<Float>) {
        BatchNormTraining.backwardSums(z, grad: grad, rows: rows, channels: channels, scale: scale, shift: shift,
                                       clamp: clamp, mean: mean, invStd: invStd, sumDy: sumDy, sumDyXhat: sumDyXhat)
    }

    public func batchNormBackwardInput(_ z: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>, rows: Int,
                                       channels: Int, mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>,
                                       gammaInvStd: UnsafePointer<Float>, meanDy: UnsafePointer<Float>,
                                       meanDyXhat: UnsafePointer<Float>, batchStatistics: Bool) {
        BatchNormTraining.backwardInput(z, grad: grad, rows: rows, channels: channels, mean: mean, invStd: invStd,
                                        gammaInvStd: gammaInvStd, meanDy: meanDy, meanDyXhat: meanDyXhat,
                                        batchStatistics: batchStatistics)
    }
}
