import MobileNetKernelInterface

/// One pass of the forward pass: a layer on its own, or a depthwise layer
/// fused with the pointwise layer after it.
enum Pass {
    case single(layer: Int)
    case fused(FusedDepthwisePointwise)
}

/// How one input size runs: each layer's shapes (asked of the layer's kind),
/// the passes (fused or not), where each pass's output lives in the arena's
/// slab (BufferPlanner) and the per-thread scratch the passes need. Computed
/// once per (size, fused) and kept in the arena.
final class ExecutionPlan {
    let steps: [Step]
    let passes: [Pass]
    /// Per pass: its output's offset in the slab, in floats.
    let outputOffsets: [Int]
    let slabFloats: Int
    let scratchPerSlot: Int

    init(layers: [any Operator], height: Int, width: Int, fuse: Bool) {
        var steps: [Step] = []
        var layout = ActivationLayout(height: height, width: width, pixelStride: 3)
        for layer in layers {
            let g = layer.spec.geometry(inputHeight: layout.height, inputWidth: layout.width)
            let output = ActivationLayout(height: g.outputHeight, width: g.outputWidth,
                                          pixelStride: layer.outputPixelStride)
            steps.append(Step(geometry: g, input: layout, output: output))
            layout = output
        }
        self.steps = steps

        var passes: [Pass] = []
        var index = 0
        while index < layers.count {
            if fuse, index + 1 < layers.count, let dw = layers[index] as? any TiledDepthwise,
               let pw = layers[index + 1] as? any TiledPointwise,
               roundUpTo8(dw.spec.outputChannels) == pw.inputChannels,
               FusedDepthwisePointwise.worthFusing(pixels: steps[index].output.height * steps[index].output.width,
                                                   pointwise: pw) {
                let tile = steps[index].output
                passes.append(.fused(FusedDepthwisePointwise(
                    depthwise: dw, pointwise: pw, first: index,
                    tileRows: FusedDepthwisePointwise.tileRows(width: tile.width, height: tile.height,
                                                               rowBlock: pw.gemmRowBlock))))
                index += 2
            } else {
                passes.append(.single(layer: index))
                index += 1
            }
        }
        self.passes = passes

        // Pass p's output is written by pass p and read by pass p + 1 (the
        // last one, the logits, by the caller after the run).
        var tensors: [BufferPlanner.Tensor] = []
        var scratch = 0
        for (p, pass) in passes.enumerated() {
            let out: ActivationLayout
            switch pass {
            case let .single(layer):
                out = steps[layer].output
                scratch = max(scratch, layers[layer].scratchFloats(steps[layer]))
            case let .fused(pair):
                out = steps[pair.first + 1].output
                scratch = max(scratch, pair.scratchFloats(tile: steps[pair.first].output))
            }
            tensors.append(BufferPlanner.Tensor(floats: out.height * out.width * out.pixelStride, firstUse: p,
                                                lastUse: p + 1))
        }
        let (offsets, total) = BufferPlanner.plan(tensors)
        outputOffsets = offsets
        slabFloats = total
        scratchPerSlot = scratch
    }

    /// The index of the pass that computes layer `layer`.
    func pass(containing layer: Int) -> Int {
        passes.firstIndex { layers(of: $0).contains(layer) } ?? passes.count - 1
    }

    /// The layer indices a pass computes, in order.
    func layers(of pass: Pass) -> [Int] {
        switch pass {
        case let .single(layer): return [layer]
        case let .fused(pair): return [pair.first, pair.first + 1]
        }
    }
}
