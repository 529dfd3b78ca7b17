import XCTest
@testable import MobileNet

/// The paper's accounting (Howard et al., 2017, Tables 1, 2, 4-7).
final class ArchitectureTests: XCTestCase {
    func info(_ variant: Variant = .separable, _ alpha: Double = 1, _ resolution: Int = 224) throws -> NetworkInfo {
        try NetworkInfo(architecture: Architecture(variant: variant, widthMultiplier: alpha, numClasses: 1000),
                        height: resolution, width: resolution)
    }

    func millions(_ n: Int) -> Double { (Double(n) / 1e6 * 10).rounded() / 10 }

    func testBaselineMatchesTable1And2() throws {
        let net = try info()
        XCTAssertEqual(net.multAdds / 1_000_000, 568)  // 568.7M: the paper's 569M
        XCTAssertEqual(millions(net.parameters), 4.2)
        XCTAssertEqual(net.layers.count, 1 + 26 + 2)
        XCTAssertEqual(net.layers.last!.outputHeight, 1)
        let beforePool = net.layers[net.layers.count - 3]
        XCTAssertEqual([beforePool.outputHeight, beforePool.outputWidth, beforePool.spec.outputChannels], [7, 7, 1024])
        let pointwise = net.layers.filter { $0.spec.type == .pointwise1x1 }
        let share = Double(pointwise.reduce(0) { $0 + $1.multAdds }) / Double(net.multAdds)
        XCTAssertEqual(share * 100, 94.86, accuracy: 0.005)
        let params = Double(pointwise.reduce(0) { $0 + $1.parameters }) / Double(net.parameters)
        XCTAssertEqual(params * 100, 74.59, accuracy: 0.005)
        // Table 2 prints Conv 3x3 at 1.19%; the first layer's 10.8M multiply-adds are 1.91%.
        let first = net.layers.filter { $0.spec.type == .conv3x3 }
        XCTAssertEqual(Double(first.reduce(0) { $0 + $1.multAdds }) / Double(net.multAdds) * 100, 1.91, accuracy: 0.005)
        let depthwise = net.layers.filter { $0.spec.type == .depthwise3x3 }
        XCTAssertEqual(Double(depthwise.reduce(0) { $0 + $1.multAdds }) / Double(net.multAdds) * 100, 3.06, accuracy: 0.005)
        XCTAssertEqual(Double(net.layers.last!.parameters) / Double(net.parameters) * 100, 24.33, accuracy: 0.005)
        // Table 1 prints the last-but-one depthwise layer with stride 2; 7x7 in and out needs stride 1.
        let dw13 = net.layers.first { $0.spec.name == "Conv2d_13_depthwise" }!
        XCTAssertEqual(dw13.spec.stride, 1)
        XCTAssertEqual([dw13.inputHeight, dw13.outputHeight], [7, 7])
    }

    func testWidthMultipliersMatchTable6() throws {
        for (alpha, macs, params) in [(0.75, 325.0, 2.6), (0.5, 149.0, 1.3), (0.25, 41.0, 0.5)] {
            let net = try info(.separable, alpha)
            // The paper rounds some totals and truncates others (149.5M -> 149M, 290.7M -> 290M).
            XCTAssertEqual(Double(net.multAdds) / 1e6, macs, accuracy: 1, "alpha \(alpha)")
            XCTAssertEqual(millions(net.parameters), params, "alpha \(alpha)")
        }
    }

    func testResolutionsMatchTable7() throws {
        for (resolution, macs) in [(192, 418.0), (160, 290.0), (128, 186.0)] {
            let net = try info(.separable, 1, resolution)
            XCTAssertEqual(Double(net.multAdds) / 1e6, macs, accuracy: 1, "resolution \(resolution)")
            XCTAssertEqual(millions(net.parameters), 4.2)
        }
    }

    func testComparisonNetworksMatchTables4And5() throws {
        let full = try info(.fullConv)
        XCTAssertEqual(Double(full.multAdds) / 1e6, 4866, accuracy: 2)
        XCTAssertEqual(millions(full.parameters), 29.3)
        let shallow = try info(.shallow)
        XCTAssertEqual((Double(shallow.multAdds) / 1e6).rounded(), 307)
        XCTAssertEqual(millions(shallow.parameters), 2.9)
    }

    func testChannelCountsFollowTFSlim() throws {
        let arch = try Architecture(variant: .separable, widthMultiplier: 0.25, numClasses: 1001)
        XCTAssertEqual(arch.layers[0].outputChannels, 8)
        XCTAssertEqual(arch.layers.last!.inputChannels, 256)
        let odd = try Architecture(variant: .separable, widthMultiplier: 0.35, numClasses: 5)
        XCTAssertEqual(odd.layers[0].outputChannels, 11)  // int(32 * 0.35)
    }

    func testSamePaddingPutsTheOddPixelAfter() {
        XCTAssertEqual(SamePadding(input: 224, stride: 2).output, 112)
        XCTAssertEqual(SamePadding(input: 224, stride: 2).before, 0)
        XCTAssertEqual(SamePadding(input: 225, stride: 2).output, 113)
        XCTAssertEqual(SamePadding(input: 225, stride: 2).before, 1)
        XCTAssertEqual(SamePadding(input: 7, stride: 1).before, 1)
        XCTAssertEqual(SamePadding(input: 1, stride: 2).output, 1)
    }

    func testRejectsOutOfRangeConfigurations() {
        XCTAssertThrowsError(try Architecture(variant: .separable, widthMultiplier: 0, numClasses: 10))
        XCTAssertThrowsError(try Architecture(variant: .separable, widthMultiplier: .nan, numClasses: 10))
        XCTAssertThrowsError(try Architecture(variant: .separable, widthMultiplier: 5, numClasses: 10))
        XCTAssertThrowsError(try Architecture(variant: .separable, widthMultiplier: 1, numClasses: 0))
        XCTAssertThrowsError(try info(.separable, 1, 0))
        XCTAssertThrowsError(try info(.separable, 1, 5000))
    }
}
