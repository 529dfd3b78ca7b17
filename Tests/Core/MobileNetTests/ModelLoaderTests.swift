import XCTest
@testable import MobileNet

/// The loader rejects every malformed file with FORMAT (or UNSUPPORTED) and a
/// message naming the problem, before using any of it.
final class ModelLoaderTests: XCTestCase {
    func assertRejected(_ bytes: [UInt8], _ kind: MobileNetError.Kind = .format, mentioning fragment: String,
                        file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Model.from(bytes), file: file, line: line) { error in
            guard let error = error as? MobileNetError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertEqual(error.kind, kind, error.message, file: file, line: line)
            XCTAssertTrue(error.message.contains(fragment), "'\(error.message)' lacks '\(fragment)'",
                          file: file, line: line)
        }
    }

    func testLoadsAValidFileOfEachVariant() throws {
        for variant in Variant.allCases {
            let model = try Model.from(TestModelFile(variant: variant).bytes())
            XCTAssertEqual(model.numClasses, 10)
            XCTAssertEqual(model.architecture.variant, variant)
            XCTAssertEqual(model.labels?[3], "class 3")
        }
    }

    func testRejectsTruncatedAndEmptyFiles() {
        let good = TestModelFile().bytes()
        assertRejected([], mentioning: "empty")
        assertRejected(Array(good.prefix(5)), mentioning: "too short")
        assertRejected(Array(good.prefix(100)), mentioning: "exceeds the file")
        assertRejected(Array(good.dropLast(4)), mentioning: "outside")
        assertRejected(good + [0, 0, 0, 0], mentioning: "belong to no tensor")
    }

    func testRejectsHeaderLengthBeyondFileOrLimit() {
        var bytes = TestModelFile().bytes()
        for i in 0..<8 { bytes[i] = 0xFF }
        assertRejected(bytes, mentioning: "exceeds the file")
    }

    func testRejectsInvalidJSONAndWrongTypes() {
        assertRejected(TestModelFile.file(header: "{\"a\":", data: []), mentioning: "invalid JSON")
        assertRejected(TestModelFile.file(header: "[1, 2]", data: []), mentioning: "not an object")
        assertRejected(TestModelFile.file(header: "{\"__metadata__\": [1]}", data: []), mentioning: "__metadata__")
        assertRejected(TestModelFile.file(header: "{\"__metadata__\": {\"a\": 1}}", data: []), mentioning: "not a string")
        assertRejected(TestModelFile.file(header: "{\"t\": 5}", data: []), mentioning: "not an object")
        assertRejected(TestModelFile.file(header: "{\"t\": {\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}",
                                          data: [0, 0, 0, 0]), mentioning: "unknown field")
        assertRejected(TestModelFile.file(header: "{\"t\": {\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}",
                                          data: [0, 0, 0, 0]), mentioning: "invalid dimension")
        assertRejected(TestModelFile.file(header: "{\"t\": {\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}",
                                          data: [0, 0, 0, 0]), mentioning: "data_offsets")
    }

    func testRejectsMissingExtraAndMisshapenTensors() {
        var model = TestModelFile()
        let removed = model.tensors.remove(at: 3)
        assertRejected(model.bytes(), mentioning: "'\(removed.name)' is missing")

        model = TestModelFile()
        model.tensors.append(("MobilenetV1/Extra", "F32", [1], [0, 0, 0, 0]))
        assertRejected(model.bytes(), mentioning: "unexpected tensor 'MobilenetV1/Extra'")

        model = TestModelFile()
        model.metadata["width_multiplier"] = "0.5"  // tensors are for 0.25
        assertRejected(model.bytes(), mentioning: "has shape")

        model = TestModelFile()
        model.metadata["num_classes"] = "11"
        model.metadata["labels"] = nil
        assertRejected(model.bytes(), mentioning: "Logits")

        model = TestModelFile()
        model.tensors[0].dtype = "F16"
        model.tensors[0].data = Array(model.tensors[0].data.prefix(model.tensors[0].data.count / 2))
        assertRejected(model.bytes(), .unsupported, mentioning: "dtype F16")

        model = TestModelFile()
        model.tensors[0].dtype = "Q4"
        assertRejected(model.bytes(), mentioning: "unknown dtype")
    }

    func testRejectsOffsetsOutOfRangeOverlappingOrWithHoles() {
        let model = TestModelFile()
        let first = model.tensors[0], second = model.tensors[1]
        let total = model.tensors.reduce(0) { $0 + $1.data.count }
        assertRejected(model.bytes(offsets: [first.name: (total, total + first.data.count)]), mentioning: "outside")
        assertRejected(model.bytes(offsets: [second.name: (0, second.data.count)]), mentioning: "overlaps")
        assertRejected(model.bytes(offsets: [first.name: (0, 4)]), mentioning: "needs")
        var gap = model
        gap.tensors[0].data += [0, 0, 0, 0]  // data grows, offsets of the first tensor stay exact
        assertRejected(gap.bytes(offsets: [first.name: (0, first.data.count)]), mentioning: "hole")
    }

    func testRejectsNonFiniteWeights() {
        for value in [Float.nan, .infinity, -.infinity] {
            var model = TestModelFile()
            model.setFloat("MobilenetV1/Conv2d_3_pointwise/weights", index: 7, to: value)
            assertRejected(model.bytes(), mentioning: "NaN or infinite value at element 7")
        }
        var model = TestModelFile()
        model.setFloat("MobilenetV1/Conv2d_2_depthwise/BatchNorm/moving_variance", index: 0, to: -1)
        assertRejected(model.bytes(), mentioning: "moving_variance + epsilon is not positive")
    }

    func testRejectsBadMetadata() {
        let cases: [(String, String?, MobileNetError.Kind, String)] = [
            ("architecture", "resnet50", .unsupported, "not supported"),
            ("architecture", nil, .format, "no 'architecture'"),
            ("variant", "wide", .format, "variant"),
            ("width_multiplier", "abc", .format, "not a finite number"),
            ("width_multiplier", "nan", .format, "not a finite number"),
            ("width_multiplier", "-1", .format, "outside"),
            ("resolution", "0", .format, "resolution"),
            ("resolution", "224.5", .format, "resolution"),
            ("num_classes", "-3", .format, "num_classes"),
            ("batchnorm_epsilon", "inf", .format, "batchnorm_epsilon"),
            ("input_mean", "[1, 2]", .format, "input_mean"),
            ("input_scale", "{\"a\": 1}", .format, "input_scale"),
            ("input_scale", "[1, 2, \"x\"]", .format, "input_scale"),
            ("labels", "[\"a\"]", .format, "1 entries for 10 classes"),
            ("labels", "[1,2,3,4,5,6,7,8,9,10]", .format, "not a string"),
            ("labels", "not json", .format, "labels"),
        ]
        for (key, value, kind, fragment) in cases {
            var model = TestModelFile()
            model.metadata[key] = value
            assertRejected(model.bytes(), kind, mentioning: fragment)
        }
    }

    func testTheModelDoesNotDependOnTheBytesAfterLoad() throws {
        var bytes = TestModelFile().bytes()
        let model = try Model.from(bytes)
        let input = [Float](repeating: 0.5, count: 32 * 32 * 3)
        var before = [Float](repeating: 0, count: 10), after = before
        try model.run(input: input, batch: 1, height: 32, width: 32, logits: &before, capacity: 10)
        for i in bytes.indices { bytes[i] = 0xAB }
        try model.run(input: input, batch: 1, height: 32, width: 32, logits: &after, capacity: 10)
        XCTAssertEqual(before, after)
    }

    func testMissingFileIsAnIOError() {
        XCTAssertThrowsError(try Model(path: "/nonexistent/model.safetensors")) { error in
            XCTAssertEqual((error as? MobileNetError)?.kind, .io)
        }
        XCTAssertThrowsError(try Model(path: "/")) { error in
            XCTAssertEqual((error as? MobileNetError)?.kind, .io)
        }
    }
}
