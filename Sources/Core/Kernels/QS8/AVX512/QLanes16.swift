// 16 channels of the depthwise kernel in one zmm: vpmovsxwd of 16 Int16
// inputs, vpmulld by the Int32 weights, and requantizeZmm, so the output
// stage runs once per 16 outputs instead of twice.
import _Builtin_intrinsics.intel
import MobileNetKernelInterface

enum QLanes16: QDepthwiseLanes {
    static var width: Int { 16 }
    static var zero: __m512i { _mm512_setzero_si512() }
    @inline(__always) static func stage(_ r: Requantization, channel: Int) -> ZmmStage {
        ZmmStage(r, channel: channel)
    }
    @inline(__always)
    static func multiplyAdd(_ acc: inout __m512i, _ p: UnsafePointer<Int16>, _ w: UnsafePointer<Int32>) {
        let x = _mm512_cvtepi16_epi32(UnsafeRawPointer(p).loadUnaligned(as: __m256i.self))
        acc = _mm512_add_epi32(acc, _mm512_mullo_epi32(x, loadZmm(w)))
    }
    @inline(__always)
    static func store(_ acc: __m512i, _ stage: ZmmStage, _ out: UnsafeMutablePointer<Int16>) {
        store16(requantizeZmm(acc, stage), out)
    }
}
