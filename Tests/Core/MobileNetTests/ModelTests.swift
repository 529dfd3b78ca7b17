import XCTest
@testable import MobileNet

final class ModelTests: XCTestCase {
    func input(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Double(state >> 40) / Double(1 << 24)) * 2 - 1
        }
    }

    /// At 224 x 224 the 14 x 14 layers (196 pixels, 256 channels) split by
    /// rows with 1-3 threads and by column panels with 5 (splitsByPanels).
    func testOutputBitsDoNotDependOnThreadCount() throws {
        let bytes = TestModelFile(alpha: 0.5, classes: 16).bytes()
        for (batch, height, width) in [(2, 45, 37), (1, 224, 224)] {
            let x = input(batch * height * width * 3, seed: 4)
            var results: [[Float]] = []
            for threads in [1, 2, 3, 5] {
                let model = try Model.from(bytes, options: LoadOptions(numThreads: threads))
                var logits = [Float](repeating: 0, count: 16 * batch)
                try model.run(input: x, batch: batch, height: height, width: width, logits: &logits,
                              capacity: 16 * batch)
                results.append(logits)
            }
            for r in results.dropFirst() { XCTAssertEqual(r, results[0], "\(height) x \(width)") }
            XCTAssertTrue(results[0].contains { $0 != 0 })
        }
    }

    func testBatchEqualsSingleImages() throws {
        let model = try Model.from(TestModelFile().bytes())
        let x = input(3 * 20 * 24 * 3, seed: 8)
        var batched = [Float](repeating: 0, count: 30)
        try model.run(input: x, batch: 3, height: 20, width: 24, logits: &batched, capacity: 30)
        for b in 0..<3 {
            var single = [Float](repeating: 0, count: 10)
            try Array(x[(b * 1440)..<((b + 1) * 1440)]).withUnsafeBufferPointer {
                try model.run(input: $0.baseAddress!, batch: 1, height: 20, width: 24, logits: &single, capacity: 10)
            }
            XCTAssertEqual(Array(batched[(b * 10)..<((b + 1) * 10)]), single)
        }
    }

    func testBatchSpreadOverThreadsEqualsSingleImages() throws {
        // With 2 or 3 threads, whole images go to threads (then the rest run
        // one by one, layers split): every image's logits must keep their bits.
        let bytes = TestModelFile(alpha: 0.5, classes: 12).bytes()
        let (batch, h, w) = (7, 29, 23)
        let x = input(batch * h * w * 3, seed: 11)
        let reference = try Model.from(bytes, options: LoadOptions(numThreads: 1))
        var single = [Float](repeating: 0, count: batch * 12)
        for b in 0..<batch {
            try Array(x[(b * h * w * 3)..<((b + 1) * h * w * 3)]).withUnsafeBufferPointer { image in
                try single.withUnsafeMutableBufferPointer {
                    try reference.run(input: image.baseAddress!, batch: 1, height: h, width: w,
                                      logits: $0.baseAddress! + b * 12, capacity: 12)
                }
            }
        }
        for threads in [2, 3] {
            let model = try Model.from(bytes, options: LoadOptions(numThreads: threads))
            for _ in 0..<2 {
                var batched = [Float](repeating: .nan, count: batch * 12)
                try model.run(input: x, batch: batch, height: h, width: w, logits: &batched, capacity: batch * 12)
                XCTAssertEqual(batched, single, "\(threads) threads")
            }
        }
    }

    func testAcceptsAnyInputSize() throws {
        let model = try Model.from(TestModelFile().bytes())
        for (h, w) in [(1, 1), (2, 3), (31, 17), (64, 64)] {
            var logits = [Float](repeating: .nan, count: 10)
            try model.run(input: input(h * w * 3, seed: 1), batch: 1, height: h, width: w, logits: &logits, capacity: 10)
            XCTAssertTrue(logits.allSatisfy { $0.isFinite })
        }
    }

    func testRunValidatesItsArguments() throws {
        let model = try Model.from(TestModelFile().bytes())
        let x = [Float](repeating: 0, count: 8 * 8 * 3)
        var logits = [Float](repeating: 0, count: 10)
        for (batch, h, w) in [(0, 8, 8), (-1, 8, 8), (1, 0, 8), (1, 8, -2), (5000, 8, 8), (1, 5000, 8)] {
            XCTAssertThrowsError(try model.run(input: x, batch: batch, height: h, width: w, logits: &logits, capacity: 10)) {
                XCTAssertEqual(($0 as? MobileNetError)?.kind, .invalidArgument)
            }
        }
        XCTAssertThrowsError(try model.run(input: x, batch: 1, height: 8, width: 8, logits: &logits, capacity: 9)) {
            XCTAssertEqual(($0 as? MobileNetError)?.kind, .bufferTooSmall)
        }
    }

    func testClassifyReturnsSortedProbabilitiesThatSumToOne() throws {
        let model = try Model.from(TestModelFile().bytes())
        let w = 50, h = 40
        let rgb = (0..<(w * h * 3)).map { UInt8(truncatingIfNeeded: $0 * 7) }
        var rows: [(Int, Int, Float)] = []
        try model.classify(rgb: rgb, width: w, height: h, rowStride: w * 3, topK: 10) { rows.append(($0, $1, $2)) }
        XCTAssertEqual(rows.map { $0.0 }, Array(0..<10))
        XCTAssertEqual(Set(rows.map { $0.1 }).count, 10)
        XCTAssertEqual(rows.reduce(0) { $0 + $1.2 }, 1, accuracy: 1e-5)
        for (a, b) in zip(rows, rows.dropFirst()) { XCTAssertGreaterThanOrEqual(a.2, b.2) }
        for k in [0, 11, -1] {
            XCTAssertThrowsError(try model.classify(rgb: rgb, width: w, height: h, rowStride: w * 3, topK: k) { _, _, _ in })
        }
        XCTAssertThrowsError(try model.classify(rgb: rgb, width: w, height: h, rowStride: w * 3 - 1, topK: 1) { _, _, _ in })
        XCTAssertThrowsError(try model.classify(rgb: rgb, width: 0, height: h, rowStride: 0, topK: 1) { _, _, _ in })
    }

    func testRowStrideIsHonoured() throws {
        let model = try Model.from(TestModelFile().bytes())
        let w = 9, h = 7, stride = 40
        var tight = [UInt8](), padded = [UInt8](repeating: 0xEE, count: h * stride)
        for y in 0..<h {
            for x in 0..<(w * 3) {
                let v = UInt8(truncatingIfNeeded: y * 31 + x * 5)
                tight.append(v)
                padded[y * stride + x] = v
            }
        }
        var a: [Float] = [], b: [Float] = []
        try model.classify(rgb: tight, width: w, height: h, rowStride: w * 3, topK: 10) { _, i, p in a.append(Float(i) + p) }
        try model.classify(rgb: padded, width: w, height: h, rowStride: stride, topK: 10) { _, i, p in b.append(Float(i) + p) }
        XCTAssertEqual(a, b)
    }

    func testCentralCropArithmeticMatchesTensorFlow() {
        let p = Preprocessing(cropFraction: 0.875, mean: [0, 0, 0], scale: [1, 1, 1])
        XCTAssertEqual(p.crop(224).start, 14)
        XCTAssertEqual(p.crop(224).count, 196)
        XCTAssertEqual(p.crop(451).start, 28)   // int(451 * 0.0625) = 28
        XCTAssertEqual(p.crop(1).count, 1)
        let tiny = Preprocessing(cropFraction: 1e-30, mean: [0, 0, 0], scale: [1, 1, 1])
        XCTAssertEqual(tiny.crop(224).count, 2)  // never empty
        XCTAssertEqual(tiny.crop(225).count, 1)
        let whole = Preprocessing(cropFraction: 1, mean: [0, 0, 0], scale: [1, 1, 1])
        XCTAssertEqual(whole.crop(300).start, 0)
        XCTAssertEqual(whole.crop(300).count, 300)
    }

    func testResizeOfAConstantImageIsConstantAndNormalized() throws {
        let p = Preprocessing(cropFraction: 0.875, mean: [127.5, 127.5, 127.5], scale: [1 / 127.5, 1 / 127.5, 1 / 127.5])
        let rgb = [UInt8](repeating: 255, count: 10 * 13 * 3)
        var out = [Float](repeating: 0, count: 16 * 16 * 3)
        p.run(rgb: rgb, width: 13, height: 10, rowStride: 39, outHeight: 16, outWidth: 16, into: &out)
        XCTAssertTrue(out.allSatisfy { abs($0 - 1) < 1e-6 })
    }

    func testInfoReportsTheTrainedResolution() throws {
        let model = try Model.from(TestModelFile(resolution: 48).bytes())
        let info = model.info()
        XCTAssertEqual(info.height, 48)
        XCTAssertEqual(info.numClasses, 10)
        XCTAssertEqual(info.parameters, model.architecture.parameterCount)
    }

    func testOptionsAreValidated() {
        let bytes = TestModelFile().bytes()
        for options in [LoadOptions(numThreads: -1), LoadOptions(numThreads: 257), LoadOptions(cropFraction: 0),
                        LoadOptions(cropFraction: 1.5), LoadOptions(cropFraction: .nan)] {
            XCTAssertThrowsError(try bytes.withUnsafeBytes { try Model(bytes: $0, options: options) })
        }
    }
}

