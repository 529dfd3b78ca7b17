import XCTest
import MobileNetKernelInterface

final class QS8ChannelSumsTests: XCTestCase {
    func testMatchesReference() {
        for kernels in testedQS8Kernels {
            for (pixels, channels, ps) in [(49, 1024, 1032), (1, 8, 8), (196, 512, 512), (3, 24, 40)] {
                var random = QRandom(state: UInt64(pixels + channels))
                let input = random.int16s(pixels * ps, -255...255)
                var got = [Int32](repeating: 0x7A7A, count: channels + 8)
                kernels.qchannelSums(input: input, pixels: pixels, pixelStride: ps, channels: channels, output: &got)
                var want = (0..<channels).map { ch in (0..<pixels).reduce(Int32(0)) { $0 + Int32(input[$1 * ps + ch]) } }
                want += [Int32](repeating: 0x7A7A, count: 8)
                XCTAssertEqual(got, want, "\(kernels.tier.name) \(pixels) pixels x \(channels)")
            }
        }
    }
}
