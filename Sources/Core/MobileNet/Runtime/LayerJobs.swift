import MobileNetKernels

// Each layer's work as a ThreadPool job: plain values (stage weights, layouts,
// buffer pointers) plus how its output is split into parts. A part always
// covers the same outputs whichever thread runs it, so the bits never depend
// on the thread count.

/// Part `part` of `parts` of 0..<count, in whole multiples of `granule`
/// (the last part takes the remainder).
@inline(__always)
func partition(_ count: Int, part: Int, parts: Int, granule: Int = 1) -> Range<Int> {
    let blocks = (count + granule - 1) / granule
    let lower = min(blocks * part / parts * granule, count)
    let upper = min(blocks * (part + 1) / parts * granule, count)
    return lower..<upper
}

/// The first layer on RGB input, split by output rows.
struct DirectConvJob: PartRunner {
    let conv: ConvStage
    let step: Arena.Step
    let input: UnsafePointer<Float>
    let output: UnsafeMutablePointer<Float>
    let parts: Int

    func run(part: Int, slot: Int) {
        DirectConv3x3.run(inputChannels: conv.inputChannels, outputChannels: conv.outputChannels,
                          input: input, inputLayout: step.input, weights: conv.weights.pointer,
                          bias: conv.bias.pointer, output: output, outputLayout: step.output,
                          stride: conv.spec.stride, padTop: step.padTop, padLeft: step.padLeft,
                          rows: partition(step.output.height, part: part, parts: parts))
    }
}

/// A full 3x3 convolution as im2col rows times packed weights, split by
/// output rows; each thread gathers into its own scratch row.
struct Im2colConvJob: PartRunner {
    let conv: ConvStage
    let step: Arena.Step
    let input: UnsafePointer<Float>
    let output: UnsafeMutablePointer<Float>
    let scratch: UnsafeMutablePointer<Float>
    let scratchPerSlot: Int
    let parts: Int

    func run(part: Int, slot: Int) {
        let k = 9 * conv.inputChannels
        let row = scratch + slot * scratchPerSlot
        for oy in partition(step.output.height, part: part, parts: parts) {
            Im2col3x3.row(input: input, layout: step.input, channels: conv.inputChannels, oy: oy,
                          outputWidth: step.output.width, stride: conv.spec.stride,
                          padTop: step.padTop, padLeft: step.padLeft, into: row)
            PointwiseGEMM.run(m: step.output.width, k: k, n: conv.outputChannels, a: row, lda: k,
                              packedB: conv.weights.pointer, bias: conv.bias.pointer,
                              c: output + oy * step.output.width * step.output.pixelStride,
                              ldc: step.output.pixelStride, activation: .relu6)
        }
    }
}

/// A depthwise 3x3 layer, split by output rows.
struct DepthwiseJob: PartRunner {
    let stage: DepthwiseStage
    let step: Arena.Step
    let input: UnsafePointer<Float>
    let output: UnsafeMutablePointer<Float>
    let parts: Int

    func run(part: Int, slot: Int) {
        Depthwise3x3.run(stride: stage.spec.stride, channels: stage.channels, input: input,
                         inputLayout: step.input, weights: stage.weights.pointer, bias: stage.bias.pointer,
                         output: output, outputLayout: step.output, padTop: step.padTop, padLeft: step.padLeft,
                         rows: partition(step.output.height, part: part, parts: parts))
    }
}

/// C = act(A B + bias), split by rows of A (pixels) in whole 6-row blocks,
/// or by 16-column panels of the packed B: for few rows and many columns
/// (7x7x1024, the logits), where the weights dominate the traffic and each
/// thread streams its own share of them.
struct GEMMJob: PartRunner {
    enum Split { case rows, panels }
    let m: Int, k: Int, n: Int
    let a: UnsafePointer<Float>
    let lda: Int
    let packedB: UnsafePointer<Float>
    let bias: UnsafePointer<Float>
    let c: UnsafeMutablePointer<Float>
    let ldc: Int
    let activation: Activation
    let split: Split
    let parts: Int

    func run(part: Int, slot: Int) {
        switch split {
        case .rows:
            let rows = partition(m, part: part, parts: parts, granule: PointwiseGEMM.rowBlock)
            guard !rows.isEmpty else { return }
            PointwiseGEMM.run(m: rows.count, k: k, n: n, a: a + rows.lowerBound * lda, lda: lda,
                              packedB: packedB, bias: bias, c: c + rows.lowerBound * ldc, ldc: ldc,
                              activation: activation)
        case .panels:
            let panels = partition(PointwiseGEMM.panelCount(n: n), part: part, parts: parts)
            guard !panels.isEmpty else { return }
            PointwiseGEMM.run(m: m, k: k, n: n, a: a, lda: lda, packedB: packedB, bias: bias, c: c, ldc: ldc,
                              activation: activation, panels: panels)
        }
    }
}

/// A depthwise stage and the pointwise stage after it (a fused Pass), one
/// tile of depthwise output rows per part: into the thread's scratch, then
/// times the pointwise weights straight into the output. Tiles start on
/// multiples of the GEMM's row block, and every pixel takes the same kernel
/// path as unfused, so the bits are the same.
struct FusedJob: PartRunner {
    let depthwise: DepthwiseStage
    let pointwise: PointwiseStage
    let depthwiseStep: Arena.Step
    let pointwiseStep: Arena.Step
    let tileRows: Int
    let input: UnsafePointer<Float>
    let output: UnsafeMutablePointer<Float>
    let scratch: UnsafeMutablePointer<Float>
    let scratchPerSlot: Int

    var parts: Int { (depthwiseStep.output.height + tileRows - 1) / tileRows }

    func run(part: Int, slot: Int) {
        let tile = depthwiseStep.output
        let rows = (part * tileRows)..<min((part + 1) * tileRows, tile.height)
        let buffer = scratch + slot * scratchPerSlot
        Depthwise3x3.run(stride: depthwise.spec.stride, channels: depthwise.channels, input: input,
                         inputLayout: depthwiseStep.input, weights: depthwise.weights.pointer,
                         bias: depthwise.bias.pointer, output: buffer, outputLayout: tile,
                         padTop: depthwiseStep.padTop, padLeft: depthwiseStep.padLeft, rows: rows,
                         firstOutputRow: rows.lowerBound)
        PointwiseGEMM.run(m: rows.count * tile.width, k: pointwise.inputChannels, n: pointwise.outputChannels,
                          a: buffer, lda: tile.pixelStride, packedB: pointwise.weights.pointer,
                          bias: pointwise.bias.pointer,
                          c: output + rows.lowerBound * tile.width * pointwiseStep.output.pixelStride,
                          ldc: pointwiseStep.output.pixelStride, activation: .relu6)
    }
}
