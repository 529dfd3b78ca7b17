import MobileNetKernelInterface

/// C = clamp(A B + bias) as a pool job, split by rows of A (pixels) in whole
/// row blocks, or by column panels of the packed B: for few rows and many
/// columns (7x7x1024, the logits), where the weights dominate the traffic
/// and each thread streams its own share of them.
struct GEMMJob: PartRunner {
    enum Split { case rows, panels }
    let kernels: any F32Kernels
    let m: Int, k: Int, n: Int
    let a: UnsafePointer<Float>
    let lda: Int
    let packedB: UnsafePointer<Float>
    let bias: UnsafePointer<Float>
    let c: UnsafeMutablePointer<Float>
    let ldc: Int
    let clamp: Clamp
    let split: Split
    let parts: Int

    func run(part: Int, slot: Int) {
        switch split {
        case .rows:
            let rows = partition(m, part: part, parts: parts, granule: kernels.gemmRowBlock)
            guard !rows.isEmpty else { return }
            kernels.gemm(m: rows.count, k: k, n: n, a: a + rows.lowerBound * lda, lda: lda, packedB: packedB,
                         bias: bias, c: c + rows.lowerBound * ldc, ldc: ldc, clamp: clamp, panels: nil)
        case .panels:
            let panels = partition(kernels.gemmPanelCount(n: n), part: part, parts: parts)
            guard !panels.isEmpty else { return }
            kernels.gemm(m: m, k: k, n: n, a: a, lda: lda, packedB: packedB, bias: bias, c: c, ldc: ldc,
                         clamp: clamp, panels: panels)
        }
    }
}
