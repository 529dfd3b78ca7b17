#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import XCTest
@testable import MobileNet
import MobileNetKernelInterface

final class CPUSupportTests: XCTestCase {
    /// FMA, OSXSAVE, AVX; AVX2; AVX-512 F, DQ, BW, VL; VNNI; XCR0 with x87/SSE/AVX and opmask/zmm state.
    let avx512 = CPUSupport.Features(leaf1ECX: 1 << 12 | 1 << 27 | 1 << 28,
                                     leaf7EBX: 1 << 5 | 1 << 16 | 1 << 17 | 1 << 30 | 1 << 31,
                                     leaf7ECX: 1 << 11, xcr0: 0xE7)

    func testTiersFromFeatureBits() {
        XCTAssertEqual(avx512.bestTier, .avx512)
        var f = avx512
        f.xcr0 = 0x07  // the OS saves ymm but not zmm state: no AVX-512
        XCTAssertEqual(f.bestTier, .avx2)
        f = avx512
        f.leaf7ECX = 0  // no VNNI (Skylake-SP): the cascadelake build may use it
        XCTAssertEqual(f.bestTier, .avx2)
        f = avx512
        f.leaf7EBX &= ~(1 << 30)  // no BW
        XCTAssertEqual(f.bestTier, .avx2)
        f = avx512
        f.leaf7EBX = 0  // no AVX2 at all
        XCTAssertEqual(f.bestTier, .generic)
        f = avx512
        f.leaf1ECX &= ~(1 << 12)  // no FMA
        XCTAssertEqual(f.bestTier, .generic)
        f = avx512
        f.leaf1ECX &= ~(1 << 27)  // no OSXSAVE: XGETBV may not run, nothing beyond SSE2
        XCTAssertEqual(f.bestTier, .generic)
        f = avx512
        f.xcr0 = 0x03  // ymm state not saved
        XCTAssertEqual(f.bestTier, .generic)
        XCTAssertEqual(CPUSupport.Features().bestTier, .generic)
    }

    /// Every supported tier loads when asked for; with MOBILENET_MAX_ISA set
    /// (a capped run of the suite) none beyond the cap does.
    func testThisMachineRunsItsBestTier() throws {
        let supported = KernelSelection.supportedTiers
        XCTAssertEqual(supported.first, .generic)
        XCTAssertEqual(supported.last, CPUSupport.current().bestTier)
        let ceiling = try KernelSelection.tierForLoad()
        if getenv(KernelSelection.environmentVariable) == nil { XCTAssertEqual(ceiling, supported.last) }
        for tier in supported {
            let model = try Model.from(TestModelFile(alpha: 0.25, classes: 4).bytes(),
                                       options: LoadOptions(numThreads: 1, maxTier: tier))
            XCTAssertEqual(model.kernelTier, min(tier, ceiling))
        }
    }

    func testTierNamesRoundTrip() {
        for tier in ISATier.allCases { XCTAssertEqual(ISATier(name: tier.name), tier) }
        XCTAssertNil(ISATier(name: "AVX2"))
        XCTAssertNil(ISATier(name: "sse4"))
        XCTAssertNil(ISATier(name: ""))
    }
}
