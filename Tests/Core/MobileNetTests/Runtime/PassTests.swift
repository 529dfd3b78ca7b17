import XCTest
@testable import MobileNet
import MobileNetKernels

final class PassTests: XCTestCase {
    func testTilesHoldWholeGEMMRowBlocks() {
        for width in 1...120 {
            for height in [1, 2, 5, 7, 14, 112] {
                let rows = Pass.tileRows(width: width, height: height)
                XCTAssertTrue((1...height).contains(rows), "\(width)x\(height)")
                if rows < height {
                    // Every tile but the last starts on a 6-row block of the GEMM.
                    XCTAssertEqual(rows * width % PointwiseGEMM.rowBlock, 0, "\(width)x\(height)")
                    XCTAssertGreaterThanOrEqual(rows * width, 36, "\(width)x\(height)")
                }
            }
        }
    }

    func testOnlyTheEarlyBlocksOfTheBundledShapeFuse() throws {
        // α = 1.0 at 224: blocks 1-5 (weights up to 256 x 256) fuse; from the
        // 14x14 blocks on, the weights outweigh the activations.
        let model = try Model.from(TestModelFile(alpha: 1.0, classes: 10).bytes())
        let arena = try model.network.makeArena(height: 224, width: 224)
        let fused = arena.passes(fused: true).compactMap { pass -> String? in
            if case let .fused(pair) = pass { return pair.depthwise.spec.name + "+" + pair.pointwise.spec.name }
            return nil
        }
        XCTAssertEqual(fused, (1...5).map { "Conv2d_\($0)_depthwise+Conv2d_\($0)_pointwise" })
        XCTAssertEqual(arena.passes(fused: false).count, model.network.stages.count)
    }

    func testFusedAndSingleStagePassesGiveTheSameBits() throws {
        // Sizes whose widths give tiles of 1 to several rows and a short last tile.
        let bytes = TestModelFile(alpha: 0.5, classes: 16, seed: 5).bytes()
        for threads in [1, 2, 3] {
            let model = try Model.from(bytes, options: LoadOptions(numThreads: threads))
            for (h, w) in [(224, 224), (61, 47), (35, 96), (9, 13)] {
                var state: UInt64 = UInt64(h * w)
                let x: [Float] = (0..<(h * w * 3)).map { _ in
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    return Float(Double(state >> 40) / Double(1 << 24)) * 2 - 1
                }
                let arena = try model.network.makeArena(height: h, width: w)
                var fused = [Float](repeating: .nan, count: 16), single = fused
                model.network.forward(x, arena: arena, output: &fused, fused: true)
                model.network.forward(x, arena: arena, output: &single, fused: false)
                XCTAssertEqual(fused, single, "\(h)x\(w), \(threads) threads")
                XCTAssertTrue(fused.allSatisfy { $0.isFinite })
            }
        }
    }
}
