import XCTest
@testable import MobileNet

/// The bundled model against TensorFlow running the original frozen graph on
/// the same input tensors (tests/fixtures): max |logit difference| <= 1e-4 and
/// the same top-5, at 224 and two other resolutions, on every kernel tier
/// this machine runs; and our preprocessing against TensorFlow's.
final class TensorFlowReferenceTests: XCTestCase {
    static let model: Model? = try? Model(path: Fixtures.bundledModel)
    /// The bundled model on each tier this machine runs.
    static let tierModels: [Model] = KernelSelection.supportedTiers.compactMap {
        try? Model(path: Fixtures.bundledModel, options: LoadOptions(maxTier: $0))
    }

    /// The largest |a - b|, infinity for a NaN (which max() could skip).
    func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { worst, pair in
            let d = abs(pair.0 - pair.1)
            return d.isNaN ? .infinity : max(worst, d)
        }
    }

    func top5(_ values: [Float]) -> [Int] {
        Array(values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }.prefix(5))
    }

    func testLogitsMatchTensorFlow() throws {
        XCTAssertEqual(Self.tierModels.count, KernelSelection.supportedTiers.count, "bundled model missing")
        for model in Self.tierModels {
          for path in Fixtures.referenceFiles() {
            let fixture = try Fixtures.File(path: path)
            for key in ["224", "192", "160", "224_crop1"] {
                let shape = fixture.shape("input_\(key)")
                let input = try fixture.floats("input_\(key)")
                let expected = try fixture.floats("logits_\(key)")
                var logits = [Float](repeating: 0, count: 1001)
                try model.run(input: input, batch: 1, height: shape[1], width: shape[2], logits: &logits, capacity: 1001)
                let diff = maxDifference(logits, expected)
                XCTAssertLessThanOrEqual(diff, 1e-4, "\(model.kernelTier.name): \(path) input_\(key)")
                XCTAssertEqual(top5(logits), top5(expected), "\(model.kernelTier.name): \(path) input_\(key)")
            }
          }
        }
    }

    func testPreprocessingMatchesTensorFlow() throws {
        let model = try XCTUnwrap(Self.model, "bundled model missing")
        for path in Fixtures.referenceFiles() {
            let fixture = try Fixtures.File(path: path)
            let rgbShape = fixture.shape("rgb8")
            let rgb = try fixture.bytes("rgb8")
            for size in [224, 192, 160] {
                let expected = try fixture.floats("input_\(size)")
                var ours = [Float](repeating: 0, count: size * size * 3)
                try model.preprocess(rgb: rgb, width: rgbShape[1], height: rgbShape[0], rowStride: rgbShape[1] * 3,
                                     into: &ours, size: size)
                let diff = maxDifference(ours, expected)
                XCTAssertLessThanOrEqual(diff, 1e-5, "\(path) at \(size)")
            }
        }
    }

    func testClassifyAgreesWithTensorFlowsTop5() throws {
        XCTAssertFalse(Self.tierModels.isEmpty, "bundled model missing")
        for model in Self.tierModels {
          for path in Fixtures.referenceFiles() {
            let fixture = try Fixtures.File(path: path)
            let rgbShape = fixture.shape("rgb8")
            let rgb = try fixture.bytes("rgb8")
            let expected = try fixture.floats("logits_224")
            var indices: [Int] = []
            try model.classify(rgb: rgb, width: rgbShape[1], height: rgbShape[0], rowStride: rgbShape[1] * 3, topK: 5) {
                _, index, _ in indices.append(index)
            }
            XCTAssertEqual(indices, top5(expected), "\(model.kernelTier.name): \(path)")
          }
        }
    }

    func testBundledLabelsKeepBackgroundAtIndexZero() throws {
        let model = try XCTUnwrap(Self.model, "bundled model missing")
        XCTAssertEqual(model.numClasses, 1001)
        XCTAssertEqual(model.labels?.first, "background")
        XCTAssertTrue(model.labels![1].hasPrefix("tench"))
        XCTAssertTrue(model.labels![282].contains("tabby"), model.labels![282])
    }
}
