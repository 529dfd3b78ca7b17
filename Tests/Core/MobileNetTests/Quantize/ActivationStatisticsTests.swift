import XCTest
@testable import MobileNet

/// The calibration ranges: min/max keeps the extremes (and 0), the
/// percentile cuts the tail of the non-zero values, MSE clips a rare outlier
/// but not a dense distribution, channel means, and TFLite's nudged affine
/// parameters.
final class ActivationStatisticsTests: XCTestCase {
    func statistics(_ values: [Float], channels: Int = 1) -> ActivationStatistics {
        var s = ActivationStatistics(histogramTop: 6)
        values.withUnsafeBufferPointer {
            s.add($0.baseAddress!, pixels: values.count / channels, channels: channels, pixelStride: channels)
        }
        return s
    }

    func testMinMaxKeepsTheExtremesAndZero() {
        let r = statistics([0.5, 2, 1]).range(.minMax, percentile: 100)
        XCTAssertEqual(r.lower, 0)
        XCTAssertEqual(r.upper, 2)
        let signed = statistics([-3, 5, 1]).range(.mse, percentile: 99)
        XCTAssertEqual(signed.lower, -3)  // negative values: extremes whatever the method
        XCTAssertEqual(signed.upper, 5)
    }

    func testPercentileCutsTheTail() {
        // 999 values near 1, one at 6: the 99th percentile is near 1.
        let values = (0..<999).map { _ in Float(1) } + [6]
        let r = statistics(values).range(.percentile, percentile: 99)
        XCTAssertLessThan(r.upper, 1.01)
        XCTAssertGreaterThanOrEqual(r.upper, 1)
        XCTAssertEqual(statistics(values).range(.percentile, percentile: 100).upper, 6, accuracy: 0.002)
    }

    func testMSEClipsARareOutlierButNotADenseRange() {
        // Error at top t: n (t/255)^2 / 12 + (6 - t)^2. n = 1e5: least near
        // t = 5.3; n = 1e6: near t = 2.6 (20.2, against 46 at t = 6).
        var few = (0..<100_000).map { Float($0 % 1000) / 1000 }  // uniform in [0, 1)
        few.append(6)
        XCTAssertEqual(statistics(few).range(.mse, percentile: 100).upper, 5.32, accuracy: 0.05)
        var many = (0..<1_000_000).map { Float($0 % 1000) / 1000 }
        many.append(6)
        XCTAssertEqual(statistics(many).range(.mse, percentile: 100).upper, 2.63, accuracy: 0.05)
        let dense = (0..<6000).map { Float($0) / 1000 }  // uniform in [0, 6)
        XCTAssertGreaterThan(statistics(dense).range(.mse, percentile: 100).upper, 5.9)
    }

    func testZerosDoNotChooseTheRange() {
        let values = [Float](repeating: 0, count: 10_000) + [2, 2, 2, 2]
        XCTAssertEqual(statistics(values).range(.percentile, percentile: 50).upper, 2, accuracy: 0.002)
        // All zeros still give a positive scale.
        let r = statistics([0, 0]).range(.minMax, percentile: 100)
        XCTAssertGreaterThan(r.upper - r.lower, 0)
    }

    func testChannelMeans() {
        let s = statistics([1, 10, 3, 20], channels: 2)
        XCTAssertEqual(s.channelMeans, [2, 15])
    }

    func testAffineFromARange() {
        let relu = QuantizedNetwork.Affine(int8Range: 0, 6)
        XCTAssertEqual(relu.zeroPoint, -128)
        XCTAssertEqual(relu.scale, 6 / 255, accuracy: 1e-9)
        let input = QuantizedNetwork.Affine(int8Range: -1, 1)
        XCTAssertEqual(input.zeroPoint, -1)  // -128 + 127.5, rounded away from zero as TF nudges
        let negative = QuantizedNetwork.Affine(int8Range: -4, 0)
        XCTAssertEqual(negative.zeroPoint, 127)
    }
}
