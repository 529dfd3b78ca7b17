import CMobileNetHeader
import XCTest
@testable import MobileNetCABI

/// The @_cdecl layer called as C would call it: statuses, messages, handles.
final class CABITests: XCTestCase {
    static let root: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path
    }()
    let modelPath = CABITests.root + "/models/mobilenet_v1_1.0_224.safetensors"

    var lastError: String { String(cString: mobilenet_last_error()) }

    func testVersionMatchesTheHeader() {
        XCTAssertEqual(String(cString: mobilenet_version()), MOBILENET_VERSION_STRING)
        XCTAssertEqual(MobileNetCABI.mobilenet_version_number(), MOBILENET_VERSION_MAJOR * 10000 + MOBILENET_VERSION_MINOR * 100 + MOBILENET_VERSION_PATCH)
    }

    func testEveryStatusHasAString() {
        for raw in UInt32(0)...7 {
            XCTAssertNotEqual(String(cString: mobilenet_status_string(mobilenet_status(raw))), "unknown status")
        }
        XCTAssertEqual(String(cString: mobilenet_status_string(mobilenet_status(99))), "unknown status")
    }

    func testErrorsSetAThreadLocalMessageAndSuccessClearsIt() throws {
        var model: OpaquePointer?
        XCTAssertEqual(mobilenet_model_load(nil, nil, &model), MOBILENET_ERROR_INVALID_ARGUMENT)
        XCTAssertTrue(lastError.contains("path is NULL"), lastError)
        let other = Thread { XCTAssertEqual(String(cString: mobilenet_last_error()), "") }
        other.start()
        while !other.isFinished { usleep(1000) }
        XCTAssertEqual(mobilenet_model_load(modelPath, nil, &model), MOBILENET_OK)
        XCTAssertEqual(lastError, "")
        mobilenet_model_free(model)
    }

    func testLoadReportsIOAndFormatErrors() {
        var model: OpaquePointer?
        XCTAssertEqual(mobilenet_model_load("/nonexistent", nil, &model), MOBILENET_ERROR_IO)
        XCTAssertNil(model)
        let junk: [UInt8] = Array("not a model at all".utf8)
        XCTAssertEqual(mobilenet_model_load_memory(junk, junk.count, nil, &model), MOBILENET_ERROR_FORMAT)
        XCTAssertEqual(mobilenet_model_load_memory(junk, 0, nil, &model), MOBILENET_ERROR_FORMAT)
        XCTAssertEqual(mobilenet_model_load_memory(nil, 10, nil, &model), MOBILENET_ERROR_INVALID_ARGUMENT)
        XCTAssertEqual(mobilenet_model_load_memory(junk, junk.count, nil, nil), MOBILENET_ERROR_INVALID_ARGUMENT)
        XCTAssertNil(model)
    }

    func testOptionsAreChecked() {
        var options = mobilenet_options()
        // Swift does not import the header's macro: the function itself is
        // 0.1.0's entry point and writes only 0.1.0's fields.
        mobilenet_options_init(&options)
        XCTAssertEqual(options.struct_size, MemoryLayout<mobilenet_options>.offset(of: \.max_isa))
        XCTAssertEqual(mobilenet_options_init_sized(&options, MemoryLayout<mobilenet_options>.size), MOBILENET_OK)
        XCTAssertEqual(options.struct_size, MemoryLayout<mobilenet_options>.size)
        var model: OpaquePointer?
        for mutate in [{ (o: inout mobilenet_options) in o.struct_size = 4 }, { $0.num_threads = -1 },
                       { $0.num_threads = 257 }, { $0.crop_fraction = 1.5 }, { $0.crop_fraction = .nan },
                       { $0.crop_fraction = -0.1 }, { $0.struct_size = MemoryLayout<mobilenet_options>.size + 1 }] {
            var bad = options
            mutate(&bad)
            XCTAssertEqual(mobilenet_model_load(modelPath, &bad, &model), MOBILENET_ERROR_INVALID_ARGUMENT)
            XCTAssertFalse(lastError.isEmpty)
        }
        XCTAssertNil(model)
    }

    func testRunClassifyAndLabelsThroughHandles() throws {
        var model: OpaquePointer?
        XCTAssertEqual(mobilenet_model_load(modelPath, nil, &model), MOBILENET_OK)
        defer { mobilenet_model_free(model) }
        XCTAssertEqual(mobilenet_model_num_classes(model), 1001)
        XCTAssertEqual(mobilenet_model_num_classes(nil), 0)
        XCTAssertEqual(String(cString: mobilenet_model_label(model, 0)!), "background")
        XCTAssertNil(mobilenet_model_label(model, -1))
        XCTAssertNil(mobilenet_model_label(model, 1001))
        XCTAssertNil(mobilenet_model_label(nil, 0))

        let input = [Float](repeating: 0.1, count: 2 * 64 * 48 * 3)
        var logits = [Float](repeating: 0, count: 2002)
        XCTAssertEqual(mobilenet_model_run(model, input, 2, 64, 48, &logits, 2002), MOBILENET_OK)
        XCTAssertEqual(Array(logits[0..<1001]), Array(logits[1001...]))
        XCTAssertEqual(mobilenet_model_run(model, input, 2, 64, 48, &logits, 2001), MOBILENET_ERROR_BUFFER_TOO_SMALL)
        XCTAssertEqual(mobilenet_model_run(model, nil, 1, 64, 48, &logits, 2002), MOBILENET_ERROR_INVALID_ARGUMENT)
        XCTAssertEqual(mobilenet_model_run(nil, input, 1, 64, 48, &logits, 2002), MOBILENET_ERROR_INVALID_ARGUMENT)
        XCTAssertEqual(mobilenet_model_run(model, input, 0, 64, 48, &logits, 2002), MOBILENET_ERROR_INVALID_ARGUMENT)
        XCTAssertEqual(mobilenet_model_run(model, input, 1, 64, 48, &logits, Int(bitPattern: UInt(Int.max) + 1)), MOBILENET_OK)

        let rgb = [UInt8](repeating: 128, count: 30 * 20 * 3)
        var predictions = [mobilenet_prediction](repeating: mobilenet_prediction(), count: 3)
        XCTAssertEqual(mobilenet_model_classify_rgb8(model, rgb, 30, 20, 90, 3, &predictions), MOBILENET_OK)
        XCTAssertGreaterThanOrEqual(predictions[0].probability, predictions[1].probability)
        XCTAssertEqual(String(cString: predictions[0].label!), String(cString: mobilenet_model_label(model, predictions[0].class_index)!))
        XCTAssertEqual(mobilenet_model_classify_rgb8(model, rgb, 30, 20, 89, 3, &predictions), MOBILENET_ERROR_INVALID_ARGUMENT)
        XCTAssertEqual(mobilenet_model_classify_rgb8(model, rgb, 30, 20, 90, 0, &predictions), MOBILENET_ERROR_INVALID_ARGUMENT)
        XCTAssertEqual(mobilenet_model_classify_rgb8(model, rgb, 30, 20, 90, 1002, &predictions), MOBILENET_ERROR_INVALID_ARGUMENT)
        XCTAssertEqual(mobilenet_model_classify_rgb8(model, rgb, 30, 20, -1, 3, &predictions), MOBILENET_ERROR_INVALID_ARGUMENT)
        XCTAssertEqual(mobilenet_model_classify_rgb8(model, rgb, 30, 20, 90, 3, nil), MOBILENET_ERROR_INVALID_ARGUMENT)
    }

    func testDescribeFillsTheCStruct() {
        var info = mobilenet_info()
        info.struct_size = MemoryLayout<mobilenet_info>.size
        XCTAssertEqual(mobilenet_describe(MOBILENET_VARIANT_SEPARABLE, 1.0, 224, 1000, &info), MOBILENET_OK)
        XCTAssertEqual(info.num_layers, 29)
        XCTAssertEqual(info.mult_adds, 568_740_352)
        XCTAssertEqual(info.parameters, 4_209_088)
        let sum = withUnsafeBytes(of: info.layers) { raw -> Int64 in
            raw.bindMemory(to: mobilenet_layer_info.self).prefix(Int(info.num_layers)).reduce(0) { $0 + $1.mult_adds }
        }
        XCTAssertEqual(sum, info.mult_adds)
        let firstName = withUnsafeBytes(of: info.layers.0.name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        XCTAssertEqual(firstName, "Conv2d_0")

        info.struct_size = 8
        XCTAssertEqual(mobilenet_describe(MOBILENET_VARIANT_SEPARABLE, 1.0, 224, 1000, &info), MOBILENET_ERROR_INVALID_ARGUMENT)
        info.struct_size = MemoryLayout<mobilenet_info>.size
        XCTAssertEqual(mobilenet_describe(mobilenet_variant(7), 1.0, 224, 1000, &info), MOBILENET_ERROR_INVALID_ARGUMENT)
        XCTAssertEqual(mobilenet_describe(MOBILENET_VARIANT_SHALLOW, .nan, 224, 1000, &info), MOBILENET_ERROR_INVALID_ARGUMENT)
        XCTAssertEqual(mobilenet_describe(MOBILENET_VARIANT_SHALLOW, 1, 0, 1000, &info), MOBILENET_ERROR_INVALID_ARGUMENT)
        XCTAssertEqual(mobilenet_describe(MOBILENET_VARIANT_SHALLOW, 1, 224, 0, &info), MOBILENET_ERROR_INVALID_ARGUMENT)
        XCTAssertEqual(mobilenet_describe(MOBILENET_VARIANT_FULL_CONV, 1, 224, 1000, nil), MOBILENET_ERROR_INVALID_ARGUMENT)
    }
}
