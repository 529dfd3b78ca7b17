import XCTest
@testable import MobileNet
import MobileNetKernels

final class CPUSupportTests: XCTestCase {
    let allBits = CPUSupport.Features(leaf1ECX: 1 << 12 | 1 << 27 | 1 << 28, leaf7EBX: 1 << 5)

    func testRefusesACPUWithoutAVX2OrFMAWhenTheKernelsNeedThem() {
        let missing = [CPUSupport.Features(leaf1ECX: allBits.leaf1ECX, leaf7EBX: 0),           // no AVX2
                       CPUSupport.Features(leaf1ECX: 1 << 27 | 1 << 28, leaf7EBX: 1 << 5),      // no FMA
                       CPUSupport.Features(leaf1ECX: 1 << 12 | 1 << 28, leaf7EBX: 1 << 5)]      // no OSXSAVE
        for features in missing {
            XCTAssertFalse(features.hasAVX2AndFMA)
            XCTAssertThrowsError(try CPUSupport.check(needsAVX2AndFMA: true, features: features)) {
                XCTAssertEqual(($0 as? MobileNetError)?.kind, .unsupported)
                XCTAssertTrue(($0 as? MobileNetError)?.message.contains("MOBILENET_PORTABLE=1") ?? false)
            }
            XCTAssertNoThrow(try CPUSupport.check(needsAVX2AndFMA: false, features: features))
        }
        XCTAssertNoThrow(try CPUSupport.check(needsAVX2AndFMA: true, features: allBits))
    }

    func testThisMachinePasses() throws {
        try CPUSupport.check()
        #if arch(x86_64)
        if KernelTarget.needsAVX2AndFMA { XCTAssertTrue(CPUSupport.current().hasAVX2AndFMA) }
        #endif
    }
}
