import MobileNetKernelInterface

/// What compiling one layer needs: the parameters, the tier's kernels (their
/// packed layouts), BatchNorm's epsilon, and the pixel stride of the
/// layer's input (the previous operator's output layout).
struct CompileContext {
    let parameters: ParameterReader
    let kernels: any F32Kernels
    let epsilon: Double
    let inputPixelStride: Int

    /// A [.., Cin, Cout] weight tensor (rows x columns), each column scaled
    /// by `scale` (BatchNorm folded; nil: as is), packed for the GEMM as
    /// inPad x outPad, streamed row by row. `packedRow` maps a tensor row to
    /// its packed row (im2col's padded channels).
    func packedMatrix(_ name: String, rows: Int, columns: Int, inPad: Int, outPad: Int, scale: [Double]?,
                      layer: LayerSpec, packedRow: (Int) -> Int = { $0 }) throws -> AlignedBuffer {
        let packed = try AlignedBuffer(count: kernels.gemmPackedCount(k: inPad, n: outPad))
        let row = try AlignedBuffer(count: outPad)
        try parameters.forEachRow(name, rows: rows, columns: columns) { index, values in
            for c in 0..<columns {
                guard let scale else { row.pointer[c] = values[c]; continue }
                row.pointer[c] = try BatchNormFolding.scaled(values[c], by: scale[c], layer: layer)
            }
            kernels.gemmPackRow(row.pointer, row: packedRow(index), k: inPad, n: outPad, into: packed.pointer)
        }
        return packed
    }
}