final class SoftmaxTests: XCTestCase {
    func probabilities(_ logits: [Float], k: Int) -> [(Int, Float)] {
        var values = logits
        Softmax.inPlace(&values, count: values.count)
        var out: [(Int, Float)] = []
        Softmax.topK(values, count: values.count, k: k) { _, i, p in out.append((i, p)) }
        return out
    }

    func testOrdinaryLogits() {
        let top = probabilities([1, 3, 2, 3], k: 4)
        XCTAssertEqual(top.map { $0.0 }, [1, 3, 2, 0])
        XCTAssertEqual(top.reduce(0) { $0 + $1.1 }, 1, accuracy: 1e-6)
    }

    func testNonFiniteLogitsStillGiveKFiniteProbabilities() {
        for logits: [Float] in [[.infinity, 1, .infinity, .nan], [.nan, .nan, .nan], [-.infinity, .nan, -.infinity],
                                [.nan, 2, 1]] {
            let top = probabilities(logits, k: logits.count)
            XCTAssertEqual(top.count, logits.count, "\(logits)")
            XCTAssertEqual(Set(top.map { $0.0 }).count, logits.count)
            XCTAssertTrue(top.allSatisfy { $0.1.isFinite && $0.1 >= 0 && $0.1 <= 1 })
            XCTAssertEqual(top.reduce(0) { $0 + $1.1 }, 1, accuracy: 1e-6)
        }
        XCTAssertEqual(probabilities([.infinity, 1, .infinity, .nan], k: 2).map { $0.0 }, [0, 2])
    }
}
